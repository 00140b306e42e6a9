import { and, count, eq, ne } from 'drizzle-orm';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DAY_MS,
  MINUTE_MS,
  providerImportRowSchema,
  renderInstant,
  type ProviderImportRow,
} from '@tahoon/core';
import { webIds } from '../src/crypto.js';
import { bookings } from '../src/db/schema.js';
import {
  createTestGateway,
  DB_KINDS,
  rest,
  TEST_NOW,
  type Answer,
  type TestGateway,
} from './harness.js';

/*
 * The promise a partner relies on: a slot the gateway lists can be booked right away, and a start
 * it does not list (inside the asked window) cannot. Random providers are imported with random
 * weekly hours in zones with and without daylight saving (March and April 2027 hold New York's,
 * London's and Sydney's clock changes), then their slots are read and booked through the API.
 */

const ZONES = [
  'Asia/Riyadh',
  'America/New_York',
  'Australia/Sydney',
  'Asia/Kolkata',
  'Asia/Kathmandu',
  'Europe/London',
] as const;

/** TAHOON_SLOT_RUNS raises the count for a longer search before a release. */
const RUNS_PER_DATABASE = Number(process.env.TAHOON_SLOT_RUNS ?? 25);
const OFFSET_SUFFIX = /(Z|[+-]\d{2}:\d{2})$/;
/** Patients of every run live here, and the random providers are licensed here. */
const COUNTRY = 'GB';

interface LocalWindow {
  start: string;
  end: string;
}

interface Scenario {
  timeZone: string;
  weekly: (LocalWindow & { day: number })[];
  overrides: { dayOffset: number; windows: LocalWindow[] }[];
  bufferMinutes: number;
  minNoticeMinutes: number;
  horizonDays: number;
  slotIntervalMinutes: number;
  durations: number[];
  /** Bookings made before the slots under test are read: which duration, which listed slot. */
  existing: { durationPick: number; slotPick: number }[];
  query: {
    /** Where the window opens, as a share of the horizon: below 0 in the past, above 1 past it. */
    fromShare: number;
    /** Milliseconds past the minute, so windows also open between grid points. */
    fromJitterMs: number;
    lengthMs: number;
    /** The zone `from` and `to` are written in, and the zone slots are rendered in. */
    writtenIn: string;
    renderIn: string;
    durationPick: number;
    /** Where, as a fraction of the window, the window is split to compare the halves. */
    splitAt: number;
  };
  /** Which listed slots to book, in turn, each picked from the list as it then is. */
  picks: number[];
}

interface Slot {
  start: string;
  end: string;
  startMs: number;
  endMs: number;
}

const hhmm = (minute: number) =>
  `${String(Math.floor(minute / 60)).padStart(2, '0')}:${String(minute % 60).padStart(2, '0')}`;

/** Mostly quarter hours, sometimes any minute, sometimes the small hours where clocks change. */
const minuteOfDay = fc.oneof(
  fc.integer({ min: 0, max: 95 }).map((quarter) => quarter * 15),
  fc.integer({ min: 0, max: 1439 }),
  fc.integer({ min: 0, max: 240 }),
);

/** Mostly long enough for a session or several, sometimes shorter than any. */
const windowLength = fc.oneof(
  { arbitrary: fc.integer({ min: 60, max: 720 }), weight: 3 },
  { arbitrary: fc.integer({ min: 10, max: 720 }), weight: 1 },
);

const localWindow: fc.Arbitrary<LocalWindow> = fc
  .record({ start: minuteOfDay, length: windowLength })
  .map(({ start, length }) => ({ start: hhmm(start), end: hhmm(Math.min(1440, start + length)) }));

/** A span of whole minutes or, as often, of any number of milliseconds. */
const spanBetween = (minDays: number, maxDays: number) =>
  fc.oneof(
    fc.integer({ min: minDays * 1440, max: maxDays * 1440 }).map((m) => m * MINUTE_MS),
    fc.integer({ min: minDays * DAY_MS, max: maxDays * DAY_MS }),
  );

