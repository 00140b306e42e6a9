import type { FieldError } from './types.js';

/**
 * The codes Tahoon's server answers with, each with exactly one HTTP status.
 *
 * @example
 * const code: ServerErrorCode = 'SLOT_UNAVAILABLE'; // always 409
 */
export type ServerErrorCode =
  | 'VALIDATION_FAILED'
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'SLOT_UNAVAILABLE'
  | 'PATIENT_BUSY'
  | 'PATIENT_EXISTS'
  | 'INVALID_STATE'
  | 'IDEMPOTENCY_IN_PROGRESS'
  | 'PAYLOAD_TOO_LARGE'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'NOT_ELIGIBLE'
  | 'IDEMPOTENCY_KEY_REUSED'
  | 'RATE_LIMITED'
  | 'INTERNAL'
  | 'UNAVAILABLE'
  | 'SIGNATURE_INVALID';

/**
 * Codes of errors where a response arrived: the server's codes, plus `UNEXPECTED_RESPONSE` for
 * an answer the SDK could not read as Tahoon's (an HTML page from a proxy, a status no code
 * belongs to, a success whose body is not JSON).
 *
 * @example
 * const code: ApiErrorCode = 'UNEXPECTED_RESPONSE';
 */
export type ApiErrorCode = ServerErrorCode | 'UNEXPECTED_RESPONSE';

/**
 * Codes of errors where no response arrived: the connection failed, the attempt ran past
 * `timeoutMs`, or your `signal` aborted the call. These never come from the server.
 *
 * @example
 * const code: ConnectionErrorCode = 'TIMEOUT';
 */
export type ConnectionErrorCode = 'CONNECTION_FAILED' | 'TIMEOUT' | 'ABORTED';

/**
 * Every `code` a {@link TahoonError} can carry.
 *
 * @example
 * function isRetryLater(code: TahoonErrorCode) {
 *   return code === 'RATE_LIMITED' || code === 'UNAVAILABLE' || code === 'TIMEOUT';
 * }
 */
export type TahoonErrorCode = ApiErrorCode | ConnectionErrorCode;

const SERVER_STATUS: Record<ServerErrorCode, number> = {
  VALIDATION_FAILED: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  SLOT_UNAVAILABLE: 409,
  PATIENT_BUSY: 409,
  PATIENT_EXISTS: 409,
  INVALID_STATE: 409,
  IDEMPOTENCY_IN_PROGRESS: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  NOT_ELIGIBLE: 422,
  IDEMPOTENCY_KEY_REUSED: 422,
  RATE_LIMITED: 429,
  INTERNAL: 500,
  UNAVAILABLE: 503,
  SIGNATURE_INVALID: 401,
};

/** True for a code string the server documents. */
export function isServerErrorCode(value: unknown): value is ServerErrorCode {
  return typeof value === 'string' && Object.hasOwn(SERVER_STATUS, value);
}

/**
 * The code a status stands for when the body names none (a proxy's page, a bare 429). A status
 * shared by several codes (409) says too little to pick one.
 */
export function codeForStatus(status: number): ApiErrorCode {
  if (status === 502 || status === 504) return 'UNAVAILABLE';
  // A bare 401 is a refused token; a refused signature always names its code.
  if (status === 401) return 'UNAUTHENTICATED';
  const matches = Object.entries(SERVER_STATUS).filter(([, s]) => s === status);
  const only = matches.length === 1 ? matches[0]?.[0] : undefined;
  return isServerErrorCode(only) ? only : 'UNEXPECTED_RESPONSE';
}

interface ErrorFields {
  code: TahoonErrorCode;
  detail: string;
  status?: number | undefined;
  requestId?: string | undefined;
  errors?: readonly FieldError[] | undefined;
  type?: string | undefined;
  title?: string | undefined;
  cause?: unknown;
}

/**
 * Every error the SDK throws for a call that did not succeed. `switch (err.code)` tells the
 * cases apart; `requestId` is what Tahoon support asks for.
 *
 * @example
 * try {
 *   await client.bookings.create(input);
 * } catch (err) {
 *   if (!(err instanceof TahoonError)) throw err;
 *   switch (err.code) {
 *     case 'SLOT_UNAVAILABLE':
 *       return offerOtherSlots();
 *     case 'VALIDATION_FAILED':
 *       return showFieldErrors(err.errors);
 *     default:
 *       log.error({ code: err.code, requestId: err.requestId }, 'booking failed');
 *       throw err;
 *   }
 * }
 */
export class TahoonError extends Error {
  readonly code: TahoonErrorCode;
  /** HTTP status of the response; `undefined` when no response arrived. */
  readonly status: number | undefined;
  /** The server's `X-Request-Id` for this call; `undefined` when no response arrived. */
  readonly requestId: string | undefined;
  /** A human explanation for developers, not for patients. */
  readonly detail: string;
  /** Per-field problems of a `VALIDATION_FAILED`; empty otherwise. */
  readonly errors: readonly FieldError[];
  /** The problem document's `type` URI. */
  readonly type: string | undefined;
  /** The problem document's short `title`. */
  readonly title: string | undefined;

  constructor(fields: ErrorFields) {
    super(describe(fields), fields.cause === undefined ? undefined : { cause: fields.cause });
    this.name = 'TahoonError';
    this.code = fields.code;
    this.status = fields.status;
    this.requestId = fields.requestId;
    this.detail = fields.detail;
    this.errors = fields.errors ?? [];
    this.type = fields.type;
    this.title = fields.title;
  }
}

/**
 * The server answered, with a status that is not a success (or with a success the SDK could not
 * read: `UNEXPECTED_RESPONSE`).
 *
 * @example
 * if (err instanceof TahoonApiError && err.status === 409) refreshSlots();
 */
export class TahoonApiError extends TahoonError {
  declare readonly code: ApiErrorCode;
  declare readonly status: number;
  /**
   * How long the server asked to wait before trying again (`Retry-After`), in milliseconds.
   * Set on 429 and 503 answers that carry the header.
   */
  readonly retryAfterMs: number | undefined;
  /** The RFC 6749 `error` (e.g. `invalid_client`) when the token endpoint refused. */
  readonly oauthError: string | undefined;

  constructor(
    fields: ErrorFields & {
      code: ApiErrorCode;
      status: number;
      retryAfterMs?: number | undefined;
      oauthError?: string | undefined;
    },
  ) {
    super(fields);
    this.name = 'TahoonApiError';
    this.retryAfterMs = fields.retryAfterMs;
    this.oauthError = fields.oauthError;
  }
}

/**
 * No response arrived: the network failed (`CONNECTION_FAILED`), an attempt took longer than
 * `timeoutMs` (`TIMEOUT`), or your `signal` aborted the call (`ABORTED`). The first two are
 * retried before this is thrown; the original failure is in `cause`.
 *
 * @example
 * if (err instanceof TahoonConnectionError && err.code === 'TIMEOUT') showTryAgainLater();
 */
export class TahoonConnectionError extends TahoonError {
  declare readonly code: ConnectionErrorCode;
  declare readonly status: undefined;

  constructor(code: ConnectionErrorCode, detail: string, cause?: unknown) {
    super({ code, detail, cause });
    this.name = 'TahoonConnectionError';
  }
}

function describe(fields: ErrorFields): string {
  const request = fields.requestId ? ` (request ${fields.requestId})` : '';
  return `${fields.code}: ${fields.detail}${request}`;
}
