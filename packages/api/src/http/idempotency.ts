import type { Context, MiddlewareHandler } from 'hono';
import type { Store } from '@tahoon/core';
import { toHex } from '../crypto.js';
import type { AppEnv } from './env.js';
import { problem, problemResponse } from './problem.js';

/** How long a key and its answer are kept: at least a day, as the API reference promises. */
export const IDEMPOTENCY_RETENTION_MS = 24 * 60 * 60_000;

const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

/** Answers worth running again on a retry: nothing was decided, so nothing is remembered. */
const retryable = (status: number) => status >= 500 || status === 429 || status === 401;

/** JSON with its object keys sorted, so a client that re-serializes on retry matches. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) =>
      a < b ? -1 : a > b ? 1 : 0,
    );
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** The request as the key binds it: method, path and query, and the body's meaning. */
async function fingerprintOf(c: Context<AppEnv>): Promise<string> {
  const url = new URL(c.req.url);
  const raw = await c.req.raw.clone().text();
  let body = raw;
  if (c.req.header('content-type')?.includes('json')) {
    try {
      body = canonicalJson(JSON.parse(raw));
    } catch {
      // Not JSON after all: the procedure refuses it; the raw bytes bind the key meanwhile.
    }
  }
  const text = `${c.req.method} ${url.pathname}${url.search}\n${body}`;
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return toHex(new Uint8Array(digest));
}

function refuse(c: Context<AppEnv>, code: 'IDEMPOTENCY_KEY_REUSED' | 'IDEMPOTENCY_IN_PROGRESS') {
  const detail =
    code === 'IDEMPOTENCY_KEY_REUSED'
      ? 'This Idempotency-Key was first used with another request; use a new key for a new request'
      : 'The first request with this Idempotency-Key is still running; retry shortly';
  const headers = code === 'IDEMPOTENCY_IN_PROGRESS' ? { 'retry-after': '1' } : undefined;
  return problemResponse(problem(code, detail, c.get('requestId')), headers);
}

/**
 * Idempotency keys on writes, after the IETF Idempotency-Key draft: the key is scoped to the
 * credential; a completed retry replays the first status and body with `Idempotent-Replayed:
 * true`; the same key with another request is 422; a key whose first request still runs is 409.
 * Requests without a key run as usual.
 */
export function idempotency(store: Store, nowMs: () => number): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const key = c.req.header('idempotency-key');
    const principal = c.get('principal');
    if (!key || !principal || !WRITE_METHODS.has(c.req.method)) return next();
    if (!KEY_PATTERN.test(key)) {
      return problemResponse(
        problem(
          'VALIDATION_FAILED',
          'Idempotency-Key must be 1 to 255 visible ASCII characters',
          c.get('requestId'),
        ),
      );
    }

    const now = nowMs();
    const fingerprint = await fingerprintOf(c);
    const held = await store.idempotency.claim({
      credentialId: principal.credentialId,
      key,
      fingerprint,
      state: 'in_progress',
      status: null,
      body: null,
      contentType: null,
      createdAtMs: now,
      expiresAtMs: now + IDEMPOTENCY_RETENTION_MS,
    });
    if (held) {
      if (held.fingerprint !== fingerprint) return refuse(c, 'IDEMPOTENCY_KEY_REUSED');
      if (held.state !== 'completed' || held.status === null)
        return refuse(c, 'IDEMPOTENCY_IN_PROGRESS');
      const headers: Record<string, string> = { 'idempotent-replayed': 'true' };
      if (held.contentType) headers['content-type'] = held.contentType;
      return new Response(held.body, { status: held.status, headers });
    }

    c.set('requestKey', `${principal.credentialId} ${key}`);
    await next();
    const response = c.res;
    if (retryable(response.status)) {
      await store.idempotency.release(principal.credentialId, key);
      return;
    }
    try {
      await store.idempotency.complete(principal.credentialId, key, {
        status: response.status,
        body: await response.clone().text(),
        contentType: response.headers.get('content-type'),
      });
    } catch (err) {
      // The write itself succeeded; its answer still goes out. A retry then waits for the claim
      // to be treated as abandoned, and the booking rules refuse a second booking of the slot.
      c.get('log').error({ err }, 'idempotent answer could not be stored');
    }
  };
}
