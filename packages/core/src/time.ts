import { DateTime, IANAZone } from 'luxon';
import { z } from 'zod';

/**
 * An instant as ISO 8601 with `Z` or a numeric offset. A local time without an offset is
 * ambiguous across time zones, so it is refused rather than guessed.
 *
 * @example
 * instantSchema.parse('2026-03-08T09:30:00-04:00');
 */
export const instantSchema = z
  .string()
  .max(40)
  .regex(
    /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-](0\d|1[0-4]):[0-5]\d)$/,
    'must be an ISO 8601 instant with Z or a numeric offset, e.g. 2026-05-01T09:00:00+03:00',
  )
  .refine((value) => DateTime.fromISO(value, { setZone: true }).isValid, 'is not a real instant')
  .meta({ format: 'date-time', example: '2026-05-01T09:00:00+03:00' });

/**
 * Zone names already found valid. Asking Intl builds a date formatter every time, and every
 * provider answer and slot query checks a zone; the set is capped, as spellings are many.
 */
const knownZones = new Set<string>();
const KNOWN_ZONES_MAX = 2_000;

function isTimeZone(value: string): boolean {
  if (knownZones.has(value)) return true;
  if (!IANAZone.isValidZone(value)) return false;
  if (knownZones.size < KNOWN_ZONES_MAX) knownZones.add(value);
  return true;
}

export const timeZoneSchema = z
  .string()
  .max(64)
  .refine(isTimeZone, 'must be an IANA time zone, e.g. Asia/Riyadh')
  .meta({ example: 'Europe/London' });

export const localDateSchema = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date as YYYY-MM-DD')
  .refine((value) => DateTime.fromISO(value).isValid, 'is not a real date')
  .meta({ format: 'date', example: '1990-04-21' });

/** Wall-clock time of day, `HH:mm`, with `24:00` allowed as the end of a day. */
export const localTimeSchema = z
  .string()
  .regex(/^([01]\d|2[0-3]):[0-5]\d$|^24:00$/, 'must be a time of day as HH:mm')
  .meta({ example: '09:00' });

/** Milliseconds since the epoch of an instant string already validated by {@link instantSchema}. */
export function toEpochMs(instant: string): number {
  return DateTime.fromISO(instant, { setZone: true }).toMillis();
}

/** Renders an instant in a zone, always with its offset (`Z` for UTC). */
export function renderInstant(epochMs: number, timeZone = 'UTC'): string {
  const rendered = DateTime.fromMillis(epochMs, { zone: timeZone }).toISO({
    suppressMilliseconds: true,
    includeOffset: true,
  });
  if (rendered === null) throw new RangeError(`cannot render ${epochMs} in ${timeZone}`);
  return rendered;
}

export const MINUTE_MS = 60_000;
export const DAY_MS = 86_400_000;
