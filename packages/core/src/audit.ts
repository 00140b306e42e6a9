import { z } from 'zod';
import { bookingSchema } from './booking.js';
import { idSchema, pageSchema, paginationInput } from './common.js';
import { ID_RANDOM_LENGTH } from './ids.js';
import { patientSchema } from './patient.js';
import { instantSchema } from './time.js';

/**
 * What the audit trail records: every access to patient data and every change to a booking.
 * Operators' marks are recorded as `booking.mark`.
 */
export const AUDIT_ACTIONS = [
  'patient.create',
  'patient.read',
  'patient.list',
  'patient.update',
  'patient.export',
  'patient.erase',
  'booking.create',
  'booking.read',
  'booking.list',
  'booking.cancel',
  'booking.reschedule',
  'booking.mark',
] as const;

export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/** `denied`: refused by a permission check; `failed`: any other refusal, with its code. */
export const AUDIT_OUTCOMES = ['success', 'denied', 'not_found', 'failed'] as const;

export type AuditOutcome = (typeof AUDIT_OUTCOMES)[number];

export const AUDIT_RESOURCES = ['patient', 'booking'] as const;

export type AuditResource = (typeof AUDIT_RESOURCES)[number];

/**
 * One entry of the audit trail. It holds ids and codes only: never a name, email, phone, birth
 * date, external id or free-text reason, so the trail can be kept and shown without becoming a
 * second copy of patient data.
 */
export interface AuditRecord {
  id: string;
  organizationId: string;
  actorType: 'partner' | 'operator';
  /** The credential that acted; null for operators, who act through the CLI. */
  credentialId: string | null;
  /** The access token's id (`jti`); null for operators. */
  tokenId: string | null;
  action: AuditAction;
  resourceType: AuditResource;
  /** What the action touched: one id, or the ids a list returned. */
  resourceIds: string[];
  /** The patient the action was about, when there is one (a booking's patient, for example). */
  patientId: string | null;
  /** Rows a list returned. */
  resultCount: number | null;
  outcome: AuditOutcome;
  /** The problem code of a refusal. */
  problemCode: string | null;
  requestId: string | null;
  clientIp: string | null;
  occurredAtMs: number;
}

export interface AuditListFilter {
  limit: number;
  cursor?: string | undefined;
  action?: AuditAction | undefined;
  /** Entries naming this id as a resource or as their patient. */
  resourceId?: string | undefined;
  fromMs?: number | undefined;
  toMs?: number | undefined;
}

/** Any Tahoon id: a short prefix and the random part. */
const anyIdSchema = z
  .string()
  .max(40)
  .regex(new RegExp(`^[a-z]{3,4}_[a-z2-9]{${ID_RANDOM_LENGTH}}$`), 'must be a Tahoon id')
  .meta({ example: 'pat_k3m9q2x7w4n8p5rt' });

/**
 * Reading the audit trail, newest first.
 *
 * @example
 * auditListInput.parse({ action: 'patient.read', resourceId: 'pat_k3m9q2x7w4n8p5rt' });
 */
export const auditListInput = z.strictObject({
  ...paginationInput,
  action: z.enum(AUDIT_ACTIONS).optional(),
  resourceId: anyIdSchema
    .optional()
    .describe('Entries about this resource, or about this patient when it is a patient id'),
  from: instantSchema.optional().describe('Entries at or after this instant'),
  to: instantSchema.optional().describe('Entries before this instant'),
});

export const auditEventSchema = z
  .strictObject({
    id: z.string(),
    action: z.enum(AUDIT_ACTIONS),
    resourceType: z.enum(AUDIT_RESOURCES),
    resourceIds: z.array(z.string()),
    patientId: z.string().nullable(),
    resultCount: z.number().int().nullable(),
    outcome: z.enum(AUDIT_OUTCOMES),
    problemCode: z.string().nullable(),
    actor: z.strictObject({
      type: z.enum(['partner', 'operator']),
      credentialId: z.string().nullable(),
      tokenId: z.string().nullable(),
    }),
    requestId: z.string().nullable(),
    clientIp: z.string().nullable(),
    occurredAt: z.string(),
  })
  .meta({ id: 'AuditEvent' });

export const auditEventPageSchema = pageSchema(auditEventSchema);

export type AuditEventView = z.infer<typeof auditEventSchema>;
export type AuditListInput = z.infer<typeof auditListInput>;

/** Everything Tahoon holds about one patient, for a data-subject access request. */
export const patientExportSchema = z
  .strictObject({
    patient: patientSchema,
    bookings: z.array(bookingSchema),
    auditEvents: z.array(auditEventSchema),
    exportedAt: z.string(),
  })
  .meta({ id: 'PatientExport' });

export type PatientExport = z.infer<typeof patientExportSchema>;

export const patientEraseInput = z.strictObject({ id: idSchema('pat') });

export const patientErasureSchema = z
  .strictObject({
    id: z.string(),
    erasedAt: z.string(),
    cancelledBookingIds: z
      .array(z.string())
      .describe('Future sessions cancelled by the erasure; past ones are kept without details'),
  })
  .meta({ id: 'PatientErasure' });

export type PatientErasure = z.infer<typeof patientErasureSchema>;
