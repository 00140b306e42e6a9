import { once } from 'node:events';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PolicyName, RateLimitConfigInput } from './config.js';
import { Redis as UpstashRedis } from '@upstash/redis';
import { createRateLimiter, type RateLimitDecision } from './limiter.js';
import { connectRateLimitRedis, ioredisRequester, upstashOverIoredis } from './redis.js';
import {
  asCredential,
  freshWindow,
  GOOD_SECRET,
  limitedApp,
  parseRateLimit,
  sleep,
  tokenRequest,
  uniqueKey,
} from './test/app.js';
import { startRedisServer, type RedisServer } from './test/redis-server.js';

let server: RedisServer;
let connection: Redis;

beforeAll(async () => {
  server = await startRedisServer();
  connection = connectRateLimitRedis(server.url, { timeoutMs: 1_000 });
  await once(connection, 'ready');
});

afterAll(async () => {
  connection?.disconnect();
  await server?.stop();
});

/** A Redis-backed limiter; a generous timeout, since these tests are about counting. */
function redisLimiter(config: RateLimitConfigInput = {}) {
  return createRateLimiter({
    redis: upstashOverIoredis(connection),
    config: { timeoutMs: 2_000, prefix: uniqueKey('test'), ...config },
  });
}

const summary = (d: RateLimitDecision) => ({
  allowed: d.allowed,
  remaining: d.remaining,
  state: d.state,
});

describe('the Redis-backed limiter', () => {
  it('counts in Redis', async () => {
    const limiter = redisLimiter();
    expect(limiter.backend).toBe('redis');
    await limiter.consume('perCredential', 'cred_a');
    const keys = await connection.keys(`${limiter.config.prefix}:credential:cred_a:*`);
    expect(keys).toHaveLength(1);
  });

  it('enforces the limit, then resets when the window ends', async () => {
    const limiter = redisLimiter({ perCredential: { limit: 2, windowSeconds: 1 } });
    await freshWindow(1, 700);
    const answers = [];
    for (let i = 0; i < 3; i++)
      answers.push(summary(await limiter.consume('perCredential', 'cred_a')));
    expect(answers).toEqual([
      { allowed: true, remaining: 1, state: 'counted' },
      { allowed: true, remaining: 0, state: 'counted' },
      { allowed: false, remaining: 0, state: 'counted' },
    ]);

    const blocked = await limiter.consume('perCredential', 'cred_a');
    expect(blocked.allowed).toBe(false);
    await sleep((blocked.resetAtMs ?? 0) - Date.now() + 20);
    expect(summary(await limiter.consume('perCredential', 'cred_a'))).toEqual({
      allowed: true,
      remaining: 1,
      state: 'counted',
    });
  });

  it('weighs expensive operations by their cost', async () => {
    const limiter = redisLimiter({ perCredential: { limit: 10 } });
    await freshWindow(60, 5_000);
    expect(summary(await limiter.consume('perCredential', 'cred_a', 5)).remaining).toBe(5);
    expect(summary(await limiter.consume('perCredential', 'cred_a', 5)).remaining).toBe(0);
    expect((await limiter.consume('perCredential', 'cred_a', 1)).allowed).toBe(false);
  });

  it('shares one count between gateway processes', async () => {
    const prefix = uniqueKey('shared');
    const one = redisLimiter({ prefix, perCredential: { limit: 3 } });
    const other = redisLimiter({ prefix, perCredential: { limit: 3 } });
    await freshWindow(60, 5_000);
    await one.consume('perCredential', 'cred_a');
    await other.consume('perCredential', 'cred_a');
    expect(summary(await one.consume('perCredential', 'cred_a')).remaining).toBe(0);
    expect((await other.consume('perCredential', 'cred_a')).allowed).toBe(false);
  });

  it('lifts a block on reset', async () => {
    const limiter = redisLimiter({ tokenFailuresPerIp: { limit: 1 } });
    await freshWindow(60, 5_000);
    await limiter.consume('tokenFailuresPerIp', '203.0.113.20');
    expect((await limiter.consume('tokenFailuresPerIp', '203.0.113.20')).allowed).toBe(false);
    await limiter.reset('tokenFailuresPerIp', '203.0.113.20');
    expect((await limiter.consume('tokenFailuresPerIp', '203.0.113.20')).allowed).toBe(true);
  });

  it('answers exactly as the in-process limiter does (the embedded gateway)', async () => {
    const config = { perCredential: { limit: 10 }, tokenFailuresPerIp: { limit: 3 } };
    const script: [PolicyName, 'consume' | 'refund', number][] = [
      ['perCredential', 'consume', 5],
      ['perCredential', 'consume', 1],
      ['perCredential', 'consume', 5],
      ['perCredential', 'consume', 1],
      ['tokenFailuresPerIp', 'consume', 1],
      ['tokenFailuresPerIp', 'refund', 1],
      ['tokenFailuresPerIp', 'consume', 1],
      ['tokenFailuresPerIp', 'consume', 1],
      ['tokenFailuresPerIp', 'consume', 1],
      ['tokenFailuresPerIp', 'consume', 1],
    ];
    const run = async (limiter: ReturnType<typeof createRateLimiter>) => {
      const answers = [];
      for (const [policy, action, cost] of script) {
        const d = await limiter[action](policy, 'key_a', cost);
        answers.push({ ...summary(d), resetAtMs: d.resetAtMs });
      }
      return answers;
    };
    await freshWindow(60, 5_000);
    const inRedis = await run(redisLimiter(config));
    const inProcess = await run(createRateLimiter({ config }));
    expect(inRedis).toEqual(inProcess);
    expect(inRedis.map((a) => a.allowed)).toEqual([
      true,
      true,
      false,
      false,
      true,
      true,
      true,
      true,
      true,
      false,
    ]);
  });
});

