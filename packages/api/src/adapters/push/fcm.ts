import type { Logger } from 'pino';
import { DependencyError, parseRetryAfter } from '../../resilience/errors.js';
import type { ResiliencePolicy } from '../../resilience/policies.js';
import { createAccessTokens } from './google-token.js';
import type { ServiceAccount } from './google-token.js';
import type { PushMessage, PushResult, PushSender } from './types.js';

export const FCM_API_BASE = 'https://fcm.googleapis.com';

/** FCM's own error codes, from an error answer's `details` (google.firebase.fcm.v1.FcmError). */
export type FcmErrorCode =
  | 'UNSPECIFIED_ERROR'
  | 'INVALID_ARGUMENT'
  | 'UNREGISTERED'
  | 'SENDER_ID_MISMATCH'
  | 'QUOTA_EXCEEDED'
  | 'UNAVAILABLE'
  | 'INTERNAL'
  | 'THIRD_PARTY_AUTH_ERROR';

/**
 * The only FCM codes worth another attempt: overload, an internal fault and a rate limit.
 * Every other answer means this message, token or project setup is wrong and stays wrong.
 */
const RETRYABLE_CODES: ReadonlySet<string> = new Set(['UNAVAILABLE', 'INTERNAL', 'QUOTA_EXCEEDED']);

const FCM_ERROR_TYPE = 'type.googleapis.com/google.firebase.fcm.v1.FcmError';

/** Longest device token accepted; real ones are a few hundred characters. */
const MAX_DEVICE_TOKEN_CHARS = 4096;

/**
 * One failed call to FCM or to its token endpoint. `code` is FCM's error code when FCM gave
 * one, else the google.rpc status, else `HTTP_<status>`; transport failures are `NETWORK` and
 * `TIMEOUT`. The message holds the status and code only, never the device token.
 *
 * @example
 * if (error instanceof FcmError && error.code === 'UNREGISTERED') devices.forget(token);
 */
export class FcmError extends DependencyError {
  constructor(
    message: string,
    details: ConstructorParameters<typeof DependencyError>[1],
    options?: { cause?: unknown },
  ) {
    super(message, details, options);
    this.name = 'FcmError';
  }
}

export type PushLogger = Pick<Logger, 'info' | 'warn'>;

export interface FcmPushOptions {
  serviceAccount: ServiceAccount;
  /** FCM's API root; tests point it at a local fake. */
  apiBase?: string;
  /** Overrides the service account's `token_uri`; tests point it at a local fake. */
  tokenUri?: string;
  /**
   * Retries, breaker and bulkhead for the `fcm` dependency, shared by every sender in the
   * process. Without one, each notification gets exactly one attempt.
   */
  policy?: ResiliencePolicy;
  logger?: PushLogger;
  fetch?: typeof globalThis.fetch;
  /** The time in milliseconds: for token expiry, assertion claims and `Retry-After` dates. */
  now?: () => number;
  /** Bound on each HTTP request, to FCM or to the token endpoint. */
  requestTimeoutMs?: number;
}

/** One HTTP answer from FCM, read whole. */
interface Answer {
  status: number;
  retryAfter: string | null;
  body: unknown;
}

/**
 * Push notifications through FCM's HTTP v1 API (`POST /v1/projects/{id}/messages:send`),
 * authorised by OAuth access tokens minted from a service account. Uses `fetch` and jose
 * only, so it runs wherever the gateway does.
 *
 * Every outcome is a {@link PushResult}: `UNREGISTERED` says to remove the device token,
 * FCM's overload, internal and quota errors (and network failures and timeouts) are
 * retryable, through the policy when one is given; everything else is permanent.
 *
 * A 401 without an FCM error code means our access token went stale (revoked, or clocks
 * disagree): the token is minted anew and the send repeated once, within the same attempt.
 *
 * @example
 * const push = createFcmPush({ serviceAccount, policy: createPolicy('fcm', {}, logger) });
 * const result = await push.send({
 *   deviceToken,
 *   notification: bookingNotification({ type: 'booking.confirmed', bookingId }),
 * });
 * if (result.status === 'remove-token') await devices.forget(deviceToken);
 */
