import { and, count, eq, gt, inArray, lt, lte, type Column } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ACTIVE_STATUSES,
  computeSlots,
  DAY_MS,
  MINUTE_MS,
  renderInstant,
  type ProviderRecord,
} from '@tahoon/core';
import { bookings } from '../src/db/schema.js';
import { countActiveOverlaps } from '../src/db/store.js';
import { createTestGateway, rest, TEST_NOW, type Answer, type TestGateway } from './harness.js';

/*
 * PostgreSQL only, on purpose. PGlite runs one transaction at a time, so concurrent requests
 * against it simply queue and no race can happen; a pass there would prove nothing. Here the 20
 * requests of a trial go through the whole stack at once and share a pool of 25 connections,
 * so their booking transactions really do contend for the same rows.
 */

/** Asia/Riyadh, licensed SA, 30 & 50 min, interval 30, buffer 10. */
const RIYADH = 'prv_sjnpfzd39nd2qv6w';
/** America/New_York, licensed US-NY and US-NJ, 45 & 60 min, interval 30, buffer 15. */
const NEW_YORK = 'prv_pufct98pvrbvi6cm';
/** Asia/Dubai, licensed AE and SA, 50, 60 & 90 min, interval 30, weekdays 10:00-18:00 Dubai. */
const DUBAI = 'prv_h8325wrgqu3jykur';
/** Asia/Kolkata, licensed IN, 50 & 60 min: the provider of the video-failure test only. */
const KOLKATA = 'prv_xttvx78ahusa7vd7';

/** Tuesday 2 March, 50-minute sessions: a working day of the Kolkata provider past its notice. */
const MARCH_SECOND_50_MIN = 'from=2027-03-02T00:00:00Z&to=2027-03-03T00:00:00Z&duration=50';

const TRIALS = 50;
const REQUESTS_PER_TRIAL = 20;
/** Every request of a trial contains the instant this long after the trial's anchor start. */
const INSTANT_OFFSET_MS = 10 * MINUTE_MS;

interface Attempt {
  providerId: string;
  startMs: number;
  duration: number;
}

interface Trial {
  instantMs: number;
  attempts: Attempt[];
}

const active = (status: Column) => inArray(status, [...ACTIVE_STATUSES]);

/**
 * The request shapes of one provider around an anchor start `s`: each offered duration starting
 * at `s` or one slot interval earlier, kept only when it contains the instant `s + 10 min`.
 */
function shapesAround(provider: ProviderRecord, anchorMs: number): Attempt[] {
  const stepMs = provider.schedule.slotIntervalMinutes * MINUTE_MS;
  const instantMs = anchorMs + INSTANT_OFFSET_MS;
  const shapes: Attempt[] = [];
  for (const { duration } of provider.sessionTypes) {
    for (const startMs of [anchorMs, anchorMs - stepMs]) {
      if (startMs <= instantMs && instantMs < startMs + duration * MINUTE_MS) {
        shapes.push({ providerId: provider.id, startMs, duration });
      }
    }
  }
  return shapes;
}

async function loadProviders(gw: TestGateway, ids: string[]): Promise<ProviderRecord[]> {
  return Promise.all(
    ids.map(async (id) => {
      const provider = await gw.deps.store.providers.get(id);
      if (!provider) throw new Error(`demo provider ${id} is missing`);
      return provider;
    }),
  );
}

/**
 * Free starts per provider and duration over the whole booking horizon. Bookings of earlier
 * tests count, so a trial never lands on time another test already took.
 */
async function freeStarts(gw: TestGateway, providers: ProviderRecord[]) {
  const free = new Map<string, Set<number>>();
  for (const provider of providers) {
    const toMs = TEST_NOW + provider.schedule.horizonDays * DAY_MS;
    const busy = await gw.deps.store.bookings.busy(provider.id, TEST_NOW - DAY_MS, toMs + DAY_MS);
    for (const { duration } of provider.sessionTypes) {
      const slots = computeSlots({
        schedule: provider.schedule,
        timeZone: provider.timeZone,
        fromMs: TEST_NOW,
        toMs,
        durationMinutes: duration,
        nowMs: gw.clock.nowMs(),
        busy,
      });
      free.set(`${provider.id}/${duration}`, new Set(slots.map((s) => s.startMs)));
    }
  }
  return free;
}