describe('an outage of the counters', () => {
  it('is logged once when it starts and once when it ends, not per request', async () => {
    const lines: string[] = [];
    const logger = {
      warn: (_: object, m: string) => lines.push(m),
      info: (_: object, m: string) => lines.push(m),
    };
    const requester = ioredisRequester(connection);
    let down = false;
    const flaky = new UpstashRedis({
      request: (req) =>
        down ? Promise.reject(new Error('connection lost')) : requester.request(req),
    });
    const limiter = createRateLimiter({
      redis: flaky,
      logger,
      config: { prefix: uniqueKey('flaky') },
    });

    expect((await limiter.consume('perCredential', 'cred_a')).state).toBe('counted');
    down = true;
    for (let i = 0; i < 3; i++) {
      expect((await limiter.consume('perCredential', 'cred_a')).state).toBe('unavailable');
    }
    down = false;
    expect((await limiter.consume('perCredential', 'cred_a')).state).toBe('counted');
    expect((await limiter.consume('perCredential', 'cred_a')).state).toBe('counted');
    expect(lines).toEqual([
      'rate limit counters unavailable; failMode applies',
      'rate limit counters reachable again',
    ]);
  });
});

describe('the middleware over Redis', () => {
  it('allows ten failed token requests a minute per address, then 429', async () => {
    const app = limitedApp({ limiter: redisLimiter() });
    await freshWindow(60, 5_000);
    for (let i = 0; i < 10; i++) {
      const failed = await app.request('/v1/oauth/token', tokenRequest('wrong', '203.0.113.30'));
      expect(failed.status).toBe(401);
      expect(parseRateLimit(failed.headers.get('ratelimit')).params.r).toBe(9 - i);
    }
    const refused = await app.request('/v1/oauth/token', tokenRequest(GOOD_SECRET, '203.0.113.30'));
    expect(refused.status).toBe(429);
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(refused.headers.get('ratelimit-policy')).toBe('"token-failures";q=10;w=60');
    expect(await refused.json()).toMatchObject({ status: 429, code: 'RATE_LIMITED' });

    const ok = await app.request('/v1/oauth/token', tokenRequest(GOOD_SECRET, '203.0.113.31'));
    expect(ok.status).toBe(200);
  });

  it('charges a slot search five units and sets the headers on every response', async () => {
    const app = limitedApp({ limiter: redisLimiter({ perCredential: { limit: 12 } }) });
    await freshWindow(60, 5_000);
    const slots = await app.request('/v1/providers/prv_1/slots', asCredential('cred_s'));
    expect(slots.headers.get('ratelimit-policy')).toBe('"credential";q=12;w=60');
    expect(parseRateLimit(slots.headers.get('ratelimit')).params.r).toBe(7);
    const search = await app.request('/v1/providers?sort=earliest', asCredential('cred_s'));
    expect(parseRateLimit(search.headers.get('ratelimit')).params.r).toBe(2);
    const plain = await app.request('/v1/providers', asCredential('cred_s'));
    expect(parseRateLimit(plain.headers.get('ratelimit')).params.r).toBe(1);
    expect((await app.request('/v1/providers/prv_1/slots', asCredential('cred_s'))).status).toBe(
      429,
    );
    expect((await app.request('/v1/catalogue', asCredential('cred_s'))).status).toBe(429);
  });
});
