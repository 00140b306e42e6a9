/**
 * The catalogue partners filter providers by. Providers may only use values listed here, so a
 * filter never silently misses providers because of a spelling.
 *
 * @example
 * PROVIDER_TYPES.includes('psychologist'); // true
 */
export const PROVIDER_TYPES = ['psychologist', 'psychiatrist', 'therapist', 'counselor'] as const;

export const SPECIALTIES = [
  'anxiety',
  'depression',
  'trauma',
  'ptsd',
  'relationships',
  'family',
  'child-adolescent',
  'addiction',
  'eating-disorders',
  'ocd',
  'adhd',
  'bipolar',
  'grief',
  'stress',
  'sleep',
  'workplace',
  'lgbtq',
  'postpartum',
  'self-esteem',
  'anger',
] as const;

/** Languages as BCP 47 primary tags. */
export const LANGUAGES = [
  'ar',
  'en',
  'fr',
  'de',
  'es',
  'hi',
  'ur',
  'ta',
  'bn',
  'ml',
  'zh',
  'tl',
  'fa',
  'tr',
] as const;

export const GENDERS = ['female', 'male', 'other', 'undisclosed'] as const;

export const CURRENCIES = ['SAR', 'AED', 'GBP', 'USD', 'INR', 'AUD', 'EUR'] as const;

export type ProviderType = (typeof PROVIDER_TYPES)[number];
export type Specialty = (typeof SPECIALTIES)[number];
export type Language = (typeof LANGUAGES)[number];
export type Gender = (typeof GENDERS)[number];
export type Currency = (typeof CURRENCIES)[number];
