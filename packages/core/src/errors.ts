/**
 * The closed list of error codes Tahoon answers with. Each code has exactly one HTTP status, so
 * partners can `switch (err.code)` without reading the status.
 *
 * @example
 * if (failure.code === 'SLOT_UNAVAILABLE') offerOtherSlots();
 */
export const ERROR_STATUS = {
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
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export const ERROR_CODES = Object.keys(ERROR_STATUS) as ErrorCode[];

/** Short human titles for problem documents, one per code. */
export const ERROR_TITLE: Record<ErrorCode, string> = {
  VALIDATION_FAILED: 'The request is not valid',
  UNAUTHENTICATED: 'Authentication is required',
  FORBIDDEN: 'This credential may not do that',
  NOT_FOUND: 'No such resource',
  SLOT_UNAVAILABLE: 'That slot is not available',
  PATIENT_BUSY: 'The patient already has a session at that time',
  PATIENT_EXISTS: 'A patient with that externalId already exists',
  INVALID_STATE: 'The resource is not in a state that allows this',
  IDEMPOTENCY_IN_PROGRESS: 'A request with this Idempotency-Key is still running',
  PAYLOAD_TOO_LARGE: 'The request body is too large',
  UNSUPPORTED_MEDIA_TYPE: 'The request body must be JSON',
  NOT_ELIGIBLE: 'The request is not eligible',
  IDEMPOTENCY_KEY_REUSED: 'This Idempotency-Key was used for a different request',
  RATE_LIMITED: 'Too many requests',
  INTERNAL: 'Something went wrong on our side',
  UNAVAILABLE: 'A dependency is unavailable; try again',
  SIGNATURE_INVALID: 'The request signature is missing or not valid',
};

/** One problem with one field of the input, addressed by a JSON pointer (RFC 6901). */
export interface FieldError {
  pointer: string;
  message: string;
}

/** An expected failure of a domain operation: a value, not an exception. */
export interface Failure {
  code: ErrorCode;
  detail: string;
  errors?: FieldError[];
}

export type Result<T> = { ok: true; value: T } | { ok: false; failure: Failure };

export const ok = <T>(value: T): Result<T> => ({ ok: true, value });

export const fail = <T = never>(
  code: ErrorCode,
  detail: string,
  errors?: FieldError[],
): Result<T> => ({ ok: false, failure: errors ? { code, detail, errors } : { code, detail } });

/**
 * Thrown at the edge (API handlers, adapters) to carry a {@link Failure} up to the one error
 * handler that renders it. Core functions return {@link Result}s instead.
 *
 * @example
 * throw new TahoonError({ code: 'NOT_FOUND', detail: 'No patient pat_123' });
 */
export class TahoonError extends Error {
  readonly code: ErrorCode;
  readonly detail: string;
  readonly errors: FieldError[] | undefined;

  constructor(failure: Failure, options?: { cause?: unknown }) {
    super(failure.detail, options);
    this.name = 'TahoonError';
    this.code = failure.code;
    this.detail = failure.detail;
    this.errors = failure.errors;
  }

  get status(): number {
    return ERROR_STATUS[this.code];
  }
}

/** Unwraps a result at the edge: the value, or a thrown {@link TahoonError}. */
export function unwrap<T>(result: Result<T>): T {
  if (!result.ok) throw new TahoonError(result.failure);
  return result.value;
}

/** Turns a JSON path (as zod reports it) into a JSON pointer. */
export function toPointer(path: readonly PropertyKey[]): string {
  return path
    .map((part) => '/' + String(part).replaceAll('~', '~0').replaceAll('/', '~1'))
    .join('');
}
