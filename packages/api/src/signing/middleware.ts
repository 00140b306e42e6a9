import type { Context, MiddlewareHandler } from 'hono';
import {
  NONCE_PATTERN,
  NONCE_RETENTION_SECONDS,
  SHA256_HEX_PATTERN,
  SIGNATURE_HEADERS,
  SIGNATURE_VALUE_PATTERN,
  SIGNATURE_WINDOW_SECONDS,
  signingKeyStatus,
  TIMESTAMP_PATTERN,
  isId,
  type SignedParts,
  type SigningKeyRecord,
} from '@tahoon/core';
import type { Principal } from '../auth.js';
import type { Deps } from '../deps.js';
import type { AppEnv } from '../http/env.js';
import { problem, problemResponse, type Problem } from '../http/problem.js';
import { secretContext } from './keys.js';
import { signingRequired } from './requirement.js';
import { importSigningSecret, macMatches, sha256Hex } from './recipe.js';

/** Expired nonces are deleted at most this often per instance. */
const NONCE_PURGE_INTERVAL_MS = 60_000;

/** `lastUsedAt` is written at most this often per key, not on every request. */
const TOUCH_INTERVAL_MS = 60_000;

/** Imported HMAC keys kept per instance; the oldest is dropped first. */
const KEY_CACHE_MAX = 1_000;

const HEADER_NAMES = {
  keyId: 'Tahoon-Signature-Key',
  timestamp: 'Tahoon-Timestamp',
  nonce: 'Tahoon-Nonce',
  contentSha256: 'Tahoon-Content-SHA256',
  signature: 'Tahoon-Signature',
} as const;

type HeaderField = keyof typeof HEADER_NAMES;

/** Why a signature was refused: the problem's detail. */
class Refusal {
  constructor(readonly detail: string) {}
}

interface SignatureHeaders {
  keyId: string;
  timestamp: string;
  nonce: string;
  contentSha256: string;
  mac: string;
}

function readHeaders(c: Context<AppEnv>): Partial<Record<HeaderField, string>> {
  const found: Partial<Record<HeaderField, string>> = {};
  for (const field of Object.keys(SIGNATURE_HEADERS) as HeaderField[]) {
    const value = c.req.header(SIGNATURE_HEADERS[field]);
    if (value !== undefined) found[field] = value;
  }
  return found;
}

/** Every header present and well formed, or the first problem. */
function parseHeaders(found: Partial<Record<HeaderField, string>>): SignatureHeaders | Refusal {
  const missing = (Object.keys(HEADER_NAMES) as HeaderField[]).filter((f) => !found[f]);
  if (missing.length > 0) {
    const names = missing.map((f) => HEADER_NAMES[f]).join(', ');
    return new Refusal(`A signed request needs every signature header; missing: ${names}`);
  }
  const { keyId = '', timestamp = '', nonce = '', contentSha256 = '', signature = '' } = found;
  if (!isId('sgk', keyId)) {
    return new Refusal('Tahoon-Signature-Key must be a signing key id (sgk_…)');
  }
  if (!TIMESTAMP_PATTERN.test(timestamp)) {
    return new Refusal('Tahoon-Timestamp must be the time in whole Unix seconds');
  }
  if (!NONCE_PATTERN.test(nonce)) {
    return new Refusal('Tahoon-Nonce must be 16 to 64 characters of A-Z, a-z, 0-9, - and _');
  }
  if (!SHA256_HEX_PATTERN.test(contentSha256)) {
    return new Refusal('Tahoon-Content-SHA256 must be 64 lowercase hex digits');
  }
  const mac = SIGNATURE_VALUE_PATTERN.exec(signature)?.[1];
  if (!mac) return new Refusal('Tahoon-Signature must be v1= and 64 lowercase hex digits');
  return { keyId, timestamp, nonce, contentSha256, mac };
}

function outsideWindow(timestamp: string, nowMs: number): Refusal | null {
  const skewS = Math.abs(Math.floor(nowMs / 1000) - Number(timestamp));
  if (skewS <= SIGNATURE_WINDOW_SECONDS) return null;
  return new Refusal(
    `Tahoon-Timestamp is ${skewS} seconds from the server's clock; ` +
      `at most ${SIGNATURE_WINDOW_SECONDS} are accepted`,
  );
}

/** The raw body's hash, without consuming the body the handlers will read. */
async function bodyHash(c: Context<AppEnv>): Promise<string> {
  if (c.req.method === 'GET' || c.req.method === 'HEAD') return sha256Hex();
  return sha256Hex(new Uint8Array(await c.req.raw.clone().arrayBuffer()));
}

/** The path and query of the request line. */
function targetOf(c: Context<AppEnv>): string {
  const url = new URL(c.req.url);
  return url.pathname + url.search;
}

/** JSON-RPC's code for UNAUTHORIZED, as tRPC sends it. */
const TRPC_UNAUTHORIZED = -32001;

/**
 * The refusal as a tRPC client expects it on /trpc (one error per call of a batch), and as a
 * problem document everywhere else; both carry the same problem.
 */
function refusalResponse(c: Context<AppEnv>, body: Problem): Response {
  if (!c.req.path.startsWith('/trpc/')) return problemResponse(body);
  const data = {
    code: body.code,
    httpStatus: body.status,
    requestId: body.requestId,
    problem: body,
  };
  const error = { error: { message: body.detail, code: TRPC_UNAUTHORIZED, data } };
  const calls = c.req.path.slice('/trpc/'.length).split(',').length;
  const batch = c.req.query('batch') === '1';
  return new Response(JSON.stringify(batch ? Array.from({ length: calls }, () => error) : error), {
    status: body.status,
    headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
  });
}