/** The span a trial's bookings could block at the provider: first start to last end + buffer. */
function blockedSpan(attempts: Attempt[], providers: ProviderRecord[]) {
  const bufferOf = (id: string) =>
    (providers.find((p) => p.id === id)?.schedule.bufferMinutes ?? 0) * MINUTE_MS;
  const blockedUntil = (a: Attempt) => a.startMs + a.duration * MINUTE_MS + bufferOf(a.providerId);
  return {
    startMs: Math.min(...attempts.map((a) => a.startMs)),
    endMs: Math.max(...attempts.map(blockedUntil)),
  };
}

/** Interleaves the providers' shapes, so a split trial sends requests to each in turn. */
function interleave(groups: Attempt[][]): Attempt[] {
  const longest = Math.max(...groups.map((g) => g.length));
  const out: Attempt[] = [];
  for (let i = 0; i < longest; i += 1) {
    for (const group of groups) {
      const shape = group[i];
      if (shape) out.push(shape);
    }
  }
  return out;
}

/**
 * Walks forward through the providers' shared weekly windows and picks `count` anchors where
 * every shape of every provider is a free offered start, each trial clear of the previous one's
 * blocked time, so trials never interfere and every trial has exactly one possible winner.
 */
async function planTrials(gw: TestGateway, providerIds: string[], count: number): Promise<Trial[]> {
  const providers = await loadProviders(gw, providerIds);
  const free = await freeStarts(gw, providers);
  const isFree = (a: Attempt) => free.get(`${a.providerId}/${a.duration}`)?.has(a.startMs);
  // Every trial has a shape at its anchor for the first provider's first duration.
  const anchors = [...(free.values().next().value ?? [])].sort((a, b) => a - b);

  const trials: Trial[] = [];
  let freeFromMs = TEST_NOW;
  for (const anchorMs of anchors) {
    const shapes = interleave(providers.map((p) => shapesAround(p, anchorMs)));
    if (!shapes.every(isFree)) continue;
    const span = blockedSpan(shapes, providers);
    if (span.startMs < freeFromMs) continue;

    freeFromMs = span.endMs;
    trials.push({
      instantMs: anchorMs + INSTANT_OFFSET_MS,
      attempts: spread(shapes, trials.length),
    });
    if (trials.length === count) return trials;
  }
  throw new Error(`only ${trials.length} of ${count} trials fit in the providers' horizon`);
}

/** Twenty attempts cycling through the shapes, rotated so the first one sent differs by trial. */
function spread(shapes: Attempt[], trialIndex: number): Attempt[] {
  return Array.from(
    { length: REQUESTS_PER_TRIAL },
    (_, i) => shapes[(i + trialIndex) % shapes.length] as Attempt,
  );
}

let patientSerial = 0;

async function createPatients(gw: TestGateway, country: string, n: number): Promise<string[]> {
  return Promise.all(
    Array.from({ length: n }, async () => {
      patientSerial += 1;
      const answer = await rest(gw, 'POST', '/v1/patients', {
        token: gw.partnerA.token,
        body: {
          externalId: `race-${country}-${patientSerial}`,
          givenName: 'Test',
          familyName: `Patient ${patientSerial}`,
          birthDate: '1990-01-01',
          country,
          timeZone: 'UTC',
        },
      });
      expect(answer.status).toBe(201);
      return (answer.body as { id: string }).id;
    }),
  );
}

function book(gw: TestGateway, patientId: string, attempt: Attempt): Promise<Answer> {
  return rest(gw, 'POST', '/v1/bookings', {
    token: gw.partnerA.token,
    body: {
      patientId,
      providerId: attempt.providerId,
      start: renderInstant(attempt.startMs),
      duration: attempt.duration,
    },
  });
}

const codeOf = (answer: Answer) => (answer.body as { code?: string }).code;

async function bookingRowCount(gw: TestGateway): Promise<number> {
  const [row] = await gw.database.db.select({ n: count() }).from(bookings);
  return row?.n ?? 0;
}

