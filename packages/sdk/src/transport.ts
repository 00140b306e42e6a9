import {
  TahoonApiError,
  TahoonConnectionError,
  type TahoonError,
  codeForStatus,
  isServerErrorCode,
} from './errors.js';
import type { FetchLike, Settings, WriteRequestOptions } from './options.js';
import type { FieldError } from './types.js';

/** First backoff ceiling; each retry doubles it, up to {@link MAX_BACKOFF_MS}. */
const INITIAL_BACKOFF_MS = 500;
const MAX_BACKOFF_MS = 8_000;

/**
 * A `Retry-After` longer than this is not waited out: the caller gets the error (with
 * `retryAfterMs`) and can decide, instead of a call that silently hangs for minutes.
 */
const MAX_RETRY_AFTER_MS = 60_000;

/** Successes are JSON; failures are RFC 9457 problem documents. */
const ACCEPT = 'application/json, application/problem+json';

export type QueryValue = string | number | boolean | undefined;

/** Hands out bearer tokens and learns when one was refused. */
export interface Authorizer {
  token(signal?: AbortSignal): Promise<string>;
  /** Forgets `token` if it is still the current one, so the next `token()` fetches anew. */
  reject(token: string): void;
}

/** One logical call: every attempt of it sends the same request. */
export interface HttpCall {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Starts with `/v1/`. */
  path: string;
  query?: Record<string, QueryValue> | undefined;
  json?: unknown;
  form?: Record<string, string>;
  headers?: Record<string, string>;
  /** Absent only for the token endpoint itself. */
  auth?: Authorizer;
  idempotencyKey?: string | undefined;
  options: WriteRequestOptions;
}

/** A successful response, its body parsed. */
export interface Reply {
  status: number;
  body: unknown;
  /** Empty when the response had no `X-Request-Id`, which the gateway always sends. */
  requestId: string;
}

interface RawResponse {
  status: number;
  headers: Headers;
  text: string;
}

type Outcome = { ok: true; reply: Reply } | { ok: false; error: TahoonError };

/**
 * Sends a call, retrying network failures, timeouts, 429 and 5xx (but not 501) with backoff, and
 * replacing a refused token once.
 */
export async function send(settings: Settings, call: HttpCall): Promise<Reply> {
  const maxRetries = call.options.maxRetries ?? settings.maxRetries;
  const signal = call.options.signal;
  let retries = 0;
  let reauthorized = false;

  for (;;) {
    throwIfAborted(signal);
    const token = call.auth ? await call.auth.token(signal) : undefined;
    const outcome = await attempt(settings, call, token);
    if (outcome.ok) return outcome.reply;

    const { error } = outcome;
    // A refused signature is not cured by a new token.
    const tokenRefused = error.status === 401 && error.code !== 'SIGNATURE_INVALID';
    if (call.auth && token !== undefined && tokenRefused && !reauthorized) {
      // A token can be revoked or outlive a key rotation before it expires: one fresh token,
      // one more attempt, not counted as a retry.
      reauthorized = true;
      call.auth.reject(token);
      continue;
    }

    const delay = retries < maxRetries ? retryDelay(error, retries) : undefined;
    if (delay === undefined) throw error;
    await sleep(delay, signal);
    retries += 1;
  }
}

async function attempt(settings: Settings, call: HttpCall, token?: string): Promise<Outcome> {
  const headers: Record<string, string> = { accept: ACCEPT, ...call.headers };
  let body: string | undefined;
  if (call.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(call.json);
  } else if (call.form !== undefined) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(call.form).toString();
  }
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  if (call.idempotencyKey !== undefined) headers['idempotency-key'] = call.idempotencyKey;

  const url = buildUrl(settings.baseUrl, call.path, call.query);
  // Every attempt is signed afresh: a retry needs a new nonce and a current timestamp.
  if (settings.signer && call.auth) {
    Object.assign(headers, await settings.signer.headers(call.method, url, body));
  }
  const init: RequestInit =
    body === undefined ? { method: call.method, headers } : { method: call.method, headers, body };
  const timeoutMs = call.options.timeoutMs ?? settings.timeoutMs;
  const raw = await exchange(settings.fetch, url, init, timeoutMs, call.options.signal);
  if (raw instanceof TahoonConnectionError) return { ok: false, error: raw };
  return readResponse(raw);
}