const scenario: fc.Arbitrary<Scenario> = fc.record({
  timeZone: fc.constantFrom(...ZONES),
  weekly: fc.array(
    fc
      .record({ day: fc.integer({ min: 1, max: 7 }), window: localWindow })
      .map(({ day, window }) => ({ day, ...window })),
    { minLength: 1, maxLength: 10 },
  ),
  overrides: fc.array(
    fc.record({
      dayOffset: fc.integer({ min: 0, max: 60 }),
      windows: fc.array(localWindow, { maxLength: 2 }),
    }),
    { maxLength: 3 },
  ),
  bufferMinutes: fc.oneof(fc.constantFrom(0, 5, 10, 15), fc.integer({ min: 0, max: 90 })),
  minNoticeMinutes: fc.oneof(
    { arbitrary: fc.integer({ min: 0, max: 240 }), weight: 3 },
    { arbitrary: fc.integer({ min: 0, max: 3 * 1440 }), weight: 1 },
  ),
  // Mostly long enough to reach the window, sometimes cutting it short.
  horizonDays: fc.oneof(fc.integer({ min: 20, max: 90 }), fc.integer({ min: 1, max: 20 })),
  slotIntervalMinutes: fc.oneof(
    fc.constantFrom(5, 10, 15, 20, 30, 45, 60),
    fc.integer({ min: 5, max: 120 }),
  ),
  durations: fc.uniqueArray(fc.constantFrom(15, 20, 30, 45, 50, 60, 90, 120), {
    minLength: 1,
    maxLength: 2,
  }),
  existing: fc.array(fc.record({ durationPick: fc.nat(), slotPick: fc.nat() }), { maxLength: 2 }),
  query: fc.record({
    fromShare: fc.double({ min: -0.1, max: 1.1, noNaN: true }),
    fromJitterMs: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: MINUTE_MS - 1 })),
    lengthMs: fc.oneof(
      { arbitrary: spanBetween(1, 31), weight: 3 },
      { arbitrary: fc.integer({ min: 1, max: DAY_MS }), weight: 1 },
    ),
    writtenIn: fc.constantFrom(...ZONES, 'UTC'),
    renderIn: fc.constantFrom(...ZONES, 'UTC'),
    durationPick: fc.nat(),
    splitAt: fc.double({ min: 0, max: 1, noNaN: true }),
  }),
  picks: fc.array(fc.nat(), { minLength: 1, maxLength: 3 }),
});

const pick = <T>(items: readonly T[], index: number): T | undefined => items[index % items.length];

/** A provider row as the import would accept it; parsing proves the random schedule is valid. */
function providerRow(s: Scenario): ProviderImportRow & { id: string } {
  const localDate = (dayOffset: number) =>
    renderInstant(TEST_NOW + dayOffset * DAY_MS, s.timeZone).slice(0, 10);
  const row = providerImportRowSchema.parse({
    displayName: 'Random Schedule',
    type: 'psychologist',
    specialties: ['anxiety'],
    languages: ['en'],
    gender: 'undisclosed',
    bio: '',
    yearsOfExperience: 5,
    sessionTypes: s.durations.map((duration) => ({
      duration,
      price: { amount: 9000, currency: 'GBP' },
    })),
    timeZone: s.timeZone,
    licensedRegions: [COUNTRY],
    acceptingNewPatients: true,
    active: true,
    schedule: {
      weekly: s.weekly,
      overrides: s.overrides.map((o) => ({ date: localDate(o.dayOffset), windows: o.windows })),
      bufferMinutes: s.bufferMinutes,
      minNoticeMinutes: s.minNoticeMinutes,
      horizonDays: s.horizonDays,
      slotIntervalMinutes: s.slotIntervalMinutes,
    },
  });
  return { ...row, id: webIds.next('prv') };
}

/** Whether a booking at `startMs` would touch one at `takenMs`, both `duration` long. */
function clashes(startMs: number, takenMs: number, duration: number, bufferMinutes: number) {
  const reachMs = (duration + bufferMinutes) * MINUTE_MS;
  return startMs < takenMs + reachMs && takenMs < startMs + reachMs;
}

let patientSerial = 0;

async function newPatient(gw: TestGateway): Promise<string> {
  patientSerial += 1;
  const answer = await rest(gw, 'POST', '/v1/patients', {
    token: gw.partnerA.token,
    body: {
      externalId: `slots-${patientSerial}`,
      givenName: 'Test',
      familyName: `Patient ${patientSerial}`,
      birthDate: '1985-06-30',
      country: COUNTRY,
      timeZone: 'Europe/London',
    },
  });
  expect(answer.status).toBe(201);
  return (answer.body as { id: string }).id;
}

function book(
  gw: TestGateway,
  patientId: string,
  providerId: string,
  start: string,
  duration: number,
) {
  return rest(gw, 'POST', '/v1/bookings', {
    token: gw.partnerA.token,
    body: { patientId, providerId, start, duration },
  });
}

