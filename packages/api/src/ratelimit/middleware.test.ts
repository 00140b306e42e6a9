import { Redis as UpstashRedis, type Requester } from '@upstash/redis';
import { describe, expect, it } from 'vitest';
import type { RateLimitConfigInput } from './config.js';
import { createRateLimiter, type RateLimitLogger } from './limiter.js';
import {
  asCredential,
  freshWindow,
  GOOD_SECRET,
  limitedApp,
  parseRateLimit,
  tokenRequest,
  uniqueKey,
} from './test/app.js';

function inProcessApp(config: RateLimitConfigInput = {}) {
  return limitedApp({ limiter: createRateLimiter({ config }) });
}

describe('credentialRateLimit', () => {
  it('sets the RateLimit headers on every response it lets through', async () => {
    await freshWindow(60, 5_000);
    const app = inProcessApp({ perCredential: { limit: 100 } });
    const response = await app.request('/v1/catalogue', asCredential('cred_a'));
    expect(response.status).toBe(200);
    expect(response.headers.get('ratelimit-policy')).toBe('"credential";q=100;w=60');
    const { id, params } = parseRateLimit(response.headers.get('ratelimit'));
    expect(id).toBe('credential');
    expect(params.r).toBe(99);
    expect(params.t).toBeGreaterThan(0);
    expect(params.t).toBeLessThanOrEqual(60);
  });

  it('answers 429 with a problem and Retry-After once the quota is spent', async () => {
    await freshWindow(60, 5_000);
    const app = inProcessApp({ perCredential: { limit: 2 } });
    for (let i = 0; i < 2; i++) {
      expect((await app.request('/v1/catalogue', asCredential('cred_a'))).status).toBe(200);
    }
    const refused = await app.request('/v1/catalogue', asCredential('cred_a'));
    expect(refused.status).toBe(429);
    expect(refused.headers.get('content-type')).toBe('application/problem+json');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(parseRateLimit(refused.headers.get('ratelimit')).params.r).toBe(0);
    expect(await refused.json()).toMatchObject({
      status: 429,
      code: 'RATE_LIMITED',
      requestId: 'req_ratelimit_test',
    });
    expect((await app.request('/v1/catalogue', asCredential('cred_b'))).status).toBe(200);
  });

  it('charges expensive operations their cost', async () => {
    await freshWindow(60, 5_000);
    const app = inProcessApp({ perCredential: { limit: 10 } });
    const slots = () => app.request('/v1/providers/prv_1/slots', asCredential('cred_a'));
    const first = await slots();
    expect(parseRateLimit(first.headers.get('ratelimit')).params.r).toBe(5);
    expect((await slots()).status).toBe(200);
    expect((await slots()).status).toBe(429);
  });

  it('leaves requests without a credential to the authentication that follows', async () => {
    const app = inProcessApp({ perCredential: { limit: 1 } });
    for (let i = 0; i < 3; i++) {
      const response = await app.request('/v1/catalogue');
      expect(response.status).toBe(200);
      expect(response.headers.has('ratelimit')).toBe(false);
    }
  });
});

describe('tokenFailureRateLimit', () => {
  it('allows ten failed token requests a minute from one address, then answers 429', async () => {
    await freshWindow(60, 5_000);
    const app = inProcessApp();
    const peer = '203.0.113.9';
    for (let i = 0; i < 10; i++) {
      const failed = await app.request('/v1/oauth/token', tokenRequest('wrong', peer));
      expect(failed.status).toBe(401);
      expect(failed.headers.get('ratelimit-policy')).toBe('"token-failures";q=10;w=60');
      expect(parseRateLimit(failed.headers.get('ratelimit')).params.r).toBe(9 - i);
    }
    const refused = await app.request('/v1/oauth/token', tokenRequest(GOOD_SECRET, peer));
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(await refused.json()).toMatchObject({ code: 'RATE_LIMITED' });

    const elsewhere = await app.request(
      '/v1/oauth/token',
      tokenRequest(GOOD_SECRET, '198.51.100.4'),
    );
    expect(elsewhere.status).toBe(200);
  });

  it('counts failures only: successful token requests give their attempt back', async () => {
    await freshWindow(60, 5_000);
    const app = inProcessApp({ tokenFailuresPerIp: { limit: 3 } });
    const peer = '203.0.113.10';
    for (let i = 0; i < 8; i++) {
      const ok = await app.request('/v1/oauth/token', tokenRequest(GOOD_SECRET, peer));
      expect(ok.status).toBe(200);
      expect(parseRateLimit(ok.headers.get('ratelimit')).params.r).toBe(3);
    }
    for (let i = 0; i < 3; i++) {
      expect((await app.request('/v1/oauth/token', tokenRequest('wrong', peer))).status).toBe(401);
    }
    expect((await app.request('/v1/oauth/token', tokenRequest('wrong', peer))).status).toBe(429);
  });

  it('counts parallel guesses before any of them finishes', async () => {
    await freshWindow(60, 5_000);
    const app = inProcessApp({ tokenFailuresPerIp: { limit: 5 } });
    const guesses = Array.from({ length: 20 }, () =>
      app.request('/v1/oauth/token', tokenRequest('wrong', '203.0.113.11')),
    );
    const statuses = (await Promise.all(guesses)).map((r) => r.status);
    expect(statuses.filter((s) => s === 401)).toHaveLength(5);
    expect(statuses.filter((s) => s === 429)).toHaveLength(15);
  });

  it('counts an IPv6 client by its /64', async () => {
    await freshWindow(60, 5_000);
    const app = inProcessApp({ tokenFailuresPerIp: { limit: 2 } });
    await app.request('/v1/oauth/token', tokenRequest('wrong', '2001:db8:5:6::1'));
    await app.request('/v1/oauth/token', tokenRequest('wrong', '2001:db8:5:6::2'));
    const third = await app.request('/v1/oauth/token', tokenRequest('wrong', '2001:db8:5:6::3'));
    expect(third.status).toBe(429);
  });
});

