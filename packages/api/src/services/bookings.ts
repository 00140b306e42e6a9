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

type BookingDeps = Pick<Deps, 'store' | 'clock' | 'ids' | 'video'> & { log: Logger };

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
 * Books a session. The slot is held by a pending row written under row locks (no double booking
 * can get past the database), then the video room is created; if that fails the hold is
 * released and no row remains, and a room whose confirmation fails is removed again.
 */
export async function createBooking(
  deps: BookingDeps,
  organizationId: string,
  input: BookingCreate,
): Promise<Booking> {
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
  const held = unwrap(await deps.store.bookings.insertIfFree(pending));

  let room;
  try {
    room = await deps.video.create({ bookingId: held.id, startMs, endMs });
  } catch (error) {
    await deps.store.bookings.discard(held.id);
    deps.log.warn({ bookingId: held.id, err: error }, 'video room creation failed; hold released');
    throw error instanceof TahoonError
      ? error
      : new TahoonError(
          { code: 'UNAVAILABLE', detail: 'The video service is unavailable' },
          { cause: error },
        );
  }

  try {
    const confirmed = await deps.store.bookings.confirm(held.id, room);
    if (!confirmed) throw new Error(`booking ${held.id} was no longer pending`);
    deps.log.info({ bookingId: confirmed.id, providerId: provider.id }, 'booking confirmed');
    return confirmed;
  } catch (error) {
    await compensate(deps, held.id, room.roomId);
    throw error;
  }
}

/** Undoes a half-made booking: the room goes, then the hold. Failures are logged, not hidden. */
async function compensate(deps: BookingDeps, bookingId: string, roomId: string): Promise<void> {
  await deps.video.remove(roomId).catch((err: unknown) => {
    deps.log.error({ bookingId, roomId, err }, 'orphan video room could not be removed');
  });
  await deps.store.bookings.discard(bookingId).catch((err: unknown) => {
    deps.log.error({ bookingId, err }, 'pending booking could not be released');
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
  const cancelled = await deps.store.bookings.setStatus(booking.id, booking.status, 'cancelled', {
    by,
    atMs: nowMs,
    reason: input.reason ?? null,
    late,
  });
  if (!cancelled) {
    throw new TahoonError({ code: 'INVALID_STATE', detail: 'The booking changed; read it again' });
  }
  if (booking.video) {
    await deps.video.remove(booking.video.roomId).catch((err: unknown) => {
      deps.log.warn({ bookingId: booking.id, err }, 'video room teardown failed');
    });
  }
  deps.log.info({ bookingId: booking.id, late }, 'booking cancelled');
  return cancelled;
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
  const result = unwrap(await deps.store.bookings.moveIfFree(moved, booking, nowMs));
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
  const marked = await deps.store.bookings.setStatus(id, booking.status, status);
  if (!marked) throw new TahoonError({ code: 'INVALID_STATE', detail: 'The booking changed' });
  return marked;
}
