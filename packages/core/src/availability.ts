import { DateTime } from 'luxon';
import type { LocalWindow, Schedule } from './schedule.js';
import { DAY_MS, MINUTE_MS } from './time.js';

/** A half-open span of time, [startMs, endMs), in epoch milliseconds. */
export interface Interval {
  startMs: number;
  endMs: number;
}

/** What slot computation needs; no I/O, so the same answer for the same inputs. */
export interface SlotQuery {
  schedule: Schedule;
  /** The provider's IANA zone: the zone the schedule's wall-clock windows are in. */
  timeZone: string;
  /** Slot starts lie in [fromMs, toMs). */
  fromMs: number;
  toMs: number;
  durationMinutes: number;
  nowMs: number;
  /** Active bookings of the provider as [start, end + their buffer). */
  busy: readonly Interval[];
}

/** A query for one start, as the booking endpoint asks it: the schedule alone, no bookings. */
export type OfferedStartQuery = Omit<SlotQuery, 'fromMs' | 'toMs' | 'busy'> & { startMs: number };

/**
 * Every bookable slot in the query window, sorted by start, each start once.
 *
 * Windows are wall-clock times in the provider's zone, turned into instants per local date:
 * - a local time that does not exist (the spring-forward gap) is moved forward by the length of
 *   the gap, as luxon does, so a 02:30 start on a New York spring-forward day opens at 03:30 EDT;
 * - a local time that happens twice (the fall-back overlap) means its first occurrence, the
 *   earlier instant;
 * - `24:00` is the start of the next local day.
 *
 * Starts then step by `slotIntervalMinutes` in absolute time from the window's opening instant,
 * so 00:00-05:00 holds four real hours on a spring-forward day and six on a fall-back day, no
 * start lands in a gap and no instant is offered twice in an overlap. A slot must fit inside
 * one window; touching windows are not joined. A candidate `[s, s + d)` with the provider's
 * buffer `b` conflicts with a busy `[bs, be)` when `s < be && bs < s + d + b`, the same test the
 * database makes.
 *
 * @example
 * computeSlots({ schedule, timeZone: 'Asia/Kolkata', fromMs, toMs, durationMinutes: 50,
 *   nowMs: Date.now(), busy: [] });
 */
export function computeSlots(query: SlotQuery): Interval[] {
  const bounds = startBounds(query);
  if (!bounds || !hasUsableNumbers(query)) return [];
  assertZone(query.timeZone);

  const durationMs = query.durationMinutes * MINUTE_MS;
  const stepMs = query.schedule.slotIntervalMinutes * MINUTE_MS;
  const starts: number[] = [];
  for (const window of windowInstants(query.schedule, query.timeZone, bounds)) {
    pushGridStarts(starts, window, bounds, stepMs, durationMs);
  }

  const bufferMs = query.schedule.bufferMinutes * MINUTE_MS;
  return withoutConflicts(sortedUnique(starts), query.busy, durationMs, bufferMs);
}

/**
 * Whether the schedule offers exactly this start for this duration now: on the slot grid, inside
 * a window, after the notice and before the horizon. Bookings are not considered; the database
 * decides conflicts when the booking is written.
 *
 * @example
 * isOfferedStart({ schedule, timeZone: 'Europe/London', durationMinutes: 50,
 *   nowMs: Date.now(), startMs: Date.parse('2026-05-04T09:00:00+01:00') }); // true
 */
export function isOfferedStart(query: OfferedStartQuery): boolean {
  const { startMs, ...rest } = query;
  const slots = computeSlots({ ...rest, fromMs: startMs, toMs: startMs + 1, busy: [] });
  return slots.some((slot) => slot.startMs === startMs);
}

/**
 * The first bookable slot in the query window, or `null` when there is none.
 *
 * @example
 * earliestSlot({ schedule, timeZone: 'Asia/Riyadh', fromMs, toMs, durationMinutes: 30,
 *   nowMs: Date.now(), busy }); // { startMs, endMs } | null
 */