/** Active bookings containing the instant, restricted to some providers or one patient. */
async function activeAt(
  gw: TestGateway,
  instantMs: number,
  who: { providerIds: string[] } | { patientId: string },
): Promise<number> {
  const instant = new Date(instantMs);
  const [row] = await gw.database.db
    .select({ n: count() })
    .from(bookings)
    .where(
      and(
        active(bookings.status),
        'patientId' in who
          ? eq(bookings.patientId, who.patientId)
          : inArray(bookings.providerId, who.providerIds),
        lte(bookings.startAt, instant),
        gt(bookings.endAt, instant),
      ),
    );
  return row?.n ?? 0;
}

/** Pairs of active bookings of one patient whose sessions overlap (buffers are the provider's). */
async function patientOverlaps(gw: TestGateway): Promise<number> {
  const other = alias(bookings, 'other');
  const [row] = await gw.database.db
    .select({ n: count() })
    .from(bookings)
    .innerJoin(
      other,
      and(
        eq(bookings.patientId, other.patientId),
        lt(bookings.id, other.id),
        lt(bookings.startAt, other.endAt),
        lt(other.startAt, bookings.endAt),
      ),
    )
    .where(and(active(bookings.status), active(other.status)));
  return row?.n ?? 0;
}

/** What the database and the video ledger must show after every trial. */
async function expectConsistent(gw: TestGateway, successes: number): Promise<void> {
  expect(await countActiveOverlaps(gw.database.db)).toBe(0);
  expect(await patientOverlaps(gw)).toBe(0);
  // Losers left nothing behind: no row, no pending hold, no video room.
  expect(await bookingRowCount(gw)).toBe(successes);
  const statuses = await gw.database.db.selectDistinct({ status: bookings.status }).from(bookings);
  expect(statuses.map((s) => s.status).filter((s) => s !== 'confirmed')).toEqual([]);
  expect(gw.video.created).toHaveLength(successes);
  expect(gw.video.live()).toHaveLength(successes);
}

/** Wall-clock time of the trials and of the concurrent requests alone, for the test log. */
function stopwatch(label: string) {
  const startedMs = performance.now();
  let racingMs = 0;
  return {
    async race<T>(requests: Promise<T>[]): Promise<T[]> {
      const before = performance.now();
      const answers = await Promise.all(requests);
      racingMs += performance.now() - before;
      return answers;
    },
    report(trials: number): void {
      const total = ((performance.now() - startedMs) / 1000).toFixed(1);
      const racing = (racingMs / 1000).toFixed(1);
      console.info(
        `${label}: ${trials} trials of ${REQUESTS_PER_TRIAL} concurrent requests in ${total}s ` +
          `(${racing}s answering the requests, the rest checking the database)`,
      );
    },
  };
}