export function createFcmPush(options: FcmPushOptions): PushSender {
  const { serviceAccount, policy, logger, requestTimeoutMs = 10_000 } = options;
  if (!(requestTimeoutMs > 0)) throw new RangeError('requestTimeoutMs must be positive');

  const apiBase = (options.apiBase ?? FCM_API_BASE).replace(/\/+$/, '');
  const project = encodeURIComponent(serviceAccount.project_id);
  const sendUrl = `${apiBase}/v1/projects/${project}/messages:send`;
  const now = options.now ?? Date.now;
  // Called through a wrapper because some runtimes refuse a detached `fetch`.
  const fetchImpl = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const tokens = createAccessTokens({
    serviceAccount,
    ...(options.tokenUri ? { tokenUri: options.tokenUri } : {}),
    fetch: fetchImpl,
    now,
    timeoutMs: requestTimeoutMs,
  });

  async function post(token: string, payload: string, signal?: AbortSignal): Promise<Answer> {
    const deadline = AbortSignal.timeout(requestTimeoutMs);
    const bounded = signal ? AbortSignal.any([signal, deadline]) : deadline;
    const headers = {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json; charset=utf-8',
      accept: 'application/json',
    };
    try {
      const init = { method: 'POST', headers, body: payload, signal: bounded };
      const response = await fetchImpl(sendUrl, init);
      const text = await response.text();
      return {
        status: response.status,
        retryAfter: response.headers.get('retry-after'),
        body: parseJson(text),
      };
    } catch (error) {
      // The caller (or the policy's deadline) gave up: hand back its reason, not ours.
      if (signal?.aborted) throw signal.reason;
      if (deadline.aborted) {
        const message = `FCM did not answer within ${requestTimeoutMs} ms`;
        throw new FcmError(message, { code: 'TIMEOUT', retryable: true }, { cause: error });
      }
      throw new FcmError(
        'FCM could not be reached',
        { code: 'NETWORK', retryable: true },
        { cause: error },
      );
    }
  }

  /** One attempt: returns FCM's message name, or throws an {@link FcmError}. */
  async function sendOnce(payload: string, signal?: AbortSignal): Promise<string> {
    let token = await tokens.get();
    let answer = await post(token, payload, signal);
    if (isStaleToken(answer)) {
      tokens.invalidate(token);
      token = await tokens.get();
      answer = await post(token, payload, signal);
    }
    if (answer.status >= 200 && answer.status < 300) return messageName(answer);
    throw fcmFailure(answer.status, answer.body, parseRetryAfter(answer.retryAfter, now()));
  }

  return {
    name: 'fcm',

    async send(message: PushMessage, signal?: AbortSignal): Promise<PushResult> {
      const problem = deviceTokenProblem(message.deviceToken);
      if (problem)
        return { status: 'failed', code: 'INVALID_ARGUMENT', retryable: false, reason: problem };
      const payload = JSON.stringify(fcmRequestBody(message));

      try {
        const messageId = policy
          ? await policy.execute((attempt) => sendOnce(payload, attempt.signal), signal)
          : await sendOnce(payload, signal);
        return { status: 'sent', messageId };
      } catch (error) {
        if (signal?.aborted) throw signal.reason;
        const result = failureResult(error);
        logger?.warn({ dependency: 'fcm', ...resultFields(result) }, 'push not delivered');
        return result;
      }
    },
  };
}

/**
 * The FCM error for an answer that was not a success. FCM's own code (in `details`) decides;
 * without one, the HTTP status says what kind of trouble it was, and a front end's 502 or 504
 * page counts as FCM being unavailable.
 *
 * @example
 * fcmFailure(404, { error: { status: 'NOT_FOUND', details: [{ '@type': '…FcmError',
 *   errorCode: 'UNREGISTERED' }] } }, undefined).code; // 'UNREGISTERED'
 */
export function fcmFailure(
  status: number,
  body: unknown,
  retryAfterMs: number | undefined,
): FcmError {
  const code = fcmErrorCode(body) ?? codeFromStatus(status, rpcStatus(body));
  return new FcmError(`FCM answered ${status} ${code}`, {
    code,
    retryable: RETRYABLE_CODES.has(code),
    status,
    ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
  });
}

function codeFromStatus(status: number, rpc: string | undefined): string {
  if (status === 429) return 'QUOTA_EXCEEDED';
  if (status === 500) return 'INTERNAL';
  if (status === 502 || status === 503 || status === 504) return 'UNAVAILABLE';
  return rpc ?? `HTTP_${status}`;
}

/** FCM's error code from `error.details[]`, where the FcmError entry carries it. */
function fcmErrorCode(body: unknown): string | undefined {
  const details = errorOf(body)?.details;
  if (!Array.isArray(details)) return undefined;
  for (const detail of details) {
    if (
      isRecord(detail) &&
      detail['@type'] === FCM_ERROR_TYPE &&
      typeof detail.errorCode === 'string'
    ) {
      return detail.errorCode;
    }
  }
  return undefined;
}

function rpcStatus(body: unknown): string | undefined {
  const status = errorOf(body)?.status;
  return typeof status === 'string' && /^[A-Z_]+$/.test(status) ? status : undefined;
}

function errorOf(body: unknown): Record<string, unknown> | undefined {
  return isRecord(body) && isRecord(body.error) ? body.error : undefined;
}

/** A 401 that names no FCM error is about our access token, which a new one may fix. */
function isStaleToken(answer: Answer): boolean {
  return answer.status === 401 && fcmErrorCode(answer.body) === undefined;
}

function messageName(answer: Answer): string {
  const name = isRecord(answer.body) ? answer.body.name : undefined;
  if (typeof name === 'string' && name.length > 0) return name;
  // FCM always names what it accepted. A success without a name came from something in
  // between; sending again could deliver twice, so this is not retried.
  throw new FcmError(`FCM answered ${answer.status} without a message name`, {
    code: 'BAD_RESPONSE',
    retryable: false,
    status: answer.status,
  });
}

/** The request FCM's v1 API expects; the notification carries no more than its builder put in. */
function fcmRequestBody(message: PushMessage) {
  const { title, body, data } = message.notification;
  return {
    message: { token: message.deviceToken, notification: { title, body }, data: { ...data } },
  };
}

function deviceTokenProblem(token: unknown): string | undefined {
  if (typeof token !== 'string' || token.length === 0) return 'the device token is missing';
  if (token.length > MAX_DEVICE_TOKEN_CHARS || /\s/.test(token))
    return 'the device token is malformed';
  return undefined;
}

/** Turns a failed delivery into its result. Anything but a dependency failure is a bug. */
function failureResult(error: unknown): PushResult {
  if (!(error instanceof DependencyError)) throw error;
  if (error.code === 'UNREGISTERED') {
    return {
      status: 'remove-token',
      code: 'UNREGISTERED',
      reason: 'the device token is no longer registered',
    };
  }
  return {
    status: 'failed',
    code: error.code,
    retryable: error.retryable,
    ...(error.retryAfterMs === undefined ? {} : { retryAfterMs: error.retryAfterMs }),
    reason: error.message,
  };
}

function resultFields(result: PushResult) {
  if (result.status === 'failed') return { code: result.code, retryable: result.retryable };
  return result.status === 'remove-token' ? { code: result.code } : {};
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}
