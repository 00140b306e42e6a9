import { Hono, type Context } from 'hono';
import pino from 'pino';
import type { AppEnv } from '../../http/env.js';
import { problem, problemResponse } from '../../http/problem.js';
import type { RateLimiter } from '../limiter.js';
import { credentialRateLimit, tokenFailureRateLimit } from '../middleware.js';

export const GOOD_SECRET = 'the-right-secret';

export interface LimitedAppOptions {
  limiter: RateLimiter;
  /** The client address; by default the `x-test-peer` header, for in-process requests. */
  ipOf?: (c: Context<AppEnv>) => string | null;
}

/**
 * A small gateway-shaped app with the rate-limit middleware mounted the way the real one will
 * be: a token endpoint that answers 401 to a wrong secret, and partner routes whose credential
 * is whatever `x-test-credential` says (standing in for the verified principal).
 */
export function limitedApp(options: LimitedAppOptions): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const { limiter } = options;
  const ipOf = options.ipOf ?? ((c) => c.req.header('x-test-peer') ?? null);

  app.use('*', async (c, next) => {
    c.set('requestId', 'req_ratelimit_test');
    c.set('log', pino({ level: 'silent' }));
    await next();
  });

  app.use('/v1/oauth/token', tokenFailureRateLimit({ limiter, ipOf }));
  app.post('/v1/oauth/token', async (c) => {
    const fields = new URLSearchParams(await c.req.text());
    if (fields.get('client_secret') === GOOD_SECRET) {
      return c.json({ access_token: 'token', token_type: 'Bearer', expires_in: 900 });
    }
    const body = problem(
      'UNAUTHENTICATED',
      'The client credentials are not valid',
      c.get('requestId'),
    );
    return problemResponse({ ...body, error: 'invalid_client' });
  });

  const keyOf = (c: Context<AppEnv>) => c.req.header('x-test-credential') ?? null;
  app.use('/v1/*', credentialRateLimit({ limiter, keyOf }));
  app.get('/v1/catalogue', (c) => c.json({ specialties: [] }));
  app.get('/v1/providers', (c) => c.json({ data: [], nextCursor: null }));
  app.get('/v1/providers/:id/slots', (c) => c.json({ data: [], timeZone: 'UTC' }));
  return app;
}

/** A token request as a partner sends it, from `peer` when the app reads the test header. */
export function tokenRequest(secret: string, peer?: string): RequestInit {
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (peer) headers['x-test-peer'] = peer;
  const body = new URLSearchParams({
    grant_type: 'client_credentials',
    client_id: 'cred_test',
    client_secret: secret,
  });
  return { method: 'POST', headers, body: body.toString() };
}

export function asCredential(credentialId: string): RequestInit {
  return { headers: { 'x-test-credential': credentialId } };
}

/** Parses `"id";r=4;t=17` into its parameters. */
export function parseRateLimit(value: string | null): {
  id: string;
  params: Record<string, number>;
} {
  if (!value) throw new Error('No RateLimit field');
  const [item = '', ...params] = value.split(';');
  const entries = params.map((p) => p.split('=')).map(([k = '', v = '']) => [k, Number(v)]);
  return { id: JSON.parse(item) as string, params: Object.fromEntries(entries) };
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Waits for a fresh fixed window when fewer than `needMs` remain in the current one, so a test's
 * burst of requests lands in one window.
 */
export async function freshWindow(windowSeconds: number, needMs: number): Promise<void> {
  const windowMs = windowSeconds * 1000;
  const left = windowMs - (Date.now() % windowMs);
  if (left < needMs) await sleep(left + 20);
}

let counter = 0;
/** A key no other test uses. */
export function uniqueKey(prefix: string): string {
  counter += 1;
  return `${prefix}_${process.pid}_${Date.now().toString(36)}_${counter}`;
}
