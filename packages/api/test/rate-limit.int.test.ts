import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../src/app.js';
import { webIds } from '../src/crypto.js';
import {
  connectRateLimitRedis,
  createRateLimiter,
  upstashOverIoredis,
  type RateLimiter,
} from '../src/ratelimit/index.js';
import { createTestGateway, rest, type TestGateway } from './harness.js';

const REDIS_URL = process.env.TAHOON_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

type Backend = 'in-process' | 'redis';

describe.each<Backend>(['in-process', 'redis'])('rate limits in the gateway (%s)', (backend) => {
  let gw: TestGateway;
  let app: ReturnType<typeof createApp>;
  let close = async () => undefined as void;

  beforeAll(async () => {
    gw = await createTestGateway('pglite');
    const config = {
      perCredential: { limit: 5, windowSeconds: 60 },
      tokenFailuresPerIp: { limit: 10, windowSeconds: 60 },
      // A fresh prefix keeps runs apart on the shared Redis.
      prefix: `tahoon-test:${webIds.next('req')}`,
    };
    let limiter: RateLimiter;
    if (backend === 'redis') {
      const client = connectRateLimitRedis(REDIS_URL, { timeoutMs: 500 });
      // Commands are not queued while connecting (a slow Redis must not hold requests), so the
      // test waits for the connection before counting.
      if (client.status !== 'ready') await new Promise((resolve) => client.once('ready', resolve));
      limiter = createRateLimiter({ config, redis: upstashOverIoredis(client) });
      close = async () => void client.disconnect();
    } else {
      limiter = createRateLimiter({ config });
    }
    app = createApp({ ...gw.deps, limiter, peerAddress: () => '203.0.113.7' });
  });
  afterAll(async () => {
    await close();
    await gw?.close();
  });

  it('counts a credential quota and answers 429 with headers once it is spent', async () => {
    const partner = await gw.newPartner('Quota clinic');
    const answers = [];
    for (let i = 0; i < 6; i++) {
      answers.push(await rest({ app }, 'GET', '/v1/catalogue', { token: partner.token }));
    }
    expect(answers.slice(0, 5).map((a) => a.status)).toEqual([200, 200, 200, 200, 200]);
    expect(answers[0]?.headers.get('ratelimit-policy')).toMatch(/q=5;w=60/);
    expect(answers[0]?.headers.get('ratelimit')).toMatch(/r=4;t=\d+/);
    const refused = answers[5];
    expect(refused?.status).toBe(429);
    expect(refused?.body).toMatchObject({ code: 'RATE_LIMITED', status: 429 });
    expect(Number(refused?.headers.get('retry-after'))).toBeGreaterThan(0);

    const other = await rest({ app }, 'GET', '/v1/catalogue', { token: gw.partnerB.token });
    expect(other.status).toBe(200);
  });

  it('allows 10 failed token requests a minute from one address, then 429', async () => {
    const attempt = () =>
      rest({ app }, 'POST', '/v1/oauth/token', {
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: `grant_type=client_credentials&client_id=${gw.partnerA.clientId}&client_secret=tk_test_wrong`,
      });
    const statuses = [];
    for (let i = 0; i < 11; i++) statuses.push((await attempt()).status);
    expect(statuses.slice(0, 10).every((s) => s === 401)).toBe(true);
    expect(statuses[10]).toBe(429);

    const legacy = await rest({ app }, 'POST', '/api/auth/token', {
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=password&access_key=tk_test_wrong',
    });
    expect(legacy.status).toBe(429);
    expect(legacy.headers.get('retry-after')).toBeTruthy();
  });
});
