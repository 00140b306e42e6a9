import type { Booking, BookingStatus } from './booking.js';
import { fail, ok, type Result } from './errors.js';
import type { Patient } from './patient.js';
import type { Provider, SessionType } from './provider.js';
import { MINUTE_MS } from './time.js';

const TRANSITIONS: Record<BookingStatus, readonly BookingStatus[]> = {
  pending: ['confirmed', 'failed', 'cancelled'],
  confirmed: ['completed', 'cancelled', 'no_show'],
  completed: [],
  cancelled: [],
  no_show: [],
  failed: [],
};

/**
 * The one state machine of a booking. Anything it does not list is an `INVALID_STATE` failure.
 *
 * @example
 * canTransition('confirmed', 'cancelled'); // true
 * canTransition('cancelled', 'confirmed'); // false
 */
export function canTransition(from: BookingStatus, to: BookingStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

export function transition(from: BookingStatus, to: BookingStatus): Result<BookingStatus> {
  if (canTransition(from, to)) return ok(to);
  return fail('INVALID_STATE', `A ${from} booking cannot become ${to}`);
}

/** Completed and no-show are facts about a session that has started. */
export function checkOperatorMark(
  booking: Pick<Booking, 'status' | 'startMs'>,
  to: 'completed' | 'no_show',
  nowMs: number,
): Result<BookingStatus> {
  if (nowMs < booking.startMs) {
    return fail('INVALID_STATE', `A booking cannot be marked ${to} before it starts`);
  }
  return transition(booking.status, to);
}

/**
 * Whether a booking may move to other times: only a confirmed session that has not started.
 *
 * @example
 * checkReschedule({ status: 'cancelled', startMs }, Date.now()); // INVALID_STATE
 */
export function checkReschedule(
  booking: Pick<Booking, 'status' | 'startMs'>,
  nowMs: number,
): Result<null> {
  if (booking.status !== 'confirmed') {
    return fail('INVALID_STATE', `A ${booking.status} booking cannot be rescheduled`);
  }
  if (nowMs >= booking.startMs) {
    return fail('INVALID_STATE', 'The session has started and can no longer be rescheduled');
  }
  return ok(null);
}

/**
 * The cancellation policy as data. Cancelling is allowed until the session starts; inside
 * `lateWindowMinutes` before the start it is recorded as late.
 */
export interface CancellationPolicy {
  lateWindowMinutes: number;
}

export const DEFAULT_CANCELLATION_POLICY: CancellationPolicy = { lateWindowMinutes: 24 * 60 };

/**
 * Decides whether a booking may be cancelled now, and whether that counts as late.
 *
 * @example
 * evaluateCancellation(booking, Date.now(), { lateWindowMinutes: 1440 }); // ok({ late: true })
 */
export function evaluateCancellation(
  booking: Pick<Booking, 'status' | 'startMs'>,
  nowMs: number,
  policy: CancellationPolicy,
): Result<{ late: boolean }> {
  const allowed = transition(booking.status, 'cancelled');
  if (!allowed.ok) return fail(allowed.failure.code, allowed.failure.detail);
  if (nowMs >= booking.startMs) {
    return fail('INVALID_STATE', 'The session has started and can no longer be cancelled');
  }
  return ok({ late: booking.startMs - nowMs <= policy.lateWindowMinutes * MINUTE_MS });
}

/** True when `region` (a country or a subdivision such as `US-NY`) covers `country`. */
function licensedFor(licensedRegions: readonly string[], country: string): boolean {
  return licensedRegions.some((region) => region === country || region.startsWith(country + '-'));
}

/**
 * Whether a patient may book this provider for this duration. Returns the session type whose
 * price the booking will snapshot.
 *
 * @example
 * checkEligibility({ provider, patient, duration: 50, isNewPatient: true });
 */
export function checkEligibility(args: {
  provider: Pick<
    Provider,
    'active' | 'sessionTypes' | 'licensedRegions' | 'acceptingNewPatients' | 'id'
  >;
  patient: Pick<Patient, 'country'>;
  duration: number;
  isNewPatient: boolean;
}): Result<SessionType> {
  const { provider, patient, duration, isNewPatient } = args;
  if (!provider.active) return fail('NOT_ELIGIBLE', `Provider ${provider.id} is not active`);

  const sessionType = provider.sessionTypes.find((s) => s.duration === duration);
  if (!sessionType) {
    const offered = provider.sessionTypes.map((s) => s.duration).join(', ');
    return fail('NOT_ELIGIBLE', `Provider ${provider.id} offers ${offered} minute sessions`, [
      { pointer: '/duration', message: `must be one of ${offered}` },
    ]);
  }
  if (!licensedFor(provider.licensedRegions, patient.country)) {
    return fail('NOT_ELIGIBLE', `Provider ${provider.id} is not licensed in ${patient.country}`);
  }
  if (isNewPatient && !provider.acceptingNewPatients) {
    return fail('NOT_ELIGIBLE', `Provider ${provider.id} is not accepting new patients`);
  }
  return ok(sessionType);
}
