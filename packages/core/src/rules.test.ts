import { describe, expect, it } from 'vitest';
import { BOOKING_STATUSES, type BookingStatus } from './booking.js';
import type { SessionType } from './provider.js';
import {
  checkReschedule,
  canTransition,
  checkEligibility,
  checkOperatorMark,
  evaluateCancellation,
  transition,
} from './rules.js';
import { MINUTE_MS, toEpochMs } from './time.js';

const START = toEpochMs('2026-06-01T09:00:00Z');
const HOUR_MS = 60 * MINUTE_MS;

const booking = (status: BookingStatus = 'confirmed', startMs = START) => ({ status, startMs });

describe('booking state machine', () => {
  const allowed = new Set([
    'pending>confirmed',
    'pending>failed',
    'pending>cancelled',
    'confirmed>completed',
    'confirmed>cancelled',
    'confirmed>no_show',
  ]);
  const pairs = BOOKING_STATUSES.flatMap((from) => BOOKING_STATUSES.map((to) => ({ from, to })));

  it.each(pairs)('$from -> $to', ({ from, to }) => {
    const expected = allowed.has(`${from}>${to}`);

    expect(canTransition(from, to)).toBe(expected);
    const result = transition(from, to);
    if (expected) expect(result).toEqual({ ok: true, value: to });
    else expect(result).toMatchObject({ ok: false, failure: { code: 'INVALID_STATE' } });
  });
});

describe('evaluateCancellation', () => {
  const policy = { lateWindowMinutes: 24 * 60 };

  it('is on time before the late window', () => {
    expect(evaluateCancellation(booking(), START - 25 * HOUR_MS, policy)).toEqual({
      ok: true,
      value: { late: false },
    });
    expect(evaluateCancellation(booking('pending'), START - 48 * HOUR_MS, policy)).toEqual({
      ok: true,
      value: { late: false },
    });
  });

  it('is late inside the window, from its first instant', () => {
    expect(evaluateCancellation(booking(), START - 24 * HOUR_MS, policy)).toEqual({
      ok: true,
      value: { late: true },
    });
    expect(evaluateCancellation(booking(), START - 1, policy)).toEqual({
      ok: true,
      value: { late: true },
    });
  });

  it('is refused once the session has started', () => {
    for (const nowMs of [START, START + HOUR_MS]) {
      expect(evaluateCancellation(booking(), nowMs, policy)).toMatchObject({
        ok: false,
        failure: { code: 'INVALID_STATE' },
      });
    }
  });

  it.each(['cancelled', 'completed', 'no_show', 'failed'] as const)(
    'is refused for a %s booking',
    (status) => {
      expect(evaluateCancellation(booking(status), START - 48 * HOUR_MS, policy)).toMatchObject({
        ok: false,
        failure: { code: 'INVALID_STATE' },
      });
    },
  );
});

describe('checkEligibility', () => {
  const fifty: SessionType = { duration: 50, price: { amount: 25_000, currency: 'SAR' } };
  const eighty: SessionType = { duration: 80, price: { amount: 35_000, currency: 'SAR' } };
  const makeProvider = (
    fields: Partial<Parameters<typeof checkEligibility>[0]['provider']> = {},
  ) => ({
    id: 'prv_k3m9q2x7w4n8p5rt',
    active: true,
    sessionTypes: [fifty, eighty],
    licensedRegions: ['SA'],
    acceptingNewPatients: true,
    ...fields,
  });
  const check = (
    provider = makeProvider(),
    { country = 'SA', duration = 50, isNewPatient = true } = {},
  ) => checkEligibility({ provider, patient: { country }, duration, isNewPatient });

  it('returns the session type whose price the booking snapshots', () => {
    expect(check(makeProvider(), { duration: 80 })).toEqual({ ok: true, value: eighty });
  });

  it('refuses an inactive provider', () => {
    expect(check(makeProvider({ active: false }))).toMatchObject({
      ok: false,
      failure: { code: 'NOT_ELIGIBLE' },
    });
  });

  it('refuses a duration the provider does not offer, naming the field', () => {
    const result = check(makeProvider(), { duration: 30 });

    expect(result).toMatchObject({ ok: false, failure: { code: 'NOT_ELIGIBLE' } });
    expect(result.ok ? [] : result.failure.errors).toEqual([
      { pointer: '/duration', message: 'must be one of 50, 80' },
    ]);
  });

  it('accepts a patient in a country or in a subdivision the provider is licensed for', () => {
    expect(check(makeProvider({ licensedRegions: ['US'] }), { country: 'US' }).ok).toBe(true);
    expect(check(makeProvider({ licensedRegions: ['GB', 'US-NY'] }), { country: 'US' }).ok).toBe(
      true,
    );
  });

  it('refuses a patient outside every licensed region', () => {
    const elsewhere = [['GB'], ['GB-ENG'], ['USA'], ['AU-NSW']];

    for (const licensedRegions of elsewhere) {
      expect(check(makeProvider({ licensedRegions }), { country: 'US' })).toMatchObject({
        ok: false,
        failure: { code: 'NOT_ELIGIBLE' },
      });
    }
  });

  it('minds not accepting new patients only for new patients', () => {
    const closed = makeProvider({ acceptingNewPatients: false });

    expect(check(closed, { isNewPatient: true })).toMatchObject({
      ok: false,
      failure: { code: 'NOT_ELIGIBLE' },
    });
    expect(check(closed, { isNewPatient: false })).toEqual({ ok: true, value: fifty });
  });
});

describe('checkOperatorMark', () => {
  it('refuses to mark a session before it starts', () => {
    expect(checkOperatorMark(booking(), 'completed', START - 1)).toMatchObject({
      ok: false,
      failure: { code: 'INVALID_STATE' },
    });
  });

  it('marks a confirmed session from its start on', () => {
    expect(checkOperatorMark(booking(), 'completed', START)).toEqual({
      ok: true,
      value: 'completed',
    });
    expect(checkOperatorMark(booking(), 'no_show', START + HOUR_MS)).toEqual({
      ok: true,
      value: 'no_show',
    });
  });

  it('refuses to mark a booking that was never confirmed or is already settled', () => {
    for (const status of ['pending', 'cancelled', 'completed', 'failed'] as const) {
      expect(checkOperatorMark(booking(status), 'no_show', START + HOUR_MS)).toMatchObject({
        ok: false,
        failure: { code: 'INVALID_STATE' },
      });
    }
  });
});

describe('checkReschedule', () => {
  const startMs = Date.parse('2027-03-08T09:00:00Z');

  it('allows a confirmed booking that has not started', () => {
    expect(checkReschedule({ status: 'confirmed', startMs }, startMs - 1).ok).toBe(true);
  });

  it.each(['pending', 'cancelled', 'failed', 'completed', 'no_show'] as const)(
    'refuses a %s booking',
    (status) => {
      const result = checkReschedule({ status, startMs }, startMs - 60_000);
      expect(result.ok ? null : result.failure.code).toBe('INVALID_STATE');
    },
  );

  it('refuses a booking that has started', () => {
    const result = checkReschedule({ status: 'confirmed', startMs }, startMs);
    expect(result.ok ? null : result.failure.code).toBe('INVALID_STATE');
  });
});
