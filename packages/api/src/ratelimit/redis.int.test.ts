import { once } from 'node:events';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectRateLimitRedis, ioredisRequester, upstashOverIoredis } from './redis.js';
import { startRedisServer, type RedisServer } from './test/redis-server.js';
import { uniqueKey } from './test/app.js';

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

describe('ioredisRequester against a Redis server', () => {
  it('answers a nil reply with null, never undefined', async () => {
    const reply = await ioredisRequester(connection).request({
      body: ['get', uniqueKey('missing')],
    });
    expect(reply).toEqual({ result: null });
    expect(await upstashOverIoredis(connection).get(uniqueKey('missing'))).toBeNull();
  });

  it('round-trips values through the serverless client', async () => {
    const redis = upstashOverIoredis(connection);
    const key = uniqueKey('value');
    await redis.set(key, { count: 3 });
    expect(await redis.get(key)).toEqual({ count: 3 });
    expect(await redis.incrby(uniqueKey('n'), 4)).toBe(4);
  });

  it('hands the client raw replies, so HGETALL reads as the REST API would give it', async () => {
    const redis = upstashOverIoredis(connection);
    const key = uniqueKey('hash');
    await redis.hset(key, { a: '1', b: 'two' });
    expect(await redis.hgetall(key)).toEqual({ a: 1, b: 'two' });
  });

  it("passes Redis's own error text through, word for word", async () => {
    const key = uniqueKey('text');
    await connection.set(key, 'not a number');
    const reply = await ioredisRequester(connection).request({ body: ['incr', key] });
    expect(reply).toEqual({ error: 'ERR value is not an integer or out of range' });
    const noScript = await ioredisRequester(connection).request({
      body: ['evalsha', 'ffffffffffffffffffffffffffffffffffffffff', 0],
    });
    expect(noScript).toEqual({ error: expect.stringMatching(/^NOSCRIPT/) });
  });

  it('lets the client fall back from EVALSHA to EVAL on NOSCRIPT', async () => {
    await connection.script('FLUSH');
    const redis = upstashOverIoredis(connection);
    const script = redis.createScript<number>('return tonumber(ARGV[1]) + 1');
    expect(await script.exec([], ['41'])).toBe(42);
  });

  it('runs a pipeline and answers each command with its result or its error', async () => {
    const redis = upstashOverIoredis(connection);
    const [text, n] = [uniqueKey('p'), uniqueKey('p')];
    const results = await redis
      .pipeline()
      .set(text, 'word')
      .incr(text)
      .incrby(n, 2)
      .get(uniqueKey('absent'))
      .exec({ keepErrors: true });
    expect(results.map((r) => r.error ?? r.result)).toEqual([
      'OK',
      'ERR value is not an integer or out of range',
      2,
      null,
    ]);
  });

  it('runs a transaction atomically', async () => {
    const redis = upstashOverIoredis(connection);
    const key = uniqueKey('m');
    const results = await redis.multi().incrby(key, 5).incrby(key, 5).get(key).exec();
    expect(results).toEqual([5, 10, 10]);
  });

  it('groups concurrent commands into one automatic pipeline and answers each', async () => {
    const redis = upstashOverIoredis(connection);
    const keys = Array.from({ length: 20 }, () => uniqueKey('auto'));
    const results = await Promise.all(keys.map((key, i) => redis.incrby(key, i)));
    expect(results).toEqual(keys.map((_, i) => i));
  });

  it('refuses request shapes it does not speak', async () => {
    const requester = ioredisRequester(connection);
    await expect(requester.request({ path: ['subscribe', 'x'], body: [] })).rejects.toThrow(
      /Unsupported/,
    );
    await expect(requester.request({ body: 'GET x' })).rejects.toThrow(TypeError);
  });
});
