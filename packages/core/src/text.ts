import { z } from 'zod';

// eslint-disable-next-line no-control-regex -- refusing control characters is the point
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;
/** A lone UTF-16 surrogate, or the replacement character a broken encoding leaves behind. */
const BROKEN_TEXT = /[\uD800-\uDFFF\uFFFD]/u;
/**
 * Invisible characters that change how text displays: bidirectional overrides and isolates
 * (a name that reads differently from what it holds), zero-width spaces and the byte-order mark.
 * The zero-width joiner and non-joiner stay allowed: Persian, Arabic and Indic names need them.
 */
const INVISIBLE_FORMATTING = /[\u200b\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/;

/**
 * Free text from partners: bounded, and without markup or control characters, which have no
 * business in names or reasons and are the usual carriers of injection into other systems.
 *
 * @example
 * const reason = safeText(500).optional();
 */
export function safeText(max: number, min = 1) {
  return z
    .string()
    .min(min)
    .max(max)
    .refine((value) => !CONTROL_CHARACTERS.test(value), 'must not contain control characters')
    .refine((value) => !BROKEN_TEXT.test(value), 'must be well-formed Unicode text')
    .refine(
      (value) => !INVISIBLE_FORMATTING.test(value),
      'must not contain invisible direction or spacing characters',
    )
    .refine((value) => min === 0 || value.trim().length > 0, 'must not be blank')
    .refine((value) => !/[<>]/.test(value), 'must not contain markup');
}

/** A short identifier-like token: letters, digits and `-_.:` only. */
export function token(max: number) {
  return z
    .string()
    .min(1)
    .max(max)
    .regex(/^[A-Za-z0-9._:-]+$/, 'may contain only letters, digits and -_.:');
}
