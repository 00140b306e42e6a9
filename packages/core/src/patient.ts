import { z } from 'zod';
import { GENDERS } from './catalogue.js';
import { countrySchema, idSchema, pageSchema, paginationInput } from './common.js';
import { safeText } from './text.js';
import { localDateSchema, timeZoneSchema } from './time.js';

const patientFields = {
  externalId: safeText(128).describe("The partner's own id for this patient; unique per partner"),
  givenName: safeText(100),
  familyName: safeText(100),
  birthDate: localDateSchema.refine(
    (value) => value >= '1900-01-01' && value <= new Date().toISOString().slice(0, 10),
    'must be a date between 1900-01-01 and today',
  ),
  country: countrySchema,
  timeZone: timeZoneSchema,
  email: z.email().max(254).optional(),
  phone: z
    .string()
    .regex(/^\+[1-9]\d{6,14}$/, 'must be an E.164 phone number, e.g. +966501234567')
    .optional(),
  gender: z.enum(GENDERS).optional(),
  language: z
    .string()
    .max(35)
    .regex(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, 'must be a BCP 47 language tag, e.g. ar-SA')
    .optional(),
};

/**
 * Registering a patient. Unknown fields are refused, so a typo never silently drops data.
 *
 * @example
 * patientCreateInput.parse({ externalId: 'u-1', givenName: 'Sara', familyName: 'Ali',
 *   birthDate: '1990-04-21', country: 'SA', timeZone: 'Asia/Riyadh' });
 */
export const patientCreateInput = z.strictObject(patientFields);

/** Changing a patient: any subset of the registration fields. */
export const patientUpdateInput = patientCreateInput.partial().extend({ id: idSchema('pat') });

export const patientIdInput = z.strictObject({ id: idSchema('pat') });

export const patientListInput = z.strictObject({
  ...paginationInput,
  externalId: safeText(128).optional(),
});

export const patientSchema = z
  .strictObject({
    id: z.string(),
    externalId: z.string(),
    givenName: z.string(),
    familyName: z.string(),
    birthDate: z.string(),
    country: z.string(),
    timeZone: z.string(),
    email: z.string().nullable(),
    phone: z.string().nullable(),
    gender: z.enum(GENDERS).nullable(),
    language: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'Patient' });

export const patientPageSchema = pageSchema(patientSchema);

export type PatientCreate = z.infer<typeof patientCreateInput>;
export type PatientUpdate = Partial<PatientCreate>;
export type Patient = z.infer<typeof patientSchema>;