function refuse(c: Context<AppEnv>, refusal: Refusal): Response {
  c.get('log').info({ reason: refusal.detail }, 'signature refused');
  return refusalResponse(c, problem('SIGNATURE_INVALID', refusal.detail, c.get('requestId')));
}

/** The key, when it may sign this caller's requests now; otherwise why not. */
function usableKey(
  key: SigningKeyRecord | null,
  keyId: string,
  principal: Principal,
  nowMs: number,
): SigningKeyRecord | Refusal {
  if (!key) return new Refusal(`Unknown signing key ${keyId}`);
  if (key.credentialId !== principal.credentialId) {
    return new Refusal(`The signing key ${keyId} belongs to another credential than the token`);
  }
  const status = signingKeyStatus(key, nowMs);
  if (status === 'revoked') return new Refusal(`The signing key ${keyId} is revoked`);
  if (status === 'expired') return new Refusal(`The signing key ${keyId} has expired`);
  return key;
}

/**
 * Verifies Tahoon-Signature on partner requests, after `authenticate` (the key must belong to the
 * token's credential). Organizations that require signing get every unsigned request refused;
 * for the others an unsigned request passes, but a signed one is still checked, so a bad
 * signature is never silently ignored. Refusals are 401 SIGNATURE_INVALID problems.
 */
export function signedRequests(deps: Pick<Deps, 'store' | 'clock' | 'phi'>) {
  const hmacKeys = new Map<string, Promise<CryptoKey>>();
  let nextPurgeMs = 0;

  /** Unsealing and importing cost more than the MAC; a key's sealed text names it exactly. */
  function hmacKeyOf(key: SigningKeyRecord): Promise<CryptoKey> {
    const cacheKey = `${key.id}:${key.sealedSecret}`;
    let imported = hmacKeys.get(cacheKey);
    if (!imported) {
      if (hmacKeys.size >= KEY_CACHE_MAX) hmacKeys.delete(hmacKeys.keys().next().value ?? '');
      imported = deps.phi
        .decrypt(key.sealedSecret, secretContext(key.organizationId, key.id))
        .then(importSigningSecret);
      imported.catch(() => hmacKeys.delete(cacheKey));
      hmacKeys.set(cacheKey, imported);
    }
    return imported;
  }

  async function purgeNonces(c: Context<AppEnv>, nowMs: number): Promise<void> {
    if (nowMs < nextPurgeMs) return;
    nextPurgeMs = nowMs + NONCE_PURGE_INTERVAL_MS;
    try {
      const purged = await deps.store.signing.purgeNonces(nowMs);
      if (purged > 0) c.get('log').debug({ purged }, 'expired nonces purged');
    } catch (err) {
      c.get('log').warn({ err }, 'nonce purge failed');
    }
  }

  async function verify(
    c: Context<AppEnv>,
    principal: Principal,
    headers: SignatureHeaders,
  ): Promise<Refusal | SigningKeyRecord> {
    const nowMs = deps.clock.nowMs();
    const late = outsideWindow(headers.timestamp, nowMs);
    if (late) return late;
    const contentSha256 = await bodyHash(c);
    if (contentSha256 !== headers.contentSha256) {
      return new Refusal('Tahoon-Content-SHA256 does not match the request body');
    }

    const stored = await deps.store.signing.getKey(principal.organizationId, headers.keyId);
    const key = usableKey(stored, headers.keyId, principal, nowMs);
    if (key instanceof Refusal) return key;

    const parts: SignedParts = {
      method: c.req.method,
      target: targetOf(c),
      timestamp: headers.timestamp,
      nonce: headers.nonce,
      contentSha256,
    };
    if (!(await macMatches(await hmacKeyOf(key), parts, headers.mac))) {
      return new Refusal(
        'Tahoon-Signature does not match this request; check the canonical string and the key',
      );
    }

    await purgeNonces(c, nowMs);
    const expiresAtMs = nowMs + NONCE_RETENTION_SECONDS * 1000;
    if (!(await deps.store.signing.claimNonce(key.id, headers.nonce, nowMs, expiresAtMs))) {
      return new Refusal('This Tahoon-Nonce was already used with this key; use a fresh nonce');
    }
    return key;
  }

  const middleware: MiddlewareHandler<AppEnv> = async (c, next) => {
    const principal = c.get('principal');
    // Without a verified caller there is no key to check against; the procedure answers 401.
    if (!principal) return next();

    const found = readHeaders(c);
    if (Object.keys(found).length === 0) {
      const nowMs = deps.clock.nowMs();
      if (!(await signingRequired(deps.store, principal.organizationId, nowMs))) return next();
      return refuse(
        c,
        new Refusal(
          'This organization requires signed requests; send the Tahoon-Signature headers',
        ),
      );
    }

    const headers = parseHeaders(found);
    if (headers instanceof Refusal) return refuse(c, headers);
    const verified = await verify(c, principal, headers);
    if (verified instanceof Refusal) return refuse(c, verified);

    const nowMs = deps.clock.nowMs();
    if (verified.lastUsedAtMs === null || verified.lastUsedAtMs + TOUCH_INTERVAL_MS <= nowMs) {
      await deps.store.signing.touchKey(verified.id, nowMs);
    }
    c.get('log').debug({ signingKeyId: verified.id }, 'signature verified');
    return next();
  };
  return middleware;
}
