import { describe, expect, it } from 'vitest';
import {
  DISABLE_AFTER_CONSECUTIVE_FAILURES,
  DISABLE_AFTER_FAILING_MS,
  HEALTHY,
  MAX_ATTEMPTS,
  MAX_RETRY_AFTER_MS,
  nextAttemptDelay,
  recordAttempt,
  RETRY_JITTER,
  type EndpointHealth,
} from './retry.js';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** Every delay an event meets before it is given up, with a fixed draw for the jitter. */
function wholeSchedule(draw: number): number[] {
  const delays: number[] = [];
  for (let attempt = 1; ; attempt++) {
    const delay = nextAttemptDelay(attempt, { random: () => draw });
    if (delay === null) return delays;
    delays.push(delay);
  }
}

const sum = (values: number[]) => values.reduce((total, value) => total + value, 0);

describe('nextAttemptDelay', () => {
  it('follows the Standard Webhooks schedule when the jitter draws its middle', () => {
    expect(wholeSchedule(0.5)).toEqual([
      5 * SECOND,
      5 * MINUTE,
      30 * MINUTE,
      2 * HOUR,
      5 * HOUR,
      10 * HOUR,
      14 * HOUR,
      20 * HOUR,
      24 * HOUR,
    ]);
  });

  it('keeps trying for more than a day, even when the jitter draws short every time', () => {
    expect(sum(wholeSchedule(0))).toBeGreaterThan(DAY);
    expect(sum(wholeSchedule(0.5))).toBe(3 * DAY + 3 * HOUR + 35 * MINUTE + 5 * SECOND);
  });

  it('backs off: each delay is longer than the one before, at any draw', () => {
    for (const draw of [0, 0.5, 0.999]) {
      const delays = wholeSchedule(draw);
      expect(delays.slice(1).every((delay, i) => delay > (delays[i] ?? 0))).toBe(true);
    }
  });

  it(`spreads each delay by ±${RETRY_JITTER * 100} %`, () => {
    expect(nextAttemptDelay(3, { random: () => 0 })).toBe(24 * MINUTE);
    expect(nextAttemptDelay(3, { random: () => 0.999_999 })).toBeLessThan(36 * MINUTE);
    expect(nextAttemptDelay(3, { random: () => 0.999_999 })).toBeGreaterThan(35 * MINUTE);
  });

  it('gives up after the last attempt', () => {
    expect(nextAttemptDelay(MAX_ATTEMPTS - 1)).not.toBeNull();
    expect(nextAttemptDelay(MAX_ATTEMPTS)).toBeNull();
    expect(nextAttemptDelay(MAX_ATTEMPTS + 5)).toBeNull();
  });

  it("waits at least as long as the partner's Retry-After, up to a day", () => {
    const half = { random: () => 0.5 };

    expect(nextAttemptDelay(1, { ...half, retryAfterMs: HOUR })).toBe(HOUR);
    expect(nextAttemptDelay(5, { ...half, retryAfterMs: HOUR })).toBe(5 * HOUR);
    expect(nextAttemptDelay(1, { ...half, retryAfterMs: 30 * DAY })).toBe(MAX_RETRY_AFTER_MS);
    expect(nextAttemptDelay(1, { ...half, retryAfterMs: -5 })).toBe(5 * SECOND);
  });

  it('refuses attempt numbers that do not count attempts made', () => {
    expect(() => nextAttemptDelay(0)).toThrow(RangeError);
    expect(() => nextAttemptDelay(1.5)).toThrow(RangeError);
  });
});

describe('recordAttempt', () => {
  const T0 = Date.parse('2027-03-01T06:00:00Z');
  const FAILED = { ok: false, gone: false };
  const GONE = { ok: false, gone: true };
  const OK = { ok: true, gone: false };

  /** Fails `count` attempts spread evenly over `spanMs`, starting at T0. */
  function failRepeatedly(count: number, spanMs: number) {
    let health: EndpointHealth = HEALTHY;
    let disable = null as string | null;
    for (let i = 0; i < count; i++) {
      const at = T0 + (count === 1 ? 0 : Math.round((spanMs * i) / (count - 1)));
      ({ health, disable } = recordAttempt(health, FAILED, at));
    }
    return { health, disable };
  }

  it('counts failures from the first one and resets on success', () => {
    const once = recordAttempt(HEALTHY, FAILED, T0);
    const twice = recordAttempt(once.health, FAILED, T0 + HOUR);
    const healed = recordAttempt(twice.health, OK, T0 + 2 * HOUR);

    expect(twice.health).toEqual({ consecutiveFailures: 2, failingSinceMs: T0 });
    expect(healed).toEqual({ health: HEALTHY, disable: null });
  });

  it('disables at once on 410 Gone', () => {
    expect(recordAttempt(HEALTHY, GONE, T0).disable).toBe('gone');
  });

  it('disables after five days of failures with at least ten in a row', () => {
    const result = failRepeatedly(DISABLE_AFTER_CONSECUTIVE_FAILURES, DISABLE_AFTER_FAILING_MS);

    expect(result.disable).toBe('sustained_failure');
  });

  it('does not disable a busy endpoint after a short outage', () => {
    expect(failRepeatedly(500, 6 * HOUR).disable).toBeNull();
  });

  it('does not disable a quiet endpoint after a few failures days apart', () => {
    const few = DISABLE_AFTER_CONSECUTIVE_FAILURES - 1;

    expect(failRepeatedly(few, 6 * DAY).disable).toBeNull();
  });

  it('starts the five days again after a success', () => {
    const early = failRepeatedly(DISABLE_AFTER_CONSECUTIVE_FAILURES, 4 * DAY);
    const healed = recordAttempt(early.health, OK, T0 + 4 * DAY + HOUR);

    let health = healed.health;
    let disable = null as string | null;
    for (let i = 0; i < DISABLE_AFTER_CONSECUTIVE_FAILURES; i++) {
      ({ health, disable } = recordAttempt(health, FAILED, T0 + 5 * DAY + i * HOUR));
    }

    expect(health.failingSinceMs).toBe(T0 + 5 * DAY);
    expect(disable).toBeNull();
  });
});