const codeOf = (answer: Answer) => (answer.body as { code?: string }).code;

/** Counts what one run has seen, for the line the test prints. */
interface Tally {
  runs: number;
  runsWithSlots: number;
  slotsListed: number;
  booked: number;
  refused: number;
}

/** One random provider: its slots are read, checked, booked and probed through the API. */
class Run {
  readonly provider: ProviderImportRow & { id: string };
  readonly fromMs: number;
  readonly toMs: number;
  readonly duration: number;
  private probePatient: string | undefined;

  constructor(
    private readonly gw: TestGateway,
    private readonly s: Scenario,
    private readonly tally: Tally,
  ) {
    this.provider = providerRow(s);
    const shareMinutes = Math.round(s.query.fromShare * s.horizonDays * 1440);
    this.fromMs = TEST_NOW + shareMinutes * MINUTE_MS + s.query.fromJitterMs;
    this.toMs = this.fromMs + s.query.lengthMs;
    this.duration = pick(s.durations, s.query.durationPick) ?? 0;
  }

  /** Reads slots for [fromMs, toMs) and checks what every answer must satisfy. */
  async slots(fromMs = this.fromMs, toMs = this.toMs, duration = this.duration): Promise<Slot[]> {
    const { writtenIn, renderIn } = this.s.query;
    const query = new URLSearchParams({
      from: renderInstant(fromMs, writtenIn),
      to: renderInstant(toMs, writtenIn),
      duration: String(duration),
      timeZone: renderIn,
    });
    const answer = await rest(this.gw, 'GET', `/v1/providers/${this.provider.id}/slots?${query}`, {
      token: this.gw.partnerA.token,
    });
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    const body = answer.body as { data: { start: string; end: string }[]; timeZone: string };
    expect(body.timeZone).toBe(renderIn);

    const slots = body.data.map((s) => ({
      ...s,
      startMs: Date.parse(s.start),
      endMs: Date.parse(s.end),
    }));
    for (const slot of slots) {
      expect(slot.start).toMatch(OFFSET_SUFFIX);
      expect(slot.end).toMatch(OFFSET_SUFFIX);
      expect(slot.start).toBe(renderInstant(slot.startMs, renderIn));
      expect(slot.startMs).toBeGreaterThanOrEqual(fromMs);
      expect(slot.startMs).toBeLessThan(toMs);
      expect(slot.endMs - slot.startMs).toBe(duration * MINUTE_MS);
    }
    const starts = slots.map((s) => s.startMs);
    expect(starts).toEqual([...new Set(starts)].sort((a, b) => a - b));
    return slots;
  }

  async bookFresh(start: string, duration = this.duration): Promise<void> {
    const answer = await book(
      this.gw,
      await newPatient(this.gw),
      this.provider.id,
      start,
      duration,
    );
    expect(answer.status, `${start} ${duration} min: ${JSON.stringify(answer.body)}`).toBe(201);
    this.tally.booked += 1;
  }

  /** A start that is not listed must be refused, and the refusal must leave nothing behind. */
  async expectRefused(startMs: number): Promise<void> {
    this.probePatient ??= await newPatient(this.gw);
    const start = renderInstant(startMs, this.provider.timeZone);
    const answer = await book(this.gw, this.probePatient, this.provider.id, start, this.duration);
    expect([answer.status, codeOf(answer)], `${start} was not listed`).toEqual([
      409,
      'SLOT_UNAVAILABLE',
    ]);
    this.tally.refused += 1;
  }

  /** Whether a start lies in the asked window but is missing from the list. */
  unlisted(startMs: number, slots: Slot[]): boolean {
    return (
      startMs >= this.fromMs && startMs < this.toMs && !slots.some((s) => s.startMs === startMs)
    );
  }
}

/** Earlier bookings, of any duration the provider offers, so the slots under test meet them. */
async function bookExisting(run: Run, s: Scenario): Promise<void> {
  for (const existing of s.existing) {
    const duration = pick(s.durations, existing.durationPick) ?? run.duration;
    const slot = pick(await run.slots(run.fromMs, run.toMs, duration), existing.slotPick);
    if (slot) await run.bookFresh(slot.start, duration);
  }
}

