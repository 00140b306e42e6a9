import fc from 'fast-check';
import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import {
  computeSlots,
  earliestSlot,
  isOfferedStart,
  type Interval,
  type SlotQuery,
} from './availability.js';
import { scheduleSchema, type LocalWindow, type Schedule } from './schedule.js';
import { DAY_MS, MINUTE_MS, renderInstant, toEpochMs } from './time.js';

const NOW = toEpochMs('2026-01-01T00:00:00Z');

function makeSchedule(fields: Partial<Schedule> = {}): Schedule {
  return {
    weekly: [],
    overrides: [],
    bufferMinutes: 0,
    minNoticeMinutes: 0,
    horizonDays: 365,
    slotIntervalMinutes: 60,
    ...fields,
  };
}

function makeQuery(fields: Partial<SlotQuery> & Pick<SlotQuery, 'schedule'>): SlotQuery {
  return {
    timeZone: 'UTC',
    fromMs: NOW,
    toMs: NOW + 365 * DAY_MS,
    durationMinutes: 60,
    nowMs: NOW,
    busy: [],
    ...fields,
  };
}

/** The slots of one local date whose only hours are `windows`, queried with a day of margin. */
function slotsOnDate(
  timeZone: string,
  date: string,
  windows: LocalWindow[],
  grid: { interval: number; duration: number },
): Interval[] {
  const dayStartMs = toEpochMs(`${date}T00:00:00Z`);
  return computeSlots(
    makeQuery({
      schedule: makeSchedule({
        overrides: [{ date, windows }],
        slotIntervalMinutes: grid.interval,
      }),
      timeZone,
      fromMs: dayStartMs - DAY_MS,
      toMs: dayStartMs + 2 * DAY_MS,
      durationMinutes: grid.duration,
    }),
  );
}

const startsIn = (slots: Interval[], timeZone: string) =>
  slots.map((slot) => renderInstant(slot.startMs, timeZone));

