import { TahoonError, type AuditRecord, type Booking, type ErrorCode } from '@tahoon/core';
import type { Logger } from 'pino';
import type { Deps } from '../deps.js';
import { markBooking } from '../services/bookings.js';
import { appendOrLog } from './trail.js';

type OperatorDeps = Pick<Deps, 'store' | 'clock' | 'ids' | 'outbox'> & { log: Logger };

function operatorEntry(
  deps: OperatorDeps,
  booking: Pick<Booking, 'id' | 'organizationId' | 'patientId'>,
  code: ErrorCode | null,
): AuditRecord {
  return {
    id: deps.ids.next('aud'),
    organizationId: booking.organizationId,
    actorType: 'operator',
    credentialId: null,
    tokenId: null,
    action: 'booking.mark',
    resourceType: 'booking',
    resourceIds: [booking.id],
    patientId: booking.patientId,
    resultCount: null,
    outcome: code === null ? 'success' : code === 'NOT_FOUND' ? 'not_found' : 'failed',
    problemCode: code,
    requestId: null,
    clientIp: null,
    occurredAtMs: deps.clock.nowMs(),
  };
}

/**
 * An operator's mark, recorded in the trail of the booking's organization. A mark refused for
 * an id that names no booking has no organization to be recorded under, and is not.
 */
export async function markBookingAudited(
  deps: OperatorDeps,
  id: string,
  status: 'completed' | 'no_show',
): Promise<Booking> {
  try {
    const marked = await markBooking(deps, id, status);
    await appendOrLog(deps.store, deps.log, operatorEntry(deps, marked, null));
    return marked;
  } catch (error) {
    const booking = error instanceof TahoonError ? await deps.store.bookings.getAny(id) : null;
    if (booking && error instanceof TahoonError) {
      await appendOrLog(deps.store, deps.log, operatorEntry(deps, booking, error.code));
    }
    throw error;
  }
}
