import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { getConnInfo } from '@hono/node-server/conninfo';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientIp } from './client-ip.js';
import { createRateLimiter } from './limiter.js';
import { connectRateLimitRedis, upstashOverIoredis } from './redis.js';
import { asCredential, GOOD_SECRET, limitedApp, tokenRequest } from './test/app.js';
import { startRedisServer, type RedisServer } from './test/redis-server.js';

/**
 * The acceptance test of the security issue: with the limiter's own Redis paused (SIGSTOP) and
 * then stopped, no request waits much beyond the limiter's timeout and none answers 5xx. Partner
 * calls fail open (200); token requests fail closed (429 with Retry-After); a credential that
 * had spent its quota before the outage stays refused.
 */
const TIMEOUT_MS = 200;
// Generous: the bound is "about the timeout", not a benchmark. A hang would take 5 s or forever.
const WAIT_BOUND_MS = TIMEOUT_MS + 1_500;
const PROXY = '127.0.0.1';

let redis: RedisServer;
let connection: Redis;
let http: ServerType;
let baseUrl: string;

beforeAll(async () => {
  redis = await startRedisServer();
  connection = connectRateLimitRedis(redis.url, { timeoutMs: TIMEOUT_MS });
  await once(connection, 'ready');

  const limiter = createRateLimiter({
    redis: upstashOverIoredis(connection),
    config: { timeoutMs: TIMEOUT_MS, perCredential: { limit: 5 }, trustedProxies: [PROXY] },
  });
  // Over real HTTP, as the Node server runs it: the test client stands in for a trusted proxy
  // and says which client it forwards for.
  const app = limitedApp({
    limiter,
    ipOf: (c) =>
      clientIp(c.req.raw, {
        socketAddress: getConnInfo(c).remote.address,
        trustedProxies: limiter.config.trustedProxies,
      }),
  });
  http = serve({ fetch: app.fetch, port: 0, hostname: PROXY });
  await once(http, 'listening');
  baseUrl = `http://${PROXY}:${(http.address() as AddressInfo).port}`;
});

afterAll(async () => {
  http?.close();
  connection?.disconnect();
  await redis?.stop();
});

interface Outcome {
  kind: string;
  status: number;
  elapsedMs: number;
  retryAfter: string | null;
  rateLimit: string | null;
}

async function timed(kind: string, path: string, init: RequestInit): Promise<Outcome> {
  const started = performance.now();
  const response = await fetch(baseUrl + path, { ...init, signal: AbortSignal.timeout(30_000) });
  await response.arrayBuffer();
  return {
    kind,
    status: response.status,
    elapsedMs: performance.now() - started,
    retryAfter: response.headers.get('retry-after'),
    rateLimit: response.headers.get('ratelimit'),
  };
}

function forwardedFor(client: string, init: RequestInit): RequestInit {
  return {
    ...init,
    headers: { ...(init.headers as Record<string, string>), 'x-forwarded-for': client },
  };
}

/** Partner calls, token requests and calls of an exhausted credential, all at once. */
async function burst(round: string): Promise<Outcome[]> {
  const requests: Promise<Outcome>[] = [];
  for (let i = 0; i < 8; i++) {
    requests.push(
      timed('partner', '/v1/providers/prv_1/slots', asCredential(`cred_${round}_${i}`)),
    );
  }
  for (let i = 0; i < 4; i++) {
    const init = forwardedFor(`198.51.100.${i + 1}`, tokenRequest(GOOD_SECRET));
    requests.push(timed('token', '/v1/oauth/token', init));
  }
  for (let i = 0; i < 2; i++)
    requests.push(timed('exhausted', '/v1/catalogue', asCredential('cred_busy')));
  return Promise.all(requests);
}

function expectDegradedButServing(outcomes: Outcome[]): void {
  for (const outcome of outcomes) {
    expect(outcome.status, outcome.kind).toBeLessThan(500);
    expect(outcome.elapsedMs, outcome.kind).toBeLessThan(WAIT_BOUND_MS);
  }
  const byKind = (kind: string) => outcomes.filter((o) => o.kind === kind);
  for (const partner of byKind('partner')) {
    expect(partner.status).toBe(200);
    expect(partner.rateLimit).toBeNull();
  }
  for (const token of byKind('token')) {
    expect(token.status).toBe(429);
    expect(token.retryAfter).toBe('5');
  }
  for (const exhausted of byKind('exhausted')) expect(exhausted.status).toBe(429);
}

describe('when the rate limit Redis fails', () => {
  it('limits normally while Redis answers', async () => {
    const token = await timed(
      'token',
      '/v1/oauth/token',
      forwardedFor('198.51.100.1', tokenRequest('wrong')),
    );
    expect(token.status).toBe(401);
    expect(token.rateLimit).toMatch(/^"token-failures";r=9;t=\d+$/);

    const statuses = [];
    for (let i = 0; i < 6; i++) {
      statuses.push((await timed('exhausted', '/v1/catalogue', asCredential('cred_busy'))).status);
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
  });

  it('answers within about the timeout, and never 5xx, while Redis is paused', async () => {
    redis.pause();
    expectDegradedButServing(await burst('paused'));
    // One after another too: a timed-out command must not leave the next request waiting.
    for (let i = 0; i < 3; i++) {
      expectDegradedButServing([
        await timed('partner', '/v1/catalogue', asCredential(`cred_seq_${i}`)),
      ]);
    }
  });

  it('answers within about the timeout, and never 5xx, once Redis is gone', async () => {
    redis.resume();
    await redis.stop();
    expectDegradedButServing(await burst('stopped'));
    for (let i = 0; i < 3; i++) {
      const init = forwardedFor('198.51.100.9', tokenRequest(GOOD_SECRET));
      expectDegradedButServing([await timed('token', '/v1/oauth/token', init)]);
    }
  });
});
