import { serializeEventPayload, type WebhookEvent } from './events.js';
import { signWebhook } from './signing.js';
import { UrlRefusedError, type UrlGuard, type UrlRefusal } from './ssrf.js';

/**
 * One attempt to deliver one event to one partner endpoint. The caller (the outbox dispatcher)
 * owns persistence and scheduling: it records the result, asks retry.ts when to try again and
 * whether to disable the endpoint. This function never throws for anything the endpoint or the
 * network does; every outcome is a result.
 */

export const WEBHOOK_USER_AGENT = 'Tahoon-Webhooks/1';

/** The slice of `fetch` a delivery needs; the global one and pinned-fetch.ts both fit. */
export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

export interface DeliveryInput {
  url: string;
  /** Newest first; both during a rotation (see signing.ts `signingSecrets`). */
  secrets: readonly string[];
  event: WebhookEvent;
  /** Bounds the whole attempt: the SSRF re-check, connecting, and waiting for the status line. */
  timeoutMs: number;
  fetch: FetchLike;
  /** Checked again at every attempt: DNS may have changed since the endpoint was registered. */
  guard: UrlGuard;
  /** Wall clock for `webhook-timestamp` (epoch ms); defaults to the system clock. */
  now?: () => number;
}

/** A closed list, for the delivery log and the partner's dashboard. */
export type DeliveryError =
  'url_refused' | 'unresolvable' | 'timeout' | 'network' | 'redirect' | 'http_status';

export interface DeliveryResult {
  /** The endpoint answered 2xx. */
  ok: boolean;
  status?: number;
  durationMs: number;
  error?: DeliveryError;
  /** A short explanation without the URL, headers or body (they may hold secrets or PHI). */
  detail?: string;
  /** Worth another attempt on the retry schedule. */
  retryable: boolean;
  /** The endpoint answered 410: disable it and stop sending. */
  gone: boolean;
  /** The endpoint's `Retry-After`, when it sent one. */
  retryAfterMs?: number;
}

/**
 * Delivers an event once: re-checks the URL, signs the thin payload and POSTs it without
 * following redirects, within `timeoutMs`.
 *
 * @example
 * const result = await deliverWebhook({
 *   url: endpoint.url, secrets: signingSecrets(endpoint.secrets, clock.nowMs()), event,
 *   timeoutMs: 15_000, fetch: createPinnedFetch(), guard: createNodeUrlGuard(),
 * });
 * if (!result.ok && result.retryable) schedule(nextAttemptDelay(attempt, result));
 */
export async function deliverWebhook(input: DeliveryInput): Promise<DeliveryResult> {
  // A malformed event or secret is a bug upstream, not a failed attempt: these throw.
  const body = serializeEventPayload(input.event);
  const timestampS = Math.floor((input.now ?? Date.now)() / 1000);
  const signed = signWebhook({ id: input.event.id, timestampS, body, secrets: input.secrets });

  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), input.timeoutMs);

  try {
    const check = await untilAborted(input.guard(input.url), controller.signal);
    if (!check.ok) return refused(check.reason, check.detail, elapsed());

    const response = await input.fetch(check.url.href, {
      method: 'POST',
      headers: {
        ...signed,
        'content-type': 'application/json',
        'user-agent': WEBHOOK_USER_AGENT,
      },
      body,
      redirect: 'manual',
      signal: controller.signal,
    });
    // The answer's body is of no use to us; dropping it frees the connection.
    await response.body?.cancel().catch(() => undefined);
    return { ...judgeResponse(response), durationMs: elapsed() };
  } catch (error) {
    return judgeThrown(error, controller.signal, elapsed());
  } finally {
    clearTimeout(timer);
  }
}

/**
 * How a response counts: 2xx succeeds; 410 means gone; 408, 429 and 5xx are worth retrying;
 * 3xx is a failure (the partner should register the final URL) and is not retried, nor is any
 * other 4xx, since sending the same request again will get the same answer.
 */
export function judgeResponse(response: Response): Omit<DeliveryResult, 'durationMs'> {
  const status = response.status;
  const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
  const extra = retryAfterMs === undefined ? {} : { retryAfterMs };

  if (status >= 200 && status < 300) return { ok: true, status, retryable: false, gone: false };
  // A browser-style fetch hides a manual redirect behind status 0.
  if (response.type === 'opaqueredirect' || (status >= 300 && status < 400)) {
    const detail = `answered ${status || 'a redirect'}; redirects are not followed`;
    return { ok: false, status, error: 'redirect', detail, retryable: false, gone: false };
  }
  const retryable = status === 408 || status === 429 || status >= 500;
  const gone = status === 410;
  return {
    ok: false,
    status,
    error: 'http_status',
    detail: `answered ${status}`,
    retryable,
    gone,
    ...extra,
  };
}

/** `Retry-After` as delta seconds or an HTTP date, in milliseconds from now. */
export function parseRetryAfter(value: string | null, nowMs = Date.now()): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(at - nowMs, 0);
}

function judgeThrown(error: unknown, signal: AbortSignal, durationMs: number): DeliveryResult {
  if (signal.aborted) return failed(durationMs, 'timeout', 'no answer in time', true);
  const refusal = refusalIn(error);
  if (refusal) return refused(refusal.reason, refusal.message, durationMs);
  return failed(durationMs, 'network', networkDetail(error), true);
}

/** A name that does not resolve may come back; an address we refuse will not change alone. */
function refused(reason: UrlRefusal, detail: string, durationMs: number): DeliveryResult {
  const unresolvable = reason === 'unresolvable';
  return failed(durationMs, unresolvable ? 'unresolvable' : 'url_refused', detail, unresolvable);
}

/** A refusal thrown by a pinned fetch, directly or as the cause of a wrapped error. */
function refusalIn(error: unknown): UrlRefusedError | null {
  if (error instanceof UrlRefusedError) return error;
  const cause = error instanceof Error ? error.cause : undefined;
  return cause instanceof UrlRefusedError ? cause : null;
}

function failed(
  durationMs: number,
  error: DeliveryError,
  detail: string,
  retryable: boolean,
): DeliveryResult {
  return { ok: false, durationMs, error, detail, retryable, gone: false };
}

/** fetch wraps socket errors as `TypeError('fetch failed')` with the useful part in `cause`. */
function networkDetail(error: unknown): string {
  if (!(error instanceof Error)) return 'the request failed';
  const cause = error.cause;
  const code = typeof cause === 'object' && cause !== null && 'code' in cause ? cause.code : null;
  return typeof code === 'string' ? `${error.message} (${code})` : error.message;
}

/** Races a promise against the attempt's deadline, for steps that take no signal (DNS). */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new Error('aborted'));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
