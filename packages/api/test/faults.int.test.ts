/**
 * Faults injected into a running gateway process, each followed by checks of the database:
 * the Redis of the rate limiter stopping, and the process killed, in the middle of a burst of
 * bookings.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { startRedisServer } from '../src/ratelimit/test/redis-server.js';
import {
  book,
  inBatches,
  inPool,
  OVERLAPS,
  planBookings,
  query,
  sagaProblems,
  settled,
  type BookingOutcome,
  type PlannedBooking,
} from './burst.js';
import { startFakeVideoSdk } from './fakes/videosdk-server.js';
import { freshPostgres } from './harness.js';
import { demoToken, removeDataDir, startGatewayProcess, type GatewayProcess } from './process.js';

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

const FAKE = { apiKey: 'tahoon-crash-key', secret: 'a-long-secret-for-the-fake-videosdk-account' };
/** The shortest TTL the configuration allows; the server sweeps holds every TTL. */
const HOLD_TTL_SECONDS = 30;
const BURST = 200;
/** Holds left by the killed process expire a TTL later, and a sweep within a TTL fails them. */
const SETTLE_WITHIN_MS = 4 * HOLD_TTL_SECONDS * 1000;

const accepted = (o: BookingOutcome) => o.status === 201 || o.status === 202;

/** Sixteen bookings always in flight; the process is killed once half the burst is answered. */
async function burstUntilKilled(gateway: GatewayProcess, token: string, planned: PlannedBooking[]) {
  let answered = 0;
  const burst = inPool(planned, 16, async (p) => {
    const outcome = await book(gateway, token, p);
    if (outcome.status !== undefined) answered++;
    return outcome;
  });
  await settled(async () => (answered >= planned.length / 2 ? [] : ['burst running']), 120_000);
  expect(await gateway.stop('SIGKILL')).toEqual({ code: null, signal: 'SIGKILL' });
  return burst;
}

/** Bookings still `pending`: each must end confirmed by the dispatcher or failed by the sweeper. */
async function stillPending(url: string): Promise<string[]> {
  const rows = await query<{ id: string }>(url, `select id from bookings where status = 'pending'`);
  return rows.map((row) => `${row.id} still pending`);
}

describe('SIGKILL during a burst of bookings', () => {
  it('loses nothing it answered, and after a restart the saga settles with every invariant held', async () => {
    const fake = await startFakeVideoSdk(FAKE);
    cleanups.push(() => fake.close());
    const database = await freshPostgres();
    cleanups.push(database.drop);
    const settings = {
      DATABASE_URL: database.url,
      VIDEOSDK_API_KEY: FAKE.apiKey,
      VIDEOSDK_SECRET: FAKE.secret,
      VIDEOSDK_API_BASE: fake.url,
      TAHOON_RATE_LIMIT_PER_MINUTE: '1000000',
      TAHOON_HOLD_TTL_SECONDS: String(HOLD_TTL_SECONDS),
      TAHOON_DISPATCHER_POLL_MS: '200',
    };
    let gateway = await startGatewayProcess(settings);
    const { dataDir } = gateway;
    cleanups.push(async () => {
      await gateway.stop('SIGKILL');
      await removeDataDir(dataDir);
    });
    const token = await demoToken(gateway);
    const planned = await planBookings(gateway, token, BURST, 'sigkill');

    const beforeKill = await burstUntilKilled(gateway, token, planned);
    const unanswered = beforeKill.filter((o) => o.status === undefined);

    expect(unanswered.length, 'the kill came in the middle of the burst').toBeGreaterThan(0);
    expect(beforeKill.filter((o) => o.status !== undefined && !accepted(o))).toEqual([]);

    // The same database and data folder, as a supervisor restarts it; clients retry what got
    // no answer with the same Idempotency-Key.
    gateway = await startGatewayProcess(settings, { dataDir });
    const retryToken = await demoToken(gateway);
    const retried = await inPool(
      unanswered.map((o) => o.planned),
      16,
      (p) => book(gateway, retryToken, p),
    );
    // A key whose first request died mid-flight stays claimed until the claim is abandoned.
    const refused = retried.filter((o) => !accepted(o));
    expect(
      refused
        .map((o) => `${o.status} ${o.code}`)
        .filter((s) => !/^409 IDEMPOTENCY_IN_PROGRESS$/.test(s)),
    ).toEqual([]);

    // Holds the killed process left behind are confirmed by the dispatcher or, once past their
    // TTL, failed by the sweeper: none may stay pending, and then every invariant must hold.
    const problems = await settled(
      async () => [
        ...(await sagaProblems(database.url, fake.rooms(), HOLD_TTL_SECONDS)),
        ...(await stillPending(database.url)),
      ],
      SETTLE_WITHIN_MS,
    );
    expect(problems, gateway.output()).toEqual([]);

    // Everything answered 201 or 202 was committed; a 201 stays confirmed across the crash.
    const rows = await query<{ id: string; status: string }>(
      database.url,
      'select id, status from bookings',
    );
    const statusOf = new Map(rows.map((row) => [row.id, row.status]));
    const confirmedBeforeKill = beforeKill.filter((o) => o.status === 201);
    expect(confirmedBeforeKill.length).toBeGreaterThan(0);
    expect(
      confirmedBeforeKill.filter((o) => statusOf.get(o.bookingId ?? '') !== 'confirmed'),
    ).toEqual([]);
    const acceptedAnywhere = [...beforeKill, ...retried].filter(accepted);
    expect(acceptedAnywhere.filter((o) => !statusOf.has(o.bookingId ?? ''))).toEqual([]);
  }, 300_000);
});
