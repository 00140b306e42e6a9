import { TahoonError } from '@tahoon/core';

/** What an adapter knows about a failed call that decides whether calling again can help. */
export interface DependencyErrorDetails {
  /** A short stable name for the failure: `TIMEOUT`, `UNAVAILABLE`, `QUOTA_EXCEEDED`, … */
  code: string;
  /** True when the same call may succeed later: network trouble, timeouts, 429 and 5xx. */
  retryable: boolean;
  /** How long the dependency asked us to wait (its `Retry-After`), in milliseconds. */
  retryAfterMs?: number;
  /** The HTTP status the dependency answered with, when it answered at all. */
  status?: number;
}

/**
 * The failure of one call to an outbound dependency, as its adapter classifies it. The
 * resilience policies read `retryable` and `retryAfterMs` to decide whether to try again and
 * when; callers such as the outbox read the same fields to schedule a later delivery.
 *
 * The message names the dependency and the kind of failure only: it is logged, so it must not
 * carry anything a patient wrote or anything that identifies one.
 *
 * @example
 * if (response.status === 503) {
 *   throw new DependencyError('FCM answered 503', { code: 'UNAVAILABLE', retryable: true });
 * }
 */
export class DependencyError extends Error {
  readonly code: string;
  readonly retryable: boolean;
  readonly retryAfterMs: number | undefined;
  readonly status: number | undefined;

  constructor(message: string, details: DependencyErrorDetails, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DependencyError';
    this.code = details.code;
    this.retryable = details.retryable;
    this.retryAfterMs = details.retryAfterMs;
    this.status = details.status;
  }
}

/**
 * Raised by a policy without calling the dependency at all: its breaker is open
 * (`CIRCUIT_OPEN`) or its bulkhead and queue are full (`BULKHEAD_FULL`). Both are worth trying
 * later, never at once, so the policy itself does not retry them.
 *
 * @example
 * if (error instanceof PolicyRejectedError) outbox.reschedule(event, error.retryAfterMs);
 */
export class PolicyRejectedError extends DependencyError {
  constructor(message: string, details: DependencyErrorDetails) {
    super(message, details);
    this.name = 'PolicyRejectedError';
  }
}

/** Whether another attempt may help, and how long the dependency asked us to wait first. */
export interface FailureClass {
  retryable: boolean;
  retryAfterMs?: number;
}

/**
 * Error codes of Node's sockets and of its fetch client that mean the connection failed, not
 * the request: the same request may well succeed on a new connection.
 */
const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

/** How deep to follow `cause` links; real chains are two or three long. */
const MAX_CAUSE_DEPTH = 6;

/**
 * Classifies any thrown value. A {@link DependencyError} (or anything carrying a boolean
 * `retryable`) says so itself; otherwise the `cause` chain is searched for a network failure,
 * a timeout or an HTTP status. A {@link TahoonError} is looked through, since its status says
 * how we answer partners, not what the dependency said. Anything unrecognised is permanent:
 * retrying a bug only repeats it.
 *
 * @example
 * classifyFailure(new TypeError('fetch failed')); // { retryable: true }
 * classifyFailure(new Error('bad input'));         // { retryable: false }
 */
export function classifyFailure(error: unknown): FailureClass {
  let current: unknown = error;
  for (let depth = 0; depth < MAX_CAUSE_DEPTH && isRecord(current); depth++) {
    const found = classifyOne(current);
    if (found) return found;
    current = current.cause;
  }
  return { retryable: false };
}

function classifyOne(error: Record<string, unknown>): FailureClass | undefined {
  if (error instanceof TahoonError) return undefined;
  const retryAfterMs = validDelay(error.retryAfterMs);
  const withDelay = (retryable: boolean) =>
    retryAfterMs === undefined ? { retryable } : { retryable, retryAfterMs };

  if (typeof error.retryable === 'boolean') return withDelay(error.retryable);
  // AbortSignal.timeout() aborts with a DOMException named TimeoutError.
  if (error.name === 'TimeoutError') return withDelay(true);
  if (typeof error.code === 'string' && NETWORK_CODES.has(error.code)) return withDelay(true);
  if (error instanceof TypeError && error.message === 'fetch failed') return withDelay(true);
  if (typeof error.status === 'number') return withDelay(isRetryableStatus(error.status));
  return undefined;
}

/**
 * Statuses worth another attempt: request timeout, too many requests, and server errors other
 * than 501, which says the request itself will never work.
 *
 * @example
 * isRetryableStatus(503); // true
 * isRetryableStatus(404); // false
 */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || (status >= 500 && status <= 599 && status !== 501);
}

/**
 * Reads `Retry-After`, which is either delay seconds or an HTTP date (RFC 9110 §10.2.3), as
 * milliseconds from `nowMs`. Unreadable values give `undefined`; dates in the past give 0.
 *
 * @example
 * parseRetryAfter('2', Date.now()); // 2000
 * parseRetryAfter('Wed, 21 Oct 2037 07:28:00 GMT', Date.now()); // ms until then
 */
export function parseRetryAfter(
  value: string | null | undefined,
  nowMs: number,
): number | undefined {
  if (value === null || value === undefined || value.trim() === '') return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  // Every HTTP date form ends in GMT; without this, Date.parse would read '-5' as a year.
  if (!trimmed.endsWith('GMT')) return undefined;
  const dateMs = Date.parse(trimmed);
  return Number.isNaN(dateMs) ? undefined : Math.max(0, dateMs - nowMs);
}

function validDelay(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}