/** The window split in two answers exactly what the whole window answers. */
async function expectSplitAgrees(run: Run, s: Scenario, whole: Slot[]): Promise<void> {
  const midMs = run.fromMs + Math.floor(s.query.splitAt * s.query.lengthMs);
  if (midMs <= run.fromMs || midMs >= run.toMs) return;
  const halves = [...(await run.slots(run.fromMs, midMs)), ...(await run.slots(midMs, run.toMs))];
  expect(halves.map((h) => h.startMs)).toEqual(whole.map((w) => w.startMs));
}

/**
 * Books listed slots in turn, each with a fresh patient. After each booking the list must be
 * the previous list minus exactly the starts that now clash, and the taken start, a clashing
 * neighbour and a start one minute later (when unlisted) must be refused.
 */
async function bookListedSlots(run: Run, s: Scenario, listed: Slot[]): Promise<Slot[]> {
  let slots = listed;
  for (const index of s.picks) {
    const chosen = pick(slots, index);
    if (!chosen) break;
    await run.bookFresh(chosen.start);

    const after = await run.slots();
    const clash = (slot: Slot) =>
      clashes(slot.startMs, chosen.startMs, run.duration, s.bufferMinutes);
    expect(after.map((a) => a.start)).toEqual(
      slots.filter((slot) => !clash(slot)).map((b) => b.start),
    );

    await run.expectRefused(chosen.startMs);
    const neighbour = slots.find((slot) => clash(slot) && slot.startMs !== chosen.startMs);
    if (neighbour) await run.expectRefused(neighbour.startMs);
    const nextMinute = chosen.startMs + MINUTE_MS;
    if (run.unlisted(nextMinute, after)) await run.expectRefused(nextMinute);
    slots = after;
  }
  return slots;
}

/** The database holds exactly the bookings that were answered 201, each with its room. */
async function expectOnlyAccepted(
  gw: TestGateway,
  providerId: string,
  accepted: number,
  rooms: number,
) {
  const db = gw.database.db;
  const [all] = await db
    .select({ n: count() })
    .from(bookings)
    .where(eq(bookings.providerId, providerId));
  const [unconfirmed] = await db
    .select({ n: count() })
    .from(bookings)
    .where(and(eq(bookings.providerId, providerId), ne(bookings.status, 'confirmed')));
  expect(all?.n).toBe(accepted);
  expect(unconfirmed?.n).toBe(0);
  expect(gw.video.created.length - rooms).toBe(accepted);
}

async function checkScenario(gw: TestGateway, s: Scenario, tally: Tally): Promise<void> {
  const run = new Run(gw, s, tally);
  await gw.deps.store.providers.upsert([run.provider]);
  const bookedBefore = tally.booked;
  const roomsBefore = gw.video.created.length;
  tally.runs += 1;

  await bookExisting(run, s);
  const listed = await run.slots();
  tally.slotsListed += listed.length;
  if (listed.length > 0) tally.runsWithSlots += 1;
  await expectSplitAgrees(run, s, listed);

  const remaining = await bookListedSlots(run, s, listed);
  // Also probe a start inside the window that is not listed, even when nothing is listed.
  const firstMinuteMs = Math.ceil(run.fromMs / MINUTE_MS) * MINUTE_MS;
  if (run.unlisted(firstMinuteMs, remaining)) await run.expectRefused(firstMinuteMs);

  await expectOnlyAccepted(gw, run.provider.id, tally.booked - bookedBefore, roomsBefore);
}

describe.each(DB_KINDS)('slots on %s', (kind) => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await createTestGateway(kind);
  });
  afterAll(() => gw?.close());

  it(
    'are each bookable at that moment and lie inside [from, to)',
    { timeout: 300_000 },
    async () => {
      const tally: Tally = { runs: 0, runsWithSlots: 0, slotsListed: 0, booked: 0, refused: 0 };
      const startedMs = performance.now();

      await fc.assert(
        fc.asyncProperty(scenario, (s) => checkScenario(gw, s, tally)),
        // The cap only bounds shrinking after a failure; a normal run takes a fraction of it.
        {
          numRuns: RUNS_PER_DATABASE,
          plugins: [fc.interruptAfterTimeLimit(240_000, { failOnInterrupt: true })],
        },
      );

      const seconds = ((performance.now() - startedMs) / 1000).toFixed(1);
      console.info(
        `${kind}: ${tally.runs} random providers (${tally.runsWithSlots} with slots), ` +
          `${tally.slotsListed} slots listed, ` +
          `${tally.booked} booked, ${tally.refused} unlisted starts refused, in ${seconds}s`,
      );
    },
  );
});