/** One fetch with its body read, both inside the timeout. Never throws. */
async function exchange(
  fetchFn: FetchLike,
  url: string,
  init: RequestInit,
  timeoutMs: number,
  signal: AbortSignal | undefined,
): Promise<RawResponse | TahoonConnectionError> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  const forward = () => controller.abort(signal?.reason);
  signal?.addEventListener('abort', forward);

  try {
    const response = await fetchFn(url, { ...init, signal: controller.signal });
    const text = await response.text();
    return { status: response.status, headers: response.headers, text };
  } catch (cause) {
    if (signal?.aborted) return abortedError(signal);
    if (controller.signal.aborted) {
      return new TahoonConnectionError(
        'TIMEOUT',
        `No complete response within ${timeoutMs} ms`,
        cause,
      );
    }
    const reason = cause instanceof Error ? cause.message : String(cause);
    return new TahoonConnectionError(
      'CONNECTION_FAILED',
      `Could not reach ${new URL(url).origin}: ${reason}`,
      cause,
    );
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', forward);
  }
}

function readResponse(raw: RawResponse): Outcome {
  const headerId = raw.headers.get('x-request-id') ?? undefined;
  if (raw.status < 200 || raw.status > 299)
    return { ok: false, error: problemError(raw, headerId) };

  const body = parseJson(raw.text);
  if (body === undefined) {
    const error = new TahoonApiError({
      code: 'UNEXPECTED_RESPONSE',
      status: raw.status,
      requestId: headerId,
      detail: `The ${raw.status} response has no JSON body`,
    });
    return { ok: false, error };
  }
  return { ok: true, reply: { status: raw.status, body, requestId: headerId ?? '' } };
}

/** Reads an RFC 9457 problem document, or makes the best of a body that is not one. */
function problemError(raw: RawResponse, headerId: string | undefined): TahoonApiError {
  const parsed = parseJson(raw.text);
  const problem: Record<string, unknown> = isRecord(parsed) ? parsed : {};
  const code = isServerErrorCode(problem.code) ? problem.code : codeForStatus(raw.status);
  const fallback =
    parsed === undefined
      ? `The server answered ${raw.status} with a body that is not JSON`
      : `The server answered ${raw.status}`;

  return new TahoonApiError({
    code,
    status: raw.status,
    requestId: text(problem.requestId) ?? headerId,
    detail: text(problem.detail) ?? text(problem.error_description) ?? fallback,
    errors: fieldErrors(problem.errors),
    type: text(problem.type),
    title: text(problem.title),
    retryAfterMs: parseRetryAfter(raw.headers.get('retry-after')),
    oauthError: text(problem.error),
  });
}

/** How long to wait before the next attempt, or `undefined` when the error is final. */
function retryDelay(error: TahoonError, retries: number): number | undefined {
  if (error instanceof TahoonConnectionError) {
    return error.code === 'ABORTED' ? undefined : backoff(retries);
  }
  if (!(error instanceof TahoonApiError) || !isRetryableStatus(error.status)) return undefined;
  if (error.retryAfterMs === undefined) return backoff(retries);
  return error.retryAfterMs <= MAX_RETRY_AFTER_MS ? error.retryAfterMs : undefined;
}

function isRetryableStatus(status: number): boolean {
  // 501 means the server will never do this; retrying cannot help.
  return status === 429 || (status >= 500 && status !== 501);
}

/** Full jitter: a uniform wait up to an exponentially growing ceiling spreads out retry storms. */
function backoff(retries: number): number {
  return Math.random() * Math.min(MAX_BACKOFF_MS, INITIAL_BACKOFF_MS * 2 ** retries);
}

/** `Retry-After` as delay-seconds or an HTTP date, in milliseconds from now. */
export function parseRetryAfter(value: string | null, nowMs = Date.now()): number | undefined {
  if (value === null) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;

  // Only IMF-fixdate (and its obsolete siblings) end in GMT; Date.parse would also accept "1.5".
  if (!trimmed.endsWith('GMT')) return undefined;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

function buildUrl(baseUrl: string, path: string, query?: Record<string, QueryValue>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value !== undefined) params.append(key, String(value));
  }
  const search = params.toString();
  return baseUrl + path + (search === '' ? '' : `?${search}`);
}

/** Waits, unless the signal aborts first. */
function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return untilAborted(new Promise((resolve) => setTimeout(resolve, ms)), signal);
}

/** Settles like `promise`, or rejects with `ABORTED` as soon as `signal` aborts. */
export function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise;
  if (signal.aborted) return Promise.reject(abortedError(signal));

  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortedError(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortedError(signal);
}

function abortedError(signal: AbortSignal): TahoonConnectionError {
  return new TahoonConnectionError('ABORTED', 'The call was aborted by its signal', signal.reason);
}

function parseJson(body: string): unknown {
  if (body.trim() === '') return undefined;
  try {
    return JSON.parse(body) as unknown;
  } catch {
    return undefined;
  }
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function fieldErrors(value: unknown): FieldError[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((item: unknown) => {
    if (!isRecord(item) || typeof item.pointer !== 'string' || typeof item.message !== 'string') {
      return [];
    }
    return [{ pointer: item.pointer, message: item.message }];
  });
}