export function earliestSlot(query: SlotQuery): Interval | null {
  // Most providers have a slot within days, so look at a doubling span instead of the whole
  // window; search sorts many providers by this. The spans tile the window, so the first slot
  // found is the first slot there is.
  const bounds = startBounds(query);
  if (!bounds) return null;
  let fromMs = bounds.startMs;
  for (let days = 1; fromMs < bounds.endMs; days *= 2) {
    const toMs = Math.min(bounds.endMs, fromMs + days * DAY_MS);
    const first = computeSlots({ ...query, fromMs, toMs })[0];
    if (first) return first;
    fromMs = toMs;
  }
  return null;
}

/** Where a start may lie: inside the query window, after the notice and before the horizon. */
function startBounds(query: SlotQuery): Interval | null {
  const { schedule, nowMs } = query;
  const startMs = Math.max(query.fromMs, nowMs + schedule.minNoticeMinutes * MINUTE_MS);
  const endMs = Math.min(query.toMs, nowMs + schedule.horizonDays * DAY_MS);
  return startMs < endMs ? { startMs, endMs } : null;
}

/** Refuses inputs that would never end or never match, rather than looping on them. */
function hasUsableNumbers(query: SlotQuery): boolean {
  const { durationMinutes, schedule } = query;
  const finite = [query.fromMs, query.toMs, query.nowMs, durationMinutes, schedule.bufferMinutes];
  return (
    finite.every(Number.isFinite) &&
    durationMinutes > 0 &&
    Number.isFinite(schedule.slotIntervalMinutes) &&
    schedule.slotIntervalMinutes > 0
  );
}

/** Zones are validated at the edge; one that slips through is a bug, not an empty calendar. */
function assertZone(timeZone: string): void {
  const valid = remembered(`zone|${timeZone}`, () =>
    DateTime.fromMillis(0, { zone: timeZone }).isValid ? 1 : 0,
  );
  if (!valid) throw new RangeError(`unknown time zone ${timeZone}`);
}

/**
 * Answers of zone conversions, which are the expensive part: every slot search and booking
 * converts a provider's same few windows on the same coming days again. Each answer depends
 * only on its key (zone, local date, wall-clock time) and the time zone database, which does
 * not change while the process runs. Cleared when full, so it stays bounded.
 */
const zoneAnswers = new Map<string, number>();
const ZONE_ANSWERS_MAX = 50_000;

function remembered(key: string, compute: () => number): number {
  const known = zoneAnswers.get(key);
  if (known !== undefined) return known;
  const value = compute();
  if (zoneAnswers.size >= ZONE_ANSWERS_MAX) zoneAnswers.clear();
  zoneAnswers.set(key, value);
  return value;
}

const dateKey = (date: DateTime) => `${date.year}-${date.month}-${date.day}`;

/** The opening and closing instants of every window on the local dates that could touch `span`. */
function windowInstants(schedule: Schedule, timeZone: string, span: Interval): Interval[] {
  const overrides = overridesByDate(schedule);
  const instants: Interval[] = [];
  for (const date of localDatesAround(span, timeZone)) {
    // Zone conversions are the expensive part, so days without hours are skipped first.
    const windows = overrides.get(date.toISODate() ?? '') ?? weeklyWindows(schedule, date);
    if (windows.length === 0 || !dateExists(date, timeZone)) continue;
    for (const window of windows) {
      const startMs = localInstant(date, window.start, timeZone);
      const endMs = localInstant(date, window.end, timeZone);
      if (startMs < endMs) instants.push({ startMs, endMs });
    }
  }
  return instants;
}

/** Windows of every override, by local date. Two overrides of one date add up. */
function overridesByDate(schedule: Schedule): Map<string, LocalWindow[]> {
  const byDate = new Map<string, LocalWindow[]>();
  for (const override of schedule.overrides) {
    byDate.set(override.date, [...(byDate.get(override.date) ?? []), ...override.windows]);
  }
  return byDate;
}

