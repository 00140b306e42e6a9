import {
  checkEligibility,
  checkOperatorMark,
  checkReschedule,
  DEFAULT_CANCELLATION_POLICY,
  evaluateCancellation,
  isOfferedStart,
  MINUTE_MS,
  TahoonError,
  toEpochMs,
  unwrap,
  type Booking,
  type BookingCreate,
  type BookingReschedule,
  type CancellationPolicy,
  type CancelledBy,
} from '@tahoon/core';
import type { Logger } from 'pino';
import type { Deps } from '../deps.js';

type BookingDeps = Pick<Deps, 'store' | 'clock' | 'ids' | 'outbox'> & { log: Logger };

const notFound = (kind: string, id: string) =>
  new TahoonError({ code: 'NOT_FOUND', detail: `No ${kind} ${id}` });

/** Loads and checks everything a booking needs before any slot is held. */
async function prepareBooking(
  deps: BookingDeps,
  organizationId: string,
  input: BookingCreate,
  options: { movingBookingId?: string } = {},
) {
  const { store, clock } = deps;
  const patient = await store.patients.get(organizationId, input.patientId);
  if (!patient) throw notFound('patient', input.patientId);
  const provider = await store.providers.get(input.providerId);
  if (!provider) throw notFound('provider', input.providerId);

  // A booking being moved is itself history with this provider.
  const isNewPatient =
    !options.movingBookingId &&
    !(await store.bookings.hasHistory(organizationId, patient.id, provider.id));
  const sessionType = unwrap(
    checkEligibility({ provider, patient, duration: input.duration, isNewPatient }),
  );

  const startMs = toEpochMs(input.start);
  const nowMs = clock.nowMs();
  const offered = isOfferedStart({
    schedule: provider.schedule,
    timeZone: provider.timeZone,
    durationMinutes: input.duration,
    nowMs,
    startMs,
  });
  if (!offered) {
    throw new TahoonError({
      code: 'SLOT_UNAVAILABLE',
      detail:
        'That start is not offered: outside the schedule, in the past, inside the notice period or beyond the booking horizon',
      errors: [{ pointer: '/start', message: 'is not an offered slot start' }],
    });
  }
  return { provider, sessionType, startMs, nowMs };
}

/**
 * Books a session, as a saga (see docs/reliability.md). One transaction holds the slot as a
 * `pending` row under row locks (no double booking can get past the database) and writes the
 * `booking.created` event and the `video.room.create` message. The room is then tried once
 * inline, by the same handler the dispatcher runs: when it succeeds the booking comes back
 * `confirmed` with its room; when it fails in a way worth retrying the booking comes back
 * `pending` (room provisioning) and the dispatcher retries; when it fails for good the booking
 * is `failed`, its slot released, and the partner gets 503.
 */
export async function createBooking(
  deps: BookingDeps,
  organizationId: string,
  input: BookingCreate,
  requestKey?: string,
): Promise<Booking> {
  // The first attempt of this request made the booking and died before its answer was kept:
  // the retry answers that booking, as it stands now, instead of booking again.
  if (requestKey) {
    const made = await deps.outbox.bookings.findByRequestKey(organizationId, requestKey);
    if (made) {
      deps.log.info({ bookingId: made.id }, 'booking found for a retried request');
      return made;
    }
  }
  const { provider, sessionType, startMs, nowMs } = await prepareBooking(
    deps,
    organizationId,
    input,
  );
  const endMs = startMs + input.duration * MINUTE_MS;
  const pending: Booking = {
    id: deps.ids.next('bkg'),
    organizationId,
    patientId: input.patientId,
    providerId: provider.id,
    status: 'pending',
    startMs,
    endMs,
    blockedUntilMs: endMs + provider.schedule.bufferMinutes * MINUTE_MS,
    duration: input.duration,
    price: sessionType.price,
    video: null,
    cancellation: null,
    history: [],
    createdAtMs: nowMs,
  };
  const { booking: held, roomMessageId } = unwrap(
    await deps.outbox.bookings.hold(pending, requestKey),
  );

  const [result] = await deps.outbox.runner
    .deliverNow([roomMessageId], deps.log)
    .catch((err: unknown) => {
      deps.log.warn(
        { bookingId: held.id, err },
        'inline room creation failed; the dispatcher retries',
      );
      return ['retry' as const];
    });
  const current = await deps.store.bookings.get(organizationId, held.id);
  if (result === 'dead' || !current || current.status === 'failed') {
    deps.log.warn({ bookingId: held.id }, 'video room could not be made; booking failed');
    throw new TahoonError({ code: 'UNAVAILABLE', detail: 'The video service is unavailable' });
  }
  if (current.status === 'pending') {
    deps.log.info({ bookingId: held.id }, 'booking held; its video room is being provisioned');
  }
  return current;
}

