import { TRPCError } from '@trpc/server';
import type { TRPC_ERROR_CODE_KEY } from '@trpc/server/rpc';
import { z } from 'zod';
import { TahoonError, toPointer, type ErrorCode, type Failure } from '@tahoon/core';

/** Each Tahoon code travels through tRPC as the tRPC code with the same HTTP status. */
const TRPC_CODE: Record<ErrorCode, TRPC_ERROR_CODE_KEY> = {
  VALIDATION_FAILED: 'BAD_REQUEST',
  UNAUTHENTICATED: 'UNAUTHORIZED',
  FORBIDDEN: 'FORBIDDEN',
  NOT_FOUND: 'NOT_FOUND',
  SLOT_UNAVAILABLE: 'CONFLICT',
  PATIENT_BUSY: 'CONFLICT',
  PATIENT_EXISTS: 'CONFLICT',
  INVALID_STATE: 'CONFLICT',
  IDEMPOTENCY_IN_PROGRESS: 'CONFLICT',
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  UNSUPPORTED_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  NOT_ELIGIBLE: 'UNPROCESSABLE_CONTENT',
  IDEMPOTENCY_KEY_REUSED: 'UNPROCESSABLE_CONTENT',
  RATE_LIMITED: 'TOO_MANY_REQUESTS',
  INTERNAL: 'INTERNAL_SERVER_ERROR',
  UNAVAILABLE: 'SERVICE_UNAVAILABLE',
  SIGNATURE_INVALID: 'UNAUTHORIZED',
};

export function toTrpcError(error: TahoonError): TRPCError {
  return new TRPCError({ code: TRPC_CODE[error.code], message: error.detail, cause: error });
}

const GENERIC_INTERNAL: Failure = {
  code: 'INTERNAL',
  detail: 'The request could not be completed; quote the requestId to support',
};

function fromZod(error: z.ZodError): Failure {
  return {
    code: 'VALIDATION_FAILED',
    detail: 'The request has invalid fields; see errors',
    errors: error.issues.flatMap((issue) =>
      issue.code === 'unrecognized_keys'
        ? issue.keys.map((key) => ({
            pointer: toPointer([...issue.path, key]),
            message: 'is not a known field',
          }))
        : [{ pointer: toPointer(issue.path), message: issue.message }],
    ),
  };
}

const NOT_JSON: Failure = {
  code: 'VALIDATION_FAILED',
  detail: 'The request body is not valid JSON',
};

/** Why this tRPC code reached the edge, when no Tahoon error caused it. */
const FROM_TRPC: Partial<Record<TRPC_ERROR_CODE_KEY, Failure>> = {
  PARSE_ERROR: NOT_JSON,
  BAD_REQUEST: { code: 'VALIDATION_FAILED', detail: 'The request is not valid' },
  NOT_FOUND: { code: 'NOT_FOUND', detail: 'No such operation' },
  METHOD_NOT_SUPPORTED: { code: 'NOT_FOUND', detail: 'No such operation for this method' },
  UNSUPPORTED_MEDIA_TYPE: {
    code: 'UNSUPPORTED_MEDIA_TYPE',
    detail: 'Send the body as application/json',
  },
  PAYLOAD_TOO_LARGE: { code: 'PAYLOAD_TOO_LARGE', detail: 'The request body is too large' },
  UNAUTHORIZED: { code: 'UNAUTHENTICATED', detail: 'Authentication is required' },
};

/**
 * Turns whatever a procedure threw into the failure a client may see. Input validation and
 * domain errors keep their detail; anything else becomes a generic INTERNAL whose cause stays
 * in the log only.
 */
export function classify(error: unknown): { failure: Failure; unexpected: boolean } {
  const cause = error instanceof TRPCError ? error.cause : error;
  if (cause instanceof TahoonError) {
    const failure: Failure = { code: cause.code, detail: cause.detail };
    if (cause.errors) failure.errors = cause.errors;
    return { failure, unexpected: cause.code === 'INTERNAL' };
  }
  if (cause instanceof z.ZodError && error instanceof TRPCError && error.code === 'BAD_REQUEST') {
    return { failure: fromZod(cause), unexpected: false };
  }
  // tRPC reports a body that is not JSON as BAD_REQUEST; say so, as the REST routes do.
  if (error instanceof TRPCError && error.code === 'BAD_REQUEST' && cause instanceof SyntaxError) {
    return { failure: NOT_JSON, unexpected: false };
  }
  if (error instanceof TRPCError && error.code !== 'INTERNAL_SERVER_ERROR') {
    const known = FROM_TRPC[error.code];
    if (known) return { failure: known, unexpected: false };
  }
  return { failure: GENERIC_INTERNAL, unexpected: true };
}
