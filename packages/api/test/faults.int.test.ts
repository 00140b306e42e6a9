/**
 * Faults injected into a running gateway process, each followed by checks of the database:
 * the shared Redis of the rate limiter stopping in the middle of a burst of bookings.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { startRedisServer } from '../src/ratelimit/test/redis-server.js';
import { book, inBatches, OVERLAPS, planBookings, query } from './burst.js';
import { freshPostgres } from './harness.js';
import { demoToken, removeDataDir, startGatewayProcess } from './process.js';

/** Much longer than the limiter's 200 ms, much shorter than a request left hanging. */
const LIMITER_WAIT_BOUND_MS = 15_000;

const sortById = <T extends { id?: string }>(rows: T[]) =>
  [...rows].sort((a, b) => String(a.id).localeCompare(String(b.id)));

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
});

describe('Redis stopped during a burst of bookings', () => {
  it('books every request (fail open), none waits on the dead Redis, the database holds exactly what was answered', async () => {
    const redis = await startRedisServer();
    cleanups.push(() => redis.stop());
    const database = await freshPostgres();
    cleanups.push(database.drop);
    const gateway = await startGatewayProcess({
      DATABASE_URL: database.url,
      TAHOON_REDIS_URL: redis.url,
      TAHOON_RATE_LIMIT_PER_MINUTE: '1000000',
      TAHOON_RATE_LIMIT_TIMEOUT_MS: '200',
    });
    cleanups.push(async () => {
      await gateway.stop('SIGKILL');
      await removeDataDir(gateway.dataDir);
    });
    const token = await demoToken(gateway);
    const planned = await planBookings(gateway, token, 60, 'redis-stop');

    const before = await inBatches(planned.slice(0, 20), 20, (p) => book(gateway, token, p));
    redis.pause();
    const paused = await inBatches(planned.slice(20, 40), 20, (p) => book(gateway, token, p));
    await redis.stop();
    const stopped = await inBatches(planned.slice(40), 20, (p) => book(gateway, token, p));
    const outcomes = [...before, ...paused, ...stopped];
    const summary = outcomes.map((o) => `${o.status ?? o.error} ${o.code ?? ''} ${o.elapsedMs}ms`);

    // Partner calls fail open when the limiter's Redis is away (ADR 0002): every booking books,
    // and with a healthy video service each is confirmed at once.
    expect(
      summary.filter((line) => !line.startsWith('201 ')),
      gateway.output(),
    ).toEqual([]);
    // Each call waits for the counters at most TAHOON_RATE_LIMIT_TIMEOUT_MS (200 ms) before
    // failing open; the bound is generous for a loaded machine, and far below a hung request.
    expect(Math.max(...outcomes.map((o) => o.elapsedMs))).toBeLessThan(LIMITER_WAIT_BOUND_MS);
    expect(gateway.output()).toContain('rate limit counters unavailable; failMode applies');

    expect(await query(database.url, OVERLAPS)).toEqual([]);
    const rows = await query<{ id: string; status: string }>(
      database.url,
      `select id, status from bookings`,
    );
    const booked = outcomes.map((o) => ({ id: o.bookingId, status: 'confirmed' }));
    expect(sortById(rows)).toEqual(sortById(booked));
  }, 300_000);
});