/** A serverless Redis client whose every request hangs, or fails at once. */
function brokenRedis(kind: 'hung' | 'refused'): UpstashRedis {
  const requester: Requester = {
    request: () =>
      kind === 'hung'
        ? new Promise(() => undefined)
        : Promise.reject(new Error('connect ECONNREFUSED')),
  };
  return new UpstashRedis(requester);
}

function recordingLogger(): RateLimitLogger & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    warn: (_f, message) => lines.push(message),
    info: (_f, message) => lines.push(message),
  };
}

describe.each(['hung', 'refused'] as const)('when the counters are %s', (kind) => {
  const TIMEOUT_MS = 50;

  function brokenApp(logger?: RateLimitLogger) {
    const limiter = createRateLimiter({
      redis: brokenRedis(kind),
      config: { timeoutMs: TIMEOUT_MS },
      ...(logger ? { logger } : {}),
    });
    return { app: limitedApp({ limiter }), limiter };
  }

  it('lets partner calls through (fail open), with no made-up remainder', async () => {
    const { app } = brokenApp();
    const response = await app.request(
      '/v1/providers/prv_1/slots',
      asCredential(uniqueKey('cred')),
    );
    expect(response.status).toBe(200);
    expect(response.headers.get('ratelimit-policy')).toBe('"credential";q=600;w=60');
    expect(response.headers.has('ratelimit')).toBe(false);
  });

  it('turns token requests away with 429 and Retry-After (fail closed), not 5xx', async () => {
    const { app } = brokenApp();
    const response = await app.request(
      '/v1/oauth/token',
      tokenRequest(GOOD_SECRET, '203.0.113.12'),
    );
    expect(response.status).toBe(429);
    expect(response.headers.get('retry-after')).toBe('5');
    expect(response.headers.get('ratelimit')).toBe('"token-failures";r=0;t=5');
    expect(await response.json()).toMatchObject({ code: 'RATE_LIMITED' });
  });

  it('follows each policy’s configured failMode', async () => {
    const limiter = createRateLimiter({
      redis: brokenRedis(kind),
      config: {
        timeoutMs: TIMEOUT_MS,
        perCredential: { failMode: 'closed' },
        tokenFailuresPerIp: { failMode: 'open' },
      },
    });
    const app = limitedApp({ limiter });
    expect((await app.request('/v1/catalogue', asCredential('cred_a'))).status).toBe(429);
    const token = await app.request('/v1/oauth/token', tokenRequest('wrong', '203.0.113.13'));
    expect(token.status).toBe(401);
  });

  it('never throws from consume or refund, and logs the outage once', async () => {
    const logger = recordingLogger();
    const { limiter } = brokenApp(logger);
    const decisions = await Promise.all([
      limiter.consume('perCredential', 'cred_a'),
      limiter.consume('tokenFailuresPerIp', '203.0.113.14'),
      limiter.refund('tokenFailuresPerIp', '203.0.113.14'),
    ]);
    expect(decisions.map((d) => [d.state, d.allowed])).toEqual([
      ['unavailable', true],
      ['unavailable', false],
      ['unavailable', false],
    ]);
    expect(logger.lines).toEqual(['rate limit counters unavailable; failMode applies']);
  });
});
