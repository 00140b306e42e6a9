import {
  computeSlots,
  DAY_MS,
  earliestSlot,
  fail,
  ok,
  renderInstant,
  toEpochMs,
  type Interval,
  type Page,
  type ProviderRecord,
  type ProviderSearch,
  type Result,
  type Store,
} from '@tahoon/core';
import { decodeCursor, encodeCursor } from '../db/cursor.js';

export const MAX_WINDOW_DAYS = 31;

/** Checks a [from, to) query window; each problem names its field. */
export function checkWindow(
  from: string,
  to: string,
  fields: { from: string; to: string },
): Result<{ fromMs: number; toMs: number }> {
  const fromMs = toEpochMs(from);
  const toMs = toEpochMs(to);
  if (toMs <= fromMs) {
    return fail('VALIDATION_FAILED', `${fields.to} must be after ${fields.from}`, [
      { pointer: `/${fields.to}`, message: `must be after ${fields.from}` },
    ]);
  }
  if (toMs - fromMs > MAX_WINDOW_DAYS * DAY_MS) {
    return fail('VALIDATION_FAILED', `The window may span at most ${MAX_WINDOW_DAYS} days`, [
      {
        pointer: `/${fields.to}`,
        message: `must be at most ${MAX_WINDOW_DAYS} days after ${fields.from}`,
      },
    ]);
  }
  return ok({ fromMs, toMs });
}

/** Free slots of one provider, for one duration, in a window. */
export async function providerSlots(
  store: Store,
  provider: ProviderRecord,
  window: { fromMs: number; toMs: number },
  durationMinutes: number,
  nowMs: number,
): Promise<Interval[]> {
  const { bufferMinutes } = provider.schedule;
  const busy = await store.bookings.busy(
    provider.id,
    window.fromMs - DAY_MS,
    window.toMs + (durationMinutes + bufferMinutes) * 60_000,
  );
  return computeSlots({
    schedule: provider.schedule,
    timeZone: provider.timeZone,
    ...window,
    durationMinutes,
    nowMs,
    busy,
  });
}

function licensedFor(regions: readonly string[], region: string): boolean {
  return regions.some(
    (r) => r === region || r.startsWith(region + '-') || region.startsWith(r + '-'),
  );
}

function lowestPrice(provider: ProviderRecord, currency: string | undefined): number {
  const prices = provider.sessionTypes
    .filter((s) => !currency || s.price.currency === currency)
    .map((s) => s.price.amount);
  return prices.length > 0 ? Math.min(...prices) : Number.POSITIVE_INFINITY;
}

function matchesStatic(p: ProviderRecord, f: ProviderSearch): boolean {
  if (!p.active) return false;
  if (f.specialty && !p.specialties.includes(f.specialty)) return false;
  if (f.language && !p.languages.includes(f.language)) return false;
  if (f.gender && p.gender !== f.gender) return false;
  if (f.type && p.type !== f.type) return false;
  if (f.region && !licensedFor(p.licensedRegions, f.region)) return false;
  if (f.acceptingNewPatients && p.acceptingNewPatients !== (f.acceptingNewPatients === 'true')) {
    return false;
  }
  if (f.maxPrice !== undefined && lowestPrice(p, f.currency) > f.maxPrice) return false;
  if (f.q) {
    const needle = f.q.toLowerCase();
    const haystack = [p.displayName, p.bio, ...p.specialties].join(' ').toLowerCase();
    if (!haystack.includes(needle)) return false;
  }
  return true;
}

async function firstFreeSlot(
  store: Store,
  provider: ProviderRecord,
  window: { fromMs: number; toMs: number },
  nowMs: number,
): Promise<number | null> {
  let earliest: number | null = null;
  for (const { duration } of provider.sessionTypes) {
    const busy = await store.bookings.busy(
      provider.id,
      window.fromMs - DAY_MS,
      window.toMs + DAY_MS,
    );
    const slot = earliestSlot({
      schedule: provider.schedule,
      timeZone: provider.timeZone,
      ...window,
      durationMinutes: duration,
      nowMs,
      busy,
    });
    if (slot && (earliest === null || slot.startMs < earliest)) earliest = slot.startMs;
  }
  return earliest;
}

/** How far ahead "earliest available" looks when the caller gives no window. */
const DEFAULT_EARLIEST_DAYS = 14;

/**
 * Provider search: static filters, then availability only for the survivors, because slot
 * computation is the expensive part.
 */
export async function searchProviders(
  store: Store,
  filter: ProviderSearch,
  nowMs: number,
): Promise<Result<Page<ProviderRecord>>> {
  if (filter.maxPrice !== undefined && !filter.currency) {
    return fail('VALIDATION_FAILED', 'maxPrice needs a currency', [
      { pointer: '/currency', message: 'is required with maxPrice' },
    ]);
  }
  if (Boolean(filter.availableFrom) !== Boolean(filter.availableTo)) {
    const missing = filter.availableFrom ? 'availableTo' : 'availableFrom';
    return fail('VALIDATION_FAILED', 'availableFrom and availableTo go together', [
      { pointer: `/${missing}`, message: 'is required with the other' },
    ]);
  }
  let window = { fromMs: nowMs, toMs: nowMs + DEFAULT_EARLIEST_DAYS * DAY_MS };
  if (filter.availableFrom && filter.availableTo) {
    const checked = checkWindow(filter.availableFrom, filter.availableTo, {
      from: 'availableFrom',
      to: 'availableTo',
    });
    if (!checked.ok) return checked;
    window = checked.value;
  }

  let candidates = (await store.providers.search(filter)).filter((p) => matchesStatic(p, filter));
  const needsSlots = Boolean(filter.availableFrom) || filter.sort === 'earliest';
  const earliest = new Map<string, number | null>();
  if (needsSlots) {
    for (const p of candidates) earliest.set(p.id, await firstFreeSlot(store, p, window, nowMs));
  }
  if (filter.availableFrom) candidates = candidates.filter((p) => earliest.get(p.id) !== null);

  const key = sortKey(filter, earliest);
  candidates.sort((a, b) => compare(key(a), key(b)) || a.id.localeCompare(b.id));

  const offset = filter.cursor ? decodeCursor(filter.cursor).sortKey : 0;
  const data = candidates.slice(offset, offset + filter.limit);
  const last = data.at(-1);
  const more = offset + filter.limit < candidates.length;
  return ok({
    data,
    nextCursor: more && last ? encodeCursor(offset + filter.limit, last.id) : null,
  });
}

type Key = string | number;

function compare(a: Key, b: Key): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a).localeCompare(String(b));
}

function sortKey(filter: ProviderSearch, earliest: Map<string, number | null>) {
  return (p: ProviderRecord): Key => {
    if (filter.sort === 'price') return lowestPrice(p, filter.currency);
    if (filter.sort === 'earliest') return earliest.get(p.id) ?? Number.POSITIVE_INFINITY;
    return p.displayName.toLowerCase();
  };
}

export function renderSlots(slots: Interval[], timeZone: string) {
  return slots.map((s) => ({
    start: renderInstant(s.startMs, timeZone),
    end: renderInstant(s.endMs, timeZone),
  }));
}