describe('concurrent bookings on postgres', () => {
  let gw: TestGateway;
  let successes = 0;

  beforeAll(async () => {
    gw = await createTestGateway('postgres', { poolSize: 25 });
  });
  afterAll(() => gw?.close());

  it(
    'let one of 20 requests for one provider win, over 50 trials',
    { timeout: 300_000 },
    async () => {
      // Two providers take turns, so both buffers and both sets of durations are raced.
      const byProvider = {
        [RIYADH]: await planTrials(gw, [RIYADH], TRIALS / 2),
        [NEW_YORK]: await planTrials(gw, [NEW_YORK], TRIALS / 2),
      };
      // Twenty different patients per trial, so only the provider can be the conflict.
      const patients = {
        [RIYADH]: await createPatients(gw, 'SA', REQUESTS_PER_TRIAL),
        [NEW_YORK]: await createPatients(gw, 'US', REQUESTS_PER_TRIAL),
      };

      const watch = stopwatch('one provider');
      for (let t = 0; t < TRIALS; t += 1) {
        const providerId = t % 2 === 0 ? RIYADH : NEW_YORK;
        const trial = byProvider[providerId][Math.floor(t / 2)] as Trial;
        const ids = patients[providerId];

        const answers = await watch.race(
          trial.attempts.map((attempt, i) => book(gw, ids[i] as string, attempt)),
        );

        const won = answers.filter((a) => a.status === 201);
        const lost = answers.filter((a) => a.status !== 201);
        expect(won, `trial ${t}`).toHaveLength(1);
        expect(lost.map((a) => [a.status, codeOf(a)])).toEqual(
          Array.from({ length: REQUESTS_PER_TRIAL - 1 }, () => [409, 'SLOT_UNAVAILABLE']),
        );
        successes += 1;
        expect(await activeAt(gw, trial.instantMs, { providerIds: [providerId] })).toBe(1);
        await expectConsistent(gw, successes);
      }
      watch.report(TRIALS);
    },
  );

  it(
    'let one of 20 requests of one patient at two providers win, over 50 trials',
    { timeout: 300_000 },
    async () => {
      // Both providers are licensed in SA and share Riyadh mornings; the patient is the contention.
      const plan = await planTrials(gw, [RIYADH, DUBAI], TRIALS);
      const [patientId] = await createPatients(gw, 'SA', 1);
      if (!patientId) throw new Error('no patient');

      const watch = stopwatch('one patient, two providers');
      for (const [t, trial] of plan.entries()) {
        const answers = await watch.race(
          trial.attempts.map((attempt) => book(gw, patientId, attempt)),
        );

        const winners = trial.attempts.filter((_, i) => answers[i]?.status === 201);
        expect(winners, `trial ${t}`).toHaveLength(1);
        const winnerProvider = winners[0]?.providerId;
        // A loser at the winner's provider meets the provider's booking first; one at the other
        // provider gets past that check and meets the patient's own session.
        const expected = trial.attempts.map((a, i) =>
          answers[i]?.status === 201
            ? [201, undefined]
            : [409, a.providerId === winnerProvider ? 'SLOT_UNAVAILABLE' : 'PATIENT_BUSY'],
        );
        expect(answers.map((a) => [a.status, codeOf(a)])).toEqual(expected);
        expect(expected.filter(([, code]) => code === 'PATIENT_BUSY').length).toBeGreaterThan(0);

        successes += 1;
        expect(await activeAt(gw, trial.instantMs, { patientId })).toBe(1);
        expect(await activeAt(gw, trial.instantMs, { providerIds: [RIYADH, DUBAI] })).toBe(1);
        await expectConsistent(gw, successes);
      }
      watch.report(TRIALS);
    },
  );

  it('fails the booking when the video room cannot be made, then books the same slot', async () => {
    const [patientId] = await createPatients(gw, 'IN', 1);
    if (!patientId) throw new Error('no patient');
    const slots = await rest(gw, 'GET', `/v1/providers/${KOLKATA}/slots?${MARCH_SECOND_50_MIN}`, {
      token: gw.partnerA.token,
    });
    const slot = (slots.body as { data: { start: string }[] }).data[0];
    if (!slot) throw new Error('the Kolkata provider has no slot on 2 March');
    const attempt = { providerId: KOLKATA, startMs: Date.parse(slot.start), duration: 50 };
    const rowsBefore = await bookingRowCount(gw);
    const roomsBefore = gw.video.created.length;
    const liveBefore = gw.video.live();

    gw.video.failNext = 1;
    const failed = await book(gw, patientId, attempt);

    expect(failed.status).toBe(503);
    expect(codeOf(failed)).toBe('UNAVAILABLE');
    expect(gw.video.failNext).toBe(0);
    // The failed booking stays on record as `failed`, holding nothing.
    expect(await bookingRowCount(gw)).toBe(rowsBefore + 1);
    expect(await activeAt(gw, attempt.startMs, { providerIds: [KOLKATA] })).toBe(0);
    expect(gw.video.created).toHaveLength(roomsBefore);
    expect(gw.video.live()).toEqual(liveBefore);

    const retried = await book(gw, patientId, attempt);

    expect(retried.status).toBe(201);
    const booking = retried.body as { id: string; video: { roomId: string } };
    expect(gw.video.live()).toEqual([...liveBefore, booking.video.roomId]);
    const rows = await gw.database.db
      .select()
      .from(bookings)
      .where(eq(bookings.providerId, KOLKATA));
    expect(rows.filter((r) => r.status !== 'failed').map((r) => [r.id, r.status])).toEqual([
      [booking.id, 'confirmed'],
    ]);
    expect(rows.filter((r) => r.status === 'failed')).toHaveLength(1);
  });
});