function weeklyWindows(schedule: Schedule, date: DateTime): LocalWindow[] {
  return schedule.weekly.filter((window) => window.day === date.weekday);
}

/**
 * Calendar dates (as zone-free UTC midnights) from the provider's local date one day before
 * `span` to one day after it. A day of margin on each side covers any zone's offset.
 */
function localDatesAround(span: Interval, timeZone: string): DateTime[] {
  const lastMs = calendarDate(span.endMs + DAY_MS, timeZone).toMillis();
  const dates: DateTime[] = [];
  let date = calendarDate(span.startMs - DAY_MS, timeZone);
  while (date.toMillis() <= lastMs) {
    dates.push(date);
    date = date.plus({ days: 1 });
  }
  return dates;
}

function calendarDate(epochMs: number, timeZone: string): DateTime {
  const local = DateTime.fromMillis(epochMs, { zone: timeZone });
  return DateTime.utc(local.year, local.month, local.day);
}

/**
 * A zone that moved across the date line skipped a whole date (Pacific/Apia lost 2011-12-30).
 * luxon would shift that date's windows onto the next day, under the wrong weekday.
 */
function dateExists(date: DateTime, timeZone: string): boolean {
  const exists = remembered(`exists|${timeZone}|${dateKey(date)}`, () => {
    const midnight = DateTime.fromObject(
      { year: date.year, month: date.month, day: date.day },
      { zone: timeZone },
    );
    return midnight.day === date.day ? 1 : 0;
  });
  return exists === 1;
}

/**
 * The instant a wall-clock `HH:mm` on a local date means. luxon moves a time in a gap forward,
 * which is what we want; for a time that happens twice its pick depends on the zone (New York
 * gets the later one, Sydney the earlier), so the earlier one is chosen here explicitly.
 */
function localInstant(date: DateTime, time: string, timeZone: string): number {
  return remembered(`instant|${timeZone}|${dateKey(date)}|${time}`, () => {
    const hour = Number(time.slice(0, 2));
    const minute = Number(time.slice(3, 5));
    const day = hour === 24 ? date.plus({ days: 1 }) : date;
    const local = DateTime.fromObject(
      { year: day.year, month: day.month, day: day.day, hour: hour % 24, minute },
      { zone: timeZone },
    );
    return Math.min(...local.getPossibleOffsets().map((candidate) => candidate.toMillis()));
  });
}

/** Appends the starts of one window's grid that lie in `bounds` and end inside the window. */
function pushGridStarts(
  starts: number[],
  window: Interval,
  bounds: Interval,
  stepMs: number,
  durationMs: number,
): void {
  // Jump straight to the first grid point at or after the lower bound.
  const skipped = Math.max(0, Math.ceil((bounds.startMs - window.startMs) / stepMs));
  const firstMs = window.startMs + skipped * stepMs;
  const lastMs = window.endMs - durationMs;
  for (let s = firstMs; s <= lastMs && s < bounds.endMs; s += stepMs) starts.push(s);
}

function sortedUnique(values: number[]): number[] {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.filter((value, index) => index === 0 || value !== sorted[index - 1]);
}

/**
 * Keeps the starts whose slot, plus the provider's buffer, overlaps no busy interval. One sweep:
 * as starts grow, the busy intervals that begin before the padded slot end only accumulate, and
 * a slot conflicts exactly when the furthest end among them is past its start.
 */
function withoutConflicts(
  starts: readonly number[],
  busy: readonly Interval[],
  durationMs: number,
  bufferMs: number,
): Interval[] {
  const byStart = [...busy].sort((a, b) => a.startMs - b.startMs);
  const free: Interval[] = [];
  let next = 0;
  let furthestEndMs = -Infinity;
  for (const startMs of starts) {
    const endMs = startMs + durationMs;
    for (let b = byStart[next]; b && b.startMs < endMs + bufferMs; b = byStart[++next]) {
      furthestEndMs = Math.max(furthestEndMs, b.endMs);
    }
    if (furthestEndMs <= startMs) free.push({ startMs, endMs });
  }
  return free;
}
