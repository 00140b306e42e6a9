/**
 * When to try a failed delivery again, and when to stop calling an endpoint altogether.
 *
 * The schedule is the one the Standard Webhooks specification suggests: the first attempt at
 * once, then 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h and 24 h later — ten attempts over
 * about three days and four hours, so a partner that is down over a weekend night still gets
 * the event. Each delay is spread by ±20 % so that endpoints which failed together (one outage,
 * many events) are not all retried in the same second.
 */

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** Delay before attempt n + 2, after attempt n + 1 failed (index 0: after the first attempt). */
export const RETRY_SCHEDULE_MS: readonly number[] = [
  5 * SECOND,
  5 * MINUTE,
  30 * MINUTE,
  2 * HOUR,
  5 * HOUR,
  10 * HOUR,
  14 * HOUR,
  20 * HOUR,
  24 * HOUR,
];

/** Attempts per event, the first included. */
export const MAX_ATTEMPTS = RETRY_SCHEDULE_MS.length + 1;

/** Each delay is scaled by a factor drawn from [1 - JITTER, 1 + JITTER). */
export const RETRY_JITTER = 0.2;

/** A partner's `Retry-After` may push the next attempt out, but never beyond a day. */
export const MAX_RETRY_AFTER_MS = DAY;

/**
 * The sustained-failure rule: an endpoint is disabled once every attempt for at least five days
 * has failed AND at least ten attempts in a row have failed. Both, because time alone would
 * disable a quiet endpoint after two unlucky attempts days apart, and a count alone would
 * disable a busy endpoint after a few minutes of outage. A 410 Gone disables at once.
 */
export const DISABLE_AFTER_FAILING_MS = 5 * DAY;
export const DISABLE_AFTER_CONSECUTIVE_FAILURES = 10;

export interface RetryOptions {
  /** Uniform in [0, 1); tests pass a fixed value. */
  random?: () => number;
  /** What the endpoint asked for in `Retry-After`, if anything. */
  retryAfterMs?: number;
}

/**
 * Milliseconds to wait before the next attempt, given how many attempts have been made (all
 * failed), or null when the event should be given up.
 *
 * @example
 * nextAttemptDelay(1); // about 5_000: the second attempt comes 5 s after the first
 * nextAttemptDelay(3, { retryAfterMs: 3_600_000 }); // an hour: the partner asked for it
 * nextAttemptDelay(MAX_ATTEMPTS); // null: give up
 */
export function nextAttemptDelay(attempt: number, options: RetryOptions = {}): number | null {
  if (!Number.isInteger(attempt) || attempt < 1) {
    throw new RangeError('attempt counts the attempts already made, from 1');
  }
  const base = RETRY_SCHEDULE_MS[attempt - 1];
  if (base === undefined) return null;

  const random = options.random ?? Math.random;
  const jittered = Math.round(base * (1 - RETRY_JITTER + 2 * RETRY_JITTER * random()));
  const asked = Math.min(Math.max(options.retryAfterMs ?? 0, 0), MAX_RETRY_AFTER_MS);
  return Math.max(jittered, asked);
}

/** How an endpoint has been doing, as the dispatcher keeps it per endpoint. */
export interface EndpointHealth {
  consecutiveFailures: number;
  /** When the current run of failures began; null while the last attempt succeeded. */
  failingSinceMs: number | null;
}

export const HEALTHY: EndpointHealth = { consecutiveFailures: 0, failingSinceMs: null };

export type DisableReason = 'gone' | 'sustained_failure';

export interface HealthUpdate {
  health: EndpointHealth;
  /** Set when the endpoint should be disabled now, with why. */
  disable: DisableReason | null;
}

/**
 * The endpoint's health after one attempt, and whether to disable it now. Any attempt that did
 * not succeed counts as a failure, refused URLs and 4xx answers included; a success resets.
 *
 * @example
 * const { health, disable } = recordAttempt(endpoint.health, result, clock.nowMs());
 * if (disable) await endpoints.disable(endpoint.id, disable);
 */
export function recordAttempt(
  health: EndpointHealth,
  result: { ok: boolean; gone: boolean },
  atMs: number,
): HealthUpdate {
  if (result.ok) return { health: HEALTHY, disable: null };

  const next: EndpointHealth = {
    consecutiveFailures: health.consecutiveFailures + 1,
    failingSinceMs: health.failingSinceMs ?? atMs,
  };
  if (result.gone) return { health: next, disable: 'gone' };
  return { health: next, disable: failingTooLong(next, atMs) ? 'sustained_failure' : null };
}

function failingTooLong(health: EndpointHealth, atMs: number): boolean {
  if (health.failingSinceMs === null) return false;
  return (
    health.consecutiveFailures >= DISABLE_AFTER_CONSECUTIVE_FAILURES &&
    atMs - health.failingSinceMs >= DISABLE_AFTER_FAILING_MS
  );
}
