import { z } from 'zod';
import { GENDERS, LANGUAGES, PROVIDER_TYPES, SPECIALTIES, CURRENCIES } from './catalogue.js';
import {
  bodyInt,
  idSchema,
  moneySchema,
  pageSchema,
  paginationInput,
  queryBoolean,
  queryInt,
  regionSchema,
} from './common.js';
import { scheduleSchema } from './schedule.js';
import { safeText } from './text.js';
import { instantSchema, timeZoneSchema } from './time.js';

export const sessionTypeSchema = z
  .strictObject({
    duration: bodyInt(15, 240).describe('Minutes'),
    price: moneySchema,
  })
  .meta({ id: 'SessionType' });

const providerFields = {
  displayName: safeText(120),
  type: z.enum(PROVIDER_TYPES),
  specialties: z.array(z.enum(SPECIALTIES)).min(1).max(20),
  languages: z.array(z.enum(LANGUAGES)).min(1).max(14),
  gender: z.enum(GENDERS),
  bio: safeText(2000, 0),
  yearsOfExperience: bodyInt(0, 70),
  sessionTypes: z.array(sessionTypeSchema).min(1).max(10),
  timeZone: timeZoneSchema,
  licensedRegions: z.array(regionSchema).min(1).max(60),
  acceptingNewPatients: z.boolean(),
  active: z.boolean(),
};

/** A provider as partners see it. Providers are platform data, the same for every partner. */
export const providerSchema = z
  .strictObject({
    id: z.string(),
    ...providerFields,
    sessionTypes: z.array(z.strictObject({ duration: z.number(), price: moneySchema })),
    type: z.enum(PROVIDER_TYPES),
  })
  .meta({ id: 'Provider' });

/**
 * One provider in an import file (the CLI's `providers import`): the public fields plus the
 * schedule. An `id` updates that provider; without one a new provider is created.
 */
export const providerImportRowSchema = z.strictObject({
  id: idSchema('prv').optional(),
  ...providerFields,
  schedule: scheduleSchema,
});

export const providerImportFileSchema = z.strictObject({
  providers: z.array(providerImportRowSchema).min(1).max(10_000),
});

export const providerSearchInput = z.strictObject({
  ...paginationInput,
  specialty: z.enum(SPECIALTIES).optional(),
  language: z.enum(LANGUAGES).optional(),
  gender: z.enum(GENDERS).optional(),
  type: z.enum(PROVIDER_TYPES).optional(),
  maxPrice: queryInt().min(0).optional().describe('Minor units; needs currency'),
  currency: z.enum(CURRENCIES).optional(),
  region: regionSchema.optional().describe('Licensed in this country or region'),
  acceptingNewPatients: queryBoolean.optional(),
  availableFrom: instantSchema.optional(),
  availableTo: instantSchema.optional(),
  q: safeText(100).optional().describe('Text in the name, bio or specialties'),
  sort: z.enum(['name', 'price', 'earliest']).default('name'),
});

export const providerIdInput = z.strictObject({ id: idSchema('prv') });

export const slotsInput = z.strictObject({
  id: idSchema('prv'),
  from: instantSchema,
  to: instantSchema,
  duration: queryInt().min(1).max(1440).describe('Minutes; one the provider offers'),
  timeZone: timeZoneSchema.default('UTC').describe('Zone to render the slots in'),
});

export const slotSchema = z
  .strictObject({ start: z.string(), end: z.string() })
  .meta({ id: 'Slot' });

export const slotsOutput = z.strictObject({ data: z.array(slotSchema), timeZone: z.string() });

export const providerPageSchema = pageSchema(providerSchema);

export type Provider = z.infer<typeof providerSchema>;
export type ProviderImportRow = z.infer<typeof providerImportRowSchema>;
export type ProviderSearch = z.infer<typeof providerSearchInput>;
export type SessionType = z.infer<typeof sessionTypeSchema>;