/** Runs a message now, after the commit that wrote it; the dispatcher retries what fails. */
async function runAfterCommit(deps: BookingDeps, messageId: string | null): Promise<void> {
  if (!messageId) return;
  await deps.outbox.runner.deliverNow([messageId], deps.log).catch((err: unknown) => {
    deps.log.warn({ outboxId: messageId, err }, 'inline delivery failed; the dispatcher retries');
  });
}

export async function cancelBooking(
  deps: BookingDeps & { policy?: CancellationPolicy },
  organizationId: string,
  input: { id: string; reason?: string | undefined },
  by: CancelledBy = 'partner',
): Promise<Booking> {
  const booking = await deps.store.bookings.get(organizationId, input.id);
  if (!booking) throw notFound('booking', input.id);

  const nowMs = deps.clock.nowMs();
  const { late } = unwrap(
    evaluateCancellation(booking, nowMs, deps.policy ?? DEFAULT_CANCELLATION_POLICY),
  );
  const written = await deps.outbox.bookings.cancel(booking.id, booking.status, {
    by,
    atMs: nowMs,
    reason: input.reason ?? null,
    late,
  });
  if (!written) {
    throw new TahoonError({ code: 'INVALID_STATE', detail: 'The booking changed; read it again' });
  }
  await runAfterCommit(deps, written.runNow);
  deps.log.info({ bookingId: booking.id, late }, 'booking cancelled');
  return written.booking;
}

/**
 * Moves a confirmed booking to a new start (and optionally duration) under the same id. The
 * old times go to its history; its video room stays with it, as rooms are not tied to a time.
 */
export async function rescheduleBooking(
  deps: BookingDeps,
  organizationId: string,
  input: BookingReschedule,
): Promise<Booking> {
  const booking = await deps.store.bookings.get(organizationId, input.id);
  if (!booking) throw notFound('booking', input.id);
  const nowMs = deps.clock.nowMs();
  unwrap(checkReschedule(booking, nowMs));

  const duration = input.duration ?? booking.duration;
  const { provider, sessionType, startMs } = await prepareBooking(
    deps,
    organizationId,
    {
      patientId: booking.patientId,
      providerId: booking.providerId,
      start: input.start,
      duration,
    },
    { movingBookingId: booking.id },
  );
  const endMs = startMs + duration * MINUTE_MS;
  // Moving a booking to exactly where it is changes nothing: no history entry, no event.
  if (startMs === booking.startMs && duration === booking.duration) return booking;
  const moved: Booking = {
    ...booking,
    startMs,
    endMs,
    blockedUntilMs: endMs + provider.schedule.bufferMinutes * MINUTE_MS,
    duration,
    price: sessionType.price,
    history: [
      ...booking.history,
      { startMs: booking.startMs, endMs: booking.endMs, changedAtMs: nowMs },
    ],
  };
  const result = unwrap(await deps.outbox.bookings.move(moved, booking, nowMs));
  deps.log.info({ bookingId: booking.id }, 'booking rescheduled');
  return result;
}

/** Operators record how a session went, through the CLI. */
export async function markBooking(
  deps: BookingDeps,
  id: string,
  status: 'completed' | 'no_show',
): Promise<Booking> {
  const booking = await deps.store.bookings.getAny(id);
  if (!booking) throw notFound('booking', id);
  unwrap(checkOperatorMark(booking, status, deps.clock.nowMs()));
  const marked = await deps.outbox.bookings.mark(id, status, deps.clock.nowMs());
  if (!marked) throw new TahoonError({ code: 'INVALID_STATE', detail: 'The booking changed' });
  return marked;
}
