import {
  ACTIVE_STATUSES,
  renderInstant,
  TahoonError,
  type AuditRecord,
  type Booking,
  type Page,
  type PatientErasure,
  type PatientExport,
} from '@tahoon/core';
import type { Logger } from 'pino';
import type { Deps } from '../deps.js';
import { auditEventView } from '../audit/view.js';
import { cancelBooking } from './bookings.js';
import { bookingView } from './views.js';

type RightsDeps = Pick<Deps, 'store' | 'clock' | 'ids' | 'outbox' | 'config'> & { log: Logger };

/** Rows read per page when collecting everything about one patient. */
const PAGE = 100;

/** Erasure cancels, then erases; a booking made in between sends it round again, this often. */
const ERASE_ROUNDS = 3;

/** The reason recorded on sessions cancelled by an erasure. */
export const ERASURE_REASON = 'patient erased';

const notFound = (id: string) => new TahoonError({ code: 'NOT_FOUND', detail: `No patient ${id}` });

async function allPages<T>(read: (cursor: string | undefined) => Promise<Page<T>>): Promise<T[]> {
  const rows: T[] = [];
  let cursor: string | undefined;
  do {
    const page = await read(cursor);
    rows.push(...page.data);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return rows;
}

function bookingsOf(deps: RightsDeps, organizationId: string, patientId: string) {
  return allPages((cursor) =>
    deps.store.bookings.list(organizationId, { limit: PAGE, cursor, patientId }),
  );
}

/**
 * Everything held about one patient: the record, every booking with its history and
 * cancellation, and the audit entries about the patient (ids only).
 */
export async function exportPatient(
  deps: RightsDeps,
  organizationId: string,
  patientId: string,
): Promise<PatientExport> {
  const patient = await deps.store.patients.get(organizationId, patientId);
  if (!patient) throw notFound(patientId);

  const bookings = await bookingsOf(deps, organizationId, patientId);
  const auditEvents = await allPages((cursor) =>
    deps.store.audit.list(organizationId, { limit: PAGE, cursor, resourceId: patientId }),
  );
  return {
    patient,
    bookings: bookings.map(bookingView),
    auditEvents: auditEvents.map(auditEventView),
    exportedAt: renderInstant(deps.clock.nowMs()),
  };
}

/** Sessions still to come: these are cancelled, so their rooms go and providers are freed. */
function upcoming(bookings: Booking[], nowMs: number): Booking[] {
  return bookings.filter((b) => ACTIVE_STATUSES.includes(b.status) && b.startMs > nowMs);
}

async function cancelUpcoming(deps: RightsDeps, organizationId: string, patientId: string) {
  const policy = { lateWindowMinutes: deps.config.TAHOON_LATE_CANCEL_MINUTES };
  const due = upcoming(await bookingsOf(deps, organizationId, patientId), deps.clock.nowMs());
  const cancelled: string[] = [];
  for (const booking of due) {
    try {
      await cancelBooking(
        { ...deps, policy },
        organizationId,
        { id: booking.id, reason: ERASURE_REASON },
        'partner',
      );
      cancelled.push(booking.id);
    } catch (error) {
      // Changed meanwhile (confirmed, failed, started): the erasing transaction judges it again.
      if (!(error instanceof TahoonError) || error.code !== 'INVALID_STATE') throw error;
    }
  }
  return cancelled;
}

/**
 * Erases a patient: upcoming sessions are cancelled through the ordinary cancellation (rooms
 * torn down), then one transaction empties the patient row, strips free text from its bookings
 * and writes the audit entry. Past bookings stay, with ids and times, for the provider's
 * records. A retry after a failure part-way picks up where it stopped; after success the
 * patient answers 404.
 */
export async function erasePatient(
  deps: RightsDeps,
  organizationId: string,
  patientId: string,
  auditEntry: () => AuditRecord,
): Promise<PatientErasure> {
  if (!(await deps.store.patients.get(organizationId, patientId))) throw notFound(patientId);

  const cancelledBookingIds: string[] = [];
  for (let round = 0; round < ERASE_ROUNDS; round++) {
    cancelledBookingIds.push(...(await cancelUpcoming(deps, organizationId, patientId)));
    const nowMs = deps.clock.nowMs();
    const outcome = await deps.store.erasure.erasePatient(
      organizationId,
      patientId,
      nowMs,
      auditEntry(),
    );
    if (outcome === 'not_found') throw notFound(patientId);
    if (outcome === 'erased') {
      deps.log.info({ patientId, cancelled: cancelledBookingIds.length }, 'patient erased');
      return { id: patientId, erasedAt: renderInstant(nowMs), cancelledBookingIds };
    }
  }
  throw new TahoonError({
    code: 'INVALID_STATE',
    detail: 'Sessions kept being booked for this patient during the erasure; try again',
  });
}
