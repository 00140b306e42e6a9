import { z } from 'zod';
import { CURRENCIES } from './catalogue.js';
import { isId, type IdPrefix } from './ids.js';

/** An id of one kind; anything else is a validation error naming the field. */
export function idSchema(prefix: IdPrefix) {
  return z
    .string()
    .max(40)
    .refine((value) => isId(prefix, value), `must be an id starting with ${prefix}_`)
    .meta({ example: `${prefix}_k3m9q2x7w4n8p5rt` });
}

/**
 * A whole number that is never coerced from a string: a JSON body that sends `"60"` for a
 * number is a client bug worth reporting, not guessing around.
 */
export function bodyInt(min: number, max: number) {
  return z.number().int().min(min).max(max).pipe(z.number());
}

/** A whole number read from a query string, where every value arrives as text. */
export function queryInt() {
  return z.coerce.number<string | number>().int();
}

/** A boolean read from a query string: only `true` and `false` are accepted. */
export const queryBoolean = z.enum(['true', 'false']);

export const moneySchema = z
  .strictObject({
    amount: z.number().int().min(0).max(100_000_000).describe('Minor units, e.g. cents'),
    currency: z.enum(CURRENCIES),
  })
  .meta({ id: 'Money', example: { amount: 25000, currency: 'SAR' } });

export type Money = z.infer<typeof moneySchema>;

const regionNames = new Intl.DisplayNames(['en'], { type: 'region' });

/** Intl names every assigned ISO 3166-1 code and echoes anything else back unchanged. */
const isAssignedCountry = (code: string) => regionNames.of(code) !== code;

export const countrySchema = z
  .string()
  .regex(/^[A-Z]{2}$/, 'must be an ISO 3166-1 alpha-2 country code, e.g. SA')
  .refine(isAssignedCountry, 'is not an assigned ISO 3166-1 country code')
  .meta({ example: 'SA' });

/** A country, or a subdivision of one (ISO 3166-2, e.g. `US-NY`). */
export const regionSchema = z
  .string()
  .regex(/^[A-Z]{2}(-[A-Z0-9]{1,3})?$/, 'must be an ISO 3166 country or region code, e.g. US-NY')
  .meta({ example: 'GB' });

export const paginationInput = {
  limit: queryInt().min(1).max(100).default(20).describe('Items per page, 1 to 100'),
  cursor: z.string().min(1).max(200).optional().describe('nextCursor from the previous page'),
};

/**
 * The list envelope every list operation answers with.
 *
 * @example
 * const page: Page<Patient> = { data: [], nextCursor: null };
 */
export function pageSchema<T extends z.ZodType>(item: T) {
  return z.object({ data: z.array(item), nextCursor: z.string().nullable() });
}

export interface Page<T> {
  data: T[];
  nextCursor: string | null;
}
