import { PermanentDeliveryError, RetryableDeliveryError, type OutboxTopic } from './types.js';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

/** How one topic's failed deliveries are retried. */
export interface RetryPolicy {
  /** Ceiling of the first wait; each failure doubles it, up to `maxDelayMs`. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** Attempts, the first included, before the message is dead-lettered. */
  maxAttempts: number;
}

/**
 * Retry schedules per topic. A room is worth retrying only while the slot's hold lasts (two
 * minutes by default), so its schedule is short; a partner's webhook endpoint may be down over
 * a night, so webhook deliveries keep trying for well over a day (expected span about 40 h,
 * at least 24 h once the ceilings are reached). Unknown topics are never dead-lettered: see
 * {@link UNKNOWN_TOPIC_DELAY_MS}.
 */
export const RETRY_POLICIES: Readonly<Record<OutboxTopic, RetryPolicy>> = {
  'video.room.create': { baseDelayMs: 1 * SECOND, maxDelayMs: 20 * SECOND, maxAttempts: 8 },
  'video.room.remove': { baseDelayMs: 5 * SECOND, maxDelayMs: 1 * HOUR, maxAttempts: 20 },
  'event.publish': { baseDelayMs: 1 * SECOND, maxDelayMs: 5 * MINUTE, maxAttempts: 20 },
  'webhook.deliver': { baseDelayMs: 30 * SECOND, maxDelayMs: 4 * HOUR, maxAttempts: 30 },
  'push.send': { baseDelayMs: 5 * SECOND, maxDelayMs: 1 * HOUR, maxAttempts: 15 },
  'booking.reminder': { baseDelayMs: 10 * SECOND, maxDelayMs: 10 * MINUTE, maxAttempts: 10 },
};

/** A message whose topic has no handler in this process waits this long, then is tried again. */
export const UNKNOWN_TOPIC_DELAY_MS = 5 * MINUTE;

/** Where a failed attempt leaves its message. */
export type FailureDecision =
  { kind: 'retry'; availableAtMs: number } | { kind: 'dead'; reason: 'permanent' | 'exhausted' };

/**
 * The wait before the next attempt after attempt number `attempt` (1 for the first) failed:
 * "full jitter" over an exponential ceiling, so messages that failed together spread out over
 * the whole window. A `retryAfterMs` from the other side is a floor.
 *
 * @example
 * backoffMs(3, { baseDelayMs: 1000, maxDelayMs: 60_000, maxAttempts: 5 }, undefined, () => 0.5); // 2000
 */
export function backoffMs(
  attempt: number,
  policy: RetryPolicy,
  retryAfterMs: number | undefined,
  random: () => number,
): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(Math.max(random() * ceiling, retryAfterMs ?? 0));
}

/**
 * Decides what happens to a message whose attempt number `attempts` failed with `error`: dead
 * at once when the failure is permanent, dead when the topic's attempts are spent, otherwise
 * retried after a backoff.
 *
 * @example
 * decideAfterFailure('video.room.create', 1, new Error('503'), Date.now(), Math.random);
 */
export function decideAfterFailure(
  topic: OutboxTopic,
  attempts: number,
  error: unknown,
  nowMs: number,
  random: () => number,
  policies: Readonly<Record<OutboxTopic, RetryPolicy>> = RETRY_POLICIES,
): FailureDecision {
  if (error instanceof PermanentDeliveryError) return { kind: 'dead', reason: 'permanent' };
  const policy = policies[topic];
  if (attempts >= policy.maxAttempts) return { kind: 'dead', reason: 'exhausted' };
  const retryAfterMs = error instanceof RetryableDeliveryError ? error.retryAfterMs : undefined;
  return {
    kind: 'retry',
    availableAtMs: nowMs + backoffMs(attempts, policy, retryAfterMs, random),
  };
}

/** Longest error text kept on a row: enough to diagnose, too short to carry a payload. */
const ERROR_TEXT_CHARS = 300;

/**
 * What is stored as a row's `last_error`: the error's name and message. Handlers throw messages
 * that name ids and statuses only, never patient data.
 */
export function errorText(error: unknown): string {
  const text =
    error instanceof Error
      ? `${error.name}: ${error.message}`
      : `non-error thrown: ${typeof error}`;
  return text.slice(0, ERROR_TEXT_CHARS);
}
