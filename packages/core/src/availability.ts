import type { Schedule } from './schedule.js';

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

/**
 * Every bookable slot in the query window.
 *
 * @example
 * computeSlots({ schedule, timeZone: 'Asia/Kolkata', fromMs, toMs, durationMinutes: 50,
 *   nowMs: Date.now(), busy: [] });
 */
export function computeSlots(query: SlotQuery): Interval[] {
  void query;
  throw new Error('not implemented yet');
}