const hhmm = (minutes: number) =>
  `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;

/** True when the wall-clock time `epochMs` shows in `timeZone` maps back to `epochMs`. */
function wallClockExists(epochMs: number, timeZone: string): boolean {
  const { year, month, day, hour, minute } = DateTime.fromMillis(epochMs, { zone: timeZone });
  const back = DateTime.fromObject({ year, month, day, hour, minute }, { zone: timeZone });
  return back.getPossibleOffsets().some((candidate) => candidate.toMillis() === epochMs);
}

/** Starts strictly increase (so no instant twice) and every start is a real wall-clock time. */
function expectWellFormed(slots: Interval[], timeZone: string): void {
  slots.forEach((slot, index) => {
    expect(wallClockExists(slot.startMs, timeZone)).toBe(true);
    if (index > 0) expect(slot.startMs).toBeGreaterThan(slots[index - 1]!.startMs);
  });
}

describe('computeSlots across DST transitions and offsets', () => {
  const matrix = [
    {
      name: 'New York spring forward, window across the gap',
      zone: 'America/New_York',
      date: '2026-03-08',
      window: { start: '00:00', end: '05:00' },
      grid: { interval: 60, duration: 60 },
      expected: [
        '2026-03-08T00:00:00-05:00',
        '2026-03-08T01:00:00-05:00',
        '2026-03-08T03:00:00-04:00',
        '2026-03-08T04:00:00-04:00',
      ],
    },
    {
      name: 'New York spring forward, window opening inside the gap moves forward',
      zone: 'America/New_York',
      date: '2026-03-08',
      window: { start: '02:30', end: '05:00' },
      grid: { interval: 30, duration: 30 },
      expected: [
        '2026-03-08T03:30:00-04:00',
        '2026-03-08T04:00:00-04:00',
        '2026-03-08T04:30:00-04:00',
      ],
    },
    {
      name: 'New York fall back, window across the overlap keeps its elapsed six hours',
      zone: 'America/New_York',
      date: '2026-11-01',
      window: { start: '00:00', end: '05:00' },
      grid: { interval: 60, duration: 60 },
      expected: [
        '2026-11-01T00:00:00-04:00',
        '2026-11-01T01:00:00-04:00',
        '2026-11-01T01:00:00-05:00',
        '2026-11-01T02:00:00-05:00',
        '2026-11-01T03:00:00-05:00',
        '2026-11-01T04:00:00-05:00',
      ],
    },
    {
      name: 'New York fall back, an ambiguous opening means its first occurrence',
      zone: 'America/New_York',
      date: '2026-11-01',
      window: { start: '01:30', end: '03:00' },
      grid: { interval: 30, duration: 30 },
      expected: [
        '2026-11-01T01:30:00-04:00',
        '2026-11-01T01:00:00-05:00',
        '2026-11-01T01:30:00-05:00',
        '2026-11-01T02:00:00-05:00',
        '2026-11-01T02:30:00-05:00',
      ],
    },
    {
      name: 'New York fall back, an ambiguous closing means its first occurrence',
      zone: 'America/New_York',
      date: '2026-11-01',
      window: { start: '00:00', end: '01:30' },
      grid: { interval: 60, duration: 60 },
      expected: ['2026-11-01T00:00:00-04:00'],
    },
    {
      name: 'Sydney spring forward, window across the gap',
      zone: 'Australia/Sydney',
      date: '2026-10-04',
      window: { start: '00:00', end: '05:00' },
      grid: { interval: 60, duration: 60 },
      expected: [
        '2026-10-04T00:00:00+10:00',
        '2026-10-04T01:00:00+10:00',
        '2026-10-04T03:00:00+11:00',
        '2026-10-04T04:00:00+11:00',
      ],
    },
    {
      name: 'Sydney fall back, window across the overlap',
      zone: 'Australia/Sydney',
      date: '2026-04-05',
      window: { start: '00:00', end: '05:00' },
      grid: { interval: 60, duration: 60 },
      expected: [
        '2026-04-05T00:00:00+11:00',
        '2026-04-05T01:00:00+11:00',
        '2026-04-05T02:00:00+11:00',
        '2026-04-05T02:00:00+10:00',
        '2026-04-05T03:00:00+10:00',
        '2026-04-05T04:00:00+10:00',
      ],
    },
    {
      name: 'Sydney fall back, an ambiguous closing means its first occurrence',
      zone: 'Australia/Sydney',
      date: '2026-04-05',
      window: { start: '00:00', end: '02:30' },
      grid: { interval: 60, duration: 60 },
      expected: ['2026-04-05T00:00:00+11:00', '2026-04-05T01:00:00+11:00'],
    },
    {
      name: 'Santiago, a window opening at a midnight that does not exist',
      zone: 'America/Santiago',
      date: '2026-09-06',
      window: { start: '00:00', end: '02:00' },
      grid: { interval: 30, duration: 30 },
      expected: ['2026-09-06T01:00:00-03:00', '2026-09-06T01:30:00-03:00'],
    },
  ];

  it.each(matrix)('$name', ({ zone, date, window, grid, expected }) => {
    const slots = slotsOnDate(zone, date, [window], grid);

    expect(startsIn(slots, zone)).toEqual(expected);
    expectWellFormed(slots, zone);
    for (const slot of slots) expect(slot.endMs - slot.startMs).toBe(grid.duration * MINUTE_MS);
  });

  it('keeps weekly hours at the same wall-clock time on both sides of a transition', () => {
    const schedule = makeSchedule({
      weekly: [6, 7].map((day) => ({ day, start: '09:00', end: '10:00' })),
    });
    const slots = computeSlots(
      makeQuery({
        schedule,
        timeZone: 'America/New_York',
        fromMs: toEpochMs('2026-03-07T00:00:00Z'),
        toMs: toEpochMs('2026-03-09T00:00:00Z'),
      }),
    );

    expect(startsIn(slots, 'America/New_York')).toEqual([
      '2026-03-07T09:00:00-05:00',
      '2026-03-08T09:00:00-04:00',
    ]);
  });

  it('handles a half-hour offset (Asia/Kolkata)', () => {
    const schedule = makeSchedule({
      weekly: [{ day: 1, start: '09:00', end: '11:00' }],
      slotIntervalMinutes: 30,
    });
    const slots = computeSlots(
      makeQuery({
        schedule,
        timeZone: 'Asia/Kolkata',
        fromMs: toEpochMs('2026-06-01T03:45:00Z'),
        toMs: toEpochMs('2026-06-02T00:00:00Z'),
        durationMinutes: 50,
      }),
    );

    // 09:00 IST is 03:30Z, before the query window opens.
    expect(startsIn(slots, 'Asia/Kolkata')).toEqual([
      '2026-06-01T09:30:00+05:30',
      '2026-06-01T10:00:00+05:30',
    ]);
    expect(startsIn(slots, 'UTC')).toEqual(['2026-06-01T04:00:00Z', '2026-06-01T04:30:00Z']);
  });

  it('finds a quarter-hour-offset local date that starts on the previous UTC date', () => {
    const schedule = makeSchedule({
      weekly: [{ day: 1, start: '00:00', end: '02:00' }],
      slotIntervalMinutes: 30,
    });
    const slots = computeSlots(
      makeQuery({
        schedule,
        timeZone: 'Asia/Kathmandu',
        fromMs: toEpochMs('2026-05-31T18:00:00Z'),
        toMs: toEpochMs('2026-05-31T20:00:00Z'),
        durationMinutes: 30,
      }),
    );

    expect(startsIn(slots, 'Asia/Kathmandu')).toEqual([
      '2026-06-01T00:00:00+05:45',
      '2026-06-01T00:30:00+05:45',
      '2026-06-01T01:00:00+05:45',
      '2026-06-01T01:30:00+05:45',
    ]);
    expect(startsIn(slots, 'UTC')[0]).toBe('2026-05-31T18:15:00Z');
  });

  it("answers a Los Angeles patient's Sunday with an Auckland provider's Monday", () => {
    const schedule = makeSchedule({
      weekly: [7, 1].map((day) => ({ day, start: '08:00', end: '10:00' })),
    });
    const patientDay = DateTime.fromISO('2026-06-07', { zone: 'America/Los_Angeles' });
    const slots = computeSlots(
      makeQuery({
        schedule,
        timeZone: 'Pacific/Auckland',
        fromMs: patientDay.toMillis(),
        toMs: patientDay.plus({ days: 1 }).toMillis(),
      }),
    );

    expect(startsIn(slots, 'Pacific/Auckland')).toEqual([
      '2026-06-08T08:00:00+12:00',
      '2026-06-08T09:00:00+12:00',
    ]);
    expect(startsIn(slots, 'America/Los_Angeles')).toEqual([
      '2026-06-07T13:00:00-07:00',
      '2026-06-07T14:00:00-07:00',
    ]);
  });

  it('offers nothing on a date the zone skipped (Pacific/Apia, 2011-12-30)', () => {
    const schedule = makeSchedule({ weekly: [{ day: 5, start: '09:00', end: '10:00' }] });
    const fromMs = toEpochMs('2011-12-28T00:00:00Z');
    const toMs = fromMs + 4 * DAY_MS;

    const slots = computeSlots(
      makeQuery({ schedule, timeZone: 'Pacific/Apia', fromMs, toMs, nowMs: fromMs }),
    );

    expect(slots).toEqual([]);
  });
});

describe('computeSlots rules', () => {
  const MONDAY = '2026-06-01';
  const at = (time: string) => toEpochMs(`${MONDAY}T${time}:00Z`);
  const mondayQuery = (fields: Partial<SlotQuery> = {}, schedule: Partial<Schedule> = {}) =>
    makeQuery({
      schedule: makeSchedule({ weekly: [{ day: 1, start: '09:00', end: '12:00' }], ...schedule }),
      fromMs: at('00:00'),
      toMs: at('00:00') + DAY_MS,
      ...fields,
    });
  const utcStarts = (query: SlotQuery) => startsIn(computeSlots(query), 'UTC');

  it('fills a window on the interval grid with slots that fit', () => {
    const slots = computeSlots(mondayQuery({ durationMinutes: 50 }, { slotIntervalMinutes: 30 }));

    expect(slots.map((slot) => renderInstant(slot.endMs))).toEqual([
      '2026-06-01T09:50:00Z',
      '2026-06-01T10:20:00Z',
      '2026-06-01T10:50:00Z',
      '2026-06-01T11:20:00Z',
      '2026-06-01T11:50:00Z',
    ]);
  });

  it('keeps starts inside [from, to)', () => {
    const query = mondayQuery({ fromMs: at('10:00'), toMs: at('11:00') });

    expect(utcStarts(query)).toEqual(['2026-06-01T10:00:00Z']);
  });

  it('lets a slot touch a busy interval but not overlap it', () => {
    const busy = [{ startMs: at('10:00'), endMs: at('11:00') }];

    expect(utcStarts(mondayQuery({ busy }))).toEqual([
      '2026-06-01T09:00:00Z',
      '2026-06-01T11:00:00Z',
    ]);
  });

  it("pads a slot with the provider's current buffer", () => {
    const busy = [{ startMs: at('10:00'), endMs: at('11:00') }];

    expect(utcStarts(mondayQuery({ busy }, { bufferMinutes: 15 }))).toEqual([
      '2026-06-01T11:00:00Z',
    ]);
  });

  it('honours the buffer already inside a busy interval, whatever order they come in', () => {
    const busy = [
      { startMs: at('11:30'), endMs: at('11:45') },
      { startMs: at('09:00'), endMs: at('10:20') },
    ];

    expect(utcStarts(mondayQuery({ busy }, { slotIntervalMinutes: 30 }))).toEqual([
      '2026-06-01T10:30:00Z',
    ]);
  });

  it('starts no earlier than the notice allows', () => {
    const nowMs = at('08:00');

    expect(utcStarts(mondayQuery({ nowMs }, { minNoticeMinutes: 60 }))[0]).toBe(
      '2026-06-01T09:00:00Z',
    );
    expect(utcStarts(mondayQuery({ nowMs }, { minNoticeMinutes: 61 }))[0]).toBe(
      '2026-06-01T10:00:00Z',
    );
  });

  it('starts strictly before the horizon', () => {
    const horizon = { horizonDays: 1 };

    expect(utcStarts(mondayQuery({ nowMs: at('09:00') - DAY_MS }, horizon))).toEqual([]);
    expect(utcStarts(mondayQuery({ nowMs: at('09:01') - DAY_MS }, horizon))).toEqual([
      '2026-06-01T09:00:00Z',
    ]);
  });

  it('lets an override replace the weekly hours, or take the day off', () => {
    const extra = [{ date: MONDAY, windows: [{ start: '14:00', end: '15:00' }] }];
    const dayOff = [{ date: MONDAY, windows: [] }];

    expect(utcStarts(mondayQuery({}, { overrides: extra }))).toEqual(['2026-06-01T14:00:00Z']);
    expect(utcStarts(mondayQuery({}, { overrides: dayOff }))).toEqual([]);
  });

  it('adds up two overrides of one date', () => {
    const overrides = [
      { date: MONDAY, windows: [{ start: '08:00', end: '09:00' }] },
      { date: MONDAY, windows: [{ start: '13:00', end: '14:00' }] },
    ];

    expect(utcStarts(mondayQuery({}, { overrides }))).toEqual([
      '2026-06-01T08:00:00Z',
      '2026-06-01T13:00:00Z',
    ]);
  });

  it('offers each start once when windows overlap', () => {
    const weekly = [
      { day: 1, start: '09:00', end: '10:00' },
      { day: 1, start: '09:00', end: '11:00' },
      { day: 1, start: '09:30', end: '10:30' },
    ];
    const query = mondayQuery({ durationMinutes: 30 }, { weekly, slotIntervalMinutes: 30 });

    expect(utcStarts(query)).toEqual([
      '2026-06-01T09:00:00Z',
      '2026-06-01T09:30:00Z',
      '2026-06-01T10:00:00Z',
      '2026-06-01T10:30:00Z',
    ]);
  });

  it('does not join touching windows into one longer slot', () => {
    const weekly = [
      { day: 1, start: '09:00', end: '10:00' },
      { day: 1, start: '10:00', end: '11:00' },
    ];

    expect(utcStarts(mondayQuery({ durationMinutes: 90 }, { weekly }))).toEqual([]);
  });

  it('reads 24:00 as the end of the local day', () => {
    const weekly = [{ day: 1, start: '23:00', end: '24:00' }];
    const query = mondayQuery({ timeZone: 'Asia/Riyadh', toMs: at('00:00') + 2 * DAY_MS });

    expect(
      startsIn(computeSlots({ ...query, schedule: makeSchedule({ weekly }) }), 'Asia/Riyadh'),
    ).toEqual(['2026-06-01T23:00:00+03:00']);
  });

  it('answers absurd input with no slots', () => {
    expect(computeSlots(mondayQuery({ toMs: at('00:00') }))).toEqual([]);
    expect(computeSlots(mondayQuery({ toMs: at('00:00') - 1 }))).toEqual([]);
    expect(computeSlots(mondayQuery({ durationMinutes: 0 }))).toEqual([]);
    expect(computeSlots(mondayQuery({ fromMs: Number.NaN }))).toEqual([]);
    expect(computeSlots(mondayQuery({}, { slotIntervalMinutes: 0 }))).toEqual([]);
  });

  it('refuses a zone that is not one', () => {
    expect(() => computeSlots(mondayQuery({ timeZone: 'Mars/Olympus_Mons' }))).toThrow(RangeError);
  });
});

describe('isOfferedStart', () => {
  const schedule = makeSchedule({
    weekly: [{ day: 1, start: '09:00', end: '12:00' }],
    minNoticeMinutes: 120,
    horizonDays: 30,
  });
  const offered = (startIso: string, nowIso = '2026-06-01T00:00:00Z') =>
    isOfferedStart({
      schedule,
      timeZone: 'Europe/London',
      durationMinutes: 60,
      nowMs: toEpochMs(nowIso),
      startMs: toEpochMs(startIso),
    });

  it('accepts a start on the grid of a window', () => {
    expect(offered('2026-06-01T10:00:00+01:00')).toBe(true);
  });

  it('refuses starts off the grid, outside the hours or running past the window', () => {
    expect(offered('2026-06-01T10:15:00+01:00')).toBe(false);
    expect(offered('2026-06-01T08:00:00+01:00')).toBe(false);
    expect(offered('2026-06-01T11:30:00+01:00')).toBe(false);
    expect(offered('2026-06-02T10:00:00+01:00')).toBe(false);
  });

  it('refuses starts in the past, inside the notice or beyond the horizon', () => {
    expect(offered('2026-06-01T09:00:00+01:00', '2026-06-01T09:30:00+01:00')).toBe(false);
    expect(offered('2026-06-01T10:00:00+01:00', '2026-06-01T08:30:00+01:00')).toBe(false);
    expect(offered('2026-06-01T10:00:00+01:00', '2026-06-01T08:00:00+01:00')).toBe(true);
    expect(offered('2026-07-06T10:00:00+01:00')).toBe(false);
  });
});

describe('earliestSlot', () => {
  const schedule = makeSchedule({ weekly: [{ day: 1, start: '09:00', end: '11:00' }] });
  const query = makeQuery({
    schedule,
    fromMs: toEpochMs('2026-06-01T00:00:00Z'),
    toMs: toEpochMs('2026-06-30T00:00:00Z'),
  });

  it('is the first free slot', () => {
    const busy = [
      { startMs: toEpochMs('2026-06-01T09:00:00Z'), endMs: toEpochMs('2026-06-01T10:00:00Z') },
    ];

    expect(earliestSlot({ ...query, busy })).toEqual({
      startMs: toEpochMs('2026-06-01T10:00:00Z'),
      endMs: toEpochMs('2026-06-01T11:00:00Z'),
    });
  });

  it('looks past the first days of a long window', () => {
    const busy = [{ startMs: query.fromMs, endMs: toEpochMs('2026-06-12T00:00:00Z') }];

    expect(earliestSlot({ ...query, busy })?.startMs).toBe(toEpochMs('2026-06-15T09:00:00Z'));
  });

  it('is null when nothing is free', () => {
    const busy = [{ startMs: query.fromMs, endMs: query.toMs }];

    expect(earliestSlot({ ...query, busy })).toBeNull();
  });
});

describe('scheduleSchema', () => {
  it('refuses a weekly window that ends before it starts', () => {
    const overnight = { weekly: [{ day: 1, start: '22:00', end: '02:00' }] };

    expect(scheduleSchema.safeParse(overnight).success).toBe(false);
    expect(
      scheduleSchema.safeParse({ weekly: [{ day: 1, start: '22:00', end: '24:00' }] }).success,
    ).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------------
// Properties over random schedules

const ZONES = [
  'UTC',
  'America/New_York',
  'America/Los_Angeles',
  'America/Santiago',
  'Europe/London',
  'Asia/Kolkata',
  'Asia/Kathmandu',
  'Australia/Sydney',
  'Australia/Lord_Howe',
  'Pacific/Auckland',
  'Pacific/Chatham',
];

/** Days a few before each transition the matrix covers, so random spans cross them often. */
const NEAR_TRANSITIONS = ['2026-03-05', '2026-04-02', '2026-09-03', '2026-10-01', '2026-10-29'];

const windowArb = fc
  .tuple(
    // Early-morning openings are over-weighted: that is where transitions happen.
    fc.oneof(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 1439 })),
    fc.integer({ min: 1, max: 600 }),
  )
  .map(([start, length]) => ({ start: hhmm(start), end: hhmm(Math.min(1440, start + length)) }));

const busyArb = fc.record({
  offsetMinutes: fc.integer({ min: -1440, max: 16 * 1440 }),
  durationMinutes: fc.integer({ min: 15, max: 240 }),
  bufferMinutes: fc.integer({ min: 0, max: 60 }),
});

const rawCaseArb = fc.record({
  zone: fc.constantFrom(...ZONES),
  base: fc.oneof(
    fc.constantFrom(...NEAR_TRANSITIONS.map((date) => toEpochMs(`${date}T00:00:00Z`))),
    fc.integer({ min: toEpochMs('2026-01-01T00:00:00Z'), max: toEpochMs('2026-12-01T00:00:00Z') }),
  ),
  fromOffsetMinutes: fc.integer({ min: 0, max: 3 * 1440 }),
  spanMinutes: fc.integer({ min: 0, max: 14 * 1440 }),
  nowOffsetMinutes: fc.integer({ min: -3 * 1440, max: 2 * 1440 }),
  weekly: fc.array(fc.record({ day: fc.integer({ min: 1, max: 7 }), window: windowArb }), {
    maxLength: 8,
  }),
  overrides: fc.array(
    fc.record({
      dayOffset: fc.integer({ min: -1, max: 18 }),
      windows: fc.array(windowArb, { maxLength: 3 }),
    }),
    { maxLength: 4 },
  ),
  bufferMinutes: fc.integer({ min: 0, max: 120 }),
  minNoticeMinutes: fc.integer({ min: 0, max: 2 * 1440 }),
  horizonDays: fc.integer({ min: 1, max: 20 }),
  slotIntervalMinutes: fc.integer({ min: 5, max: 120 }),
  durationMinutes: fc.constantFrom(15, 30, 45, 50, 60, 90),
  busy: fc.array(busyArb, { maxLength: 8 }),
});

type Generated<A> = A extends fc.Arbitrary<infer T> ? T : never;

/** A query from generated numbers; the schedule goes through the real schema on the way. */
function toQuery(raw: Generated<typeof rawCaseArb>): SlotQuery {
  const fromMs = raw.base + raw.fromOffsetMinutes * MINUTE_MS;
  const baseDate = DateTime.fromMillis(raw.base, { zone: 'UTC' });
  const schedule = scheduleSchema.parse({
    weekly: raw.weekly.map(({ day, window }) => ({ day, ...window })),
    overrides: raw.overrides.map(({ dayOffset, windows }) => ({
      date: baseDate.plus({ days: dayOffset }).toFormat('yyyy-MM-dd'),
      windows,
    })),
    bufferMinutes: raw.bufferMinutes,
    minNoticeMinutes: raw.minNoticeMinutes,
    horizonDays: raw.horizonDays,
    slotIntervalMinutes: raw.slotIntervalMinutes,
  });
  const busy = raw.busy.map((b) => {
    const startMs = fromMs + b.offsetMinutes * MINUTE_MS;
    return { startMs, endMs: startMs + (b.durationMinutes + b.bufferMinutes) * MINUTE_MS };
  });
  return {
    schedule,
    timeZone: raw.zone,
    fromMs,
    toMs: fromMs + raw.spanMinutes * MINUTE_MS,
    durationMinutes: raw.durationMinutes,
    nowMs: fromMs + raw.nowOffsetMinutes * MINUTE_MS,
    busy,
  };
}

/**
 * The instant a wall-clock time means, found independently of the engine: probe instants around
 * luxon's reading and keep the earliest whose clock shows that time. When none does, the time is
 * in a gap and the contract is luxon's forward shift.
 */
function oracleInstant(date: string, time: string, timeZone: string): number {
  const [day, clock] =
    time === '24:00'
      ? [DateTime.fromISO(date, { zone: 'UTC' }).plus({ days: 1 }).toFormat('yyyy-MM-dd'), '00:00']
      : [date, time];
  const wanted = `${day}T${clock}`;
  const reading = DateTime.fromISO(wanted, { zone: timeZone }).toMillis();
  // Every offset change in the zones under test is a multiple of 30 minutes, within 3 hours.
  const probes = Array.from({ length: 13 }, (_, k) => reading + (k - 6) * 30 * MINUTE_MS);
  const showing = probes.filter(
    (ms) => DateTime.fromMillis(ms, { zone: timeZone }).toFormat("yyyy-MM-dd'T'HH:mm") === wanted,
  );
  return showing.length > 0 ? Math.min(...showing) : reading;
}

/** The windows of a local date, as the product contract defines them, in instants. */
function oracleWindows(query: SlotQuery, date: string): Interval[] {
  const overrides = query.schedule.overrides.filter((o) => o.date === date);
  const weekday = DateTime.fromISO(date, { zone: 'UTC' }).weekday;
  const windows =
    overrides.length > 0
      ? overrides.flatMap((o) => o.windows)
      : query.schedule.weekly.filter((w) => w.day === weekday);
  return windows.map((w) => ({
    startMs: oracleInstant(date, w.start, query.timeZone),
    endMs: oracleInstant(date, w.end, query.timeZone),
  }));
}

function conflicts(slot: Interval, busy: Interval, bufferMs: number): boolean {
  return slot.startMs < busy.endMs && busy.startMs < slot.endMs + bufferMs;
}

const caseArb = rawCaseArb.map(toQuery);

/** What is wrong with one returned slot under the contract; empty when nothing is. */
function slotProblems(query: SlotQuery, slot: Interval, windows: Interval[]): string[] {
  const { schedule, nowMs } = query;
  const bufferMs = schedule.bufferMinutes * MINUTE_MS;
  const checks: [string, boolean][] = [
    ['has the duration', slot.endMs - slot.startMs === query.durationMinutes * MINUTE_MS],
    ['starts in [from, to)', query.fromMs <= slot.startMs && slot.startMs < query.toMs],
    ['respects notice', slot.startMs >= nowMs + schedule.minNoticeMinutes * MINUTE_MS],
    ['is inside the horizon', slot.startMs < nowMs + schedule.horizonDays * DAY_MS],
    ['starts at a real wall-clock time', wallClockExists(slot.startMs, query.timeZone)],
    ['fits a window', windows.some((w) => w.startMs <= slot.startMs && slot.endMs <= w.endMs)],
    ['is free', !query.busy.some((busy) => conflicts(slot, busy, bufferMs))],
  ];
  const broken = checks.filter(([, holds]) => !holds);
  return broken.map(([rule]) => `${renderInstant(slot.startMs, query.timeZone)} ${rule}: no`);
}

function checkSlotsHonourTheContract(query: SlotQuery): void {
  const slots = computeSlots(query);
  const windowsByDate = new Map<string, Interval[]>();
  const windowsOf = (slot: Interval) => {
    const local = DateTime.fromMillis(slot.startMs, { zone: query.timeZone });
    const date = local.toFormat('yyyy-MM-dd');
    if (!windowsByDate.has(date)) windowsByDate.set(date, oracleWindows(query, date));
    return windowsByDate.get(date) ?? [];
  };

  expect(slots.flatMap((slot) => slotProblems(query, slot, windowsOf(slot)))).toEqual([]);
  expect(slots.every((slot, i) => i === 0 || slot.startMs > slots[i - 1]!.startMs)).toBe(true);

  // Each isOfferedStart runs the engine again, so a sample keeps the run short.
  const { schedule, timeZone, durationMinutes, nowMs } = query;
  for (const slot of [slots[0], slots[slots.length >> 1], slots.at(-1)]) {
    if (!slot) continue;
    const offered = isOfferedStart({
      schedule,
      timeZone,
      durationMinutes,
      nowMs,
      startMs: slot.startMs,
    });
    expect(offered, renderInstant(slot.startMs, timeZone)).toBe(true);
  }
}

// Luxon's zone lookups cost microseconds each; on a slow CI runner 200 runs can pass the default
// five seconds without anything being wrong.
describe('computeSlots properties', { timeout: 30_000 }, () => {
  it('returns only slots the schedule offers, free of every busy interval', () => {
    fc.assert(fc.property(caseArb, checkSlotsHonourTheContract), { numRuns: 200 });
  });

  it('never gains a slot when a busy interval is added', () => {
    fc.assert(
      fc.property(caseArb, busyArb, (query, extra) => {
        const startMs = query.fromMs + extra.offsetMinutes * MINUTE_MS;
        const endMs = startMs + (extra.durationMinutes + extra.bufferMinutes) * MINUTE_MS;
        const before = new Set(computeSlots(query).map((slot) => slot.startMs));

        const after = computeSlots({ ...query, busy: [...query.busy, { startMs, endMs }] });

        expect(after.filter((slot) => !before.has(slot.startMs))).toEqual([]);
      }),
      { numRuns: 200 },
    );
  });

  it('finds as earliest slot the first slot of the whole window', () => {
    fc.assert(
      fc.property(caseArb, (query) => {
        expect(earliestSlot(query)).toEqual(computeSlots(query)[0] ?? null);
      }),
      { numRuns: 200 },
    );
  });
});
