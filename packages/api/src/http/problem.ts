import { ERROR_STATUS, ERROR_TITLE, type ErrorCode, type FieldError } from '@tahoon/core';

/** An RFC 9457 problem document, as every error leaves Tahoon. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ErrorCode;
  requestId: string;
  errors?: FieldError[];
  /** RFC 6749 error member, on the token endpoints only. */
  error?: string;
}

export const PROBLEM_TYPE_BASE = 'https://docs.tahoon.dev/problems/';

export function problem(
  code: ErrorCode,
  detail: string,
  requestId: string,
  errors?: FieldError[],
): Problem {
  return {
    type: PROBLEM_TYPE_BASE + code.toLowerCase().replaceAll('_', '-'),
    title: ERROR_TITLE[code],
    status: ERROR_STATUS[code],
    detail,
    code,
    requestId,
    ...(errors && errors.length > 0 ? { errors } : {}),
  };
}

export function problemResponse(body: Problem, headers?: HeadersInit): Response {
  const response = new Response(JSON.stringify(body), {
    status: body.status,
    headers: { 'content-type': 'application/problem+json', 'cache-control': 'no-store' },
  });
  new Headers(headers).forEach((value, key) => response.headers.set(key, value));
  return response;
}
