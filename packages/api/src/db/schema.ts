import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
} from 'drizzle-orm/pg-core';
import type { Schedule, SessionType } from '@tahoon/core';

const instant = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

export const organizations = pgTable('organizations', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  createdAt: instant('created_at').notNull(),
});

export const credentials = pgTable(
  'credentials',
  {
    id: text('id').primaryKey(),
    organizationId: text('organization_id')
      .notNull()
      .references(() => organizations.id),
    secretHash: text('secret_hash').notNull(),
    label: text('label'),
    createdAt: instant('created_at').notNull(),
    expiresAt: instant('expires_at'),
    revokedAt: instant('revoked_at'),
    lastUsedAt: instant('last_used_at'),
  },
  (t) => [index('credentials_organization_idx').on(t.organizationId)],
);

export const patients = pgTable(
  'patients',
  {
    id: text('id').primaryKey(),
    organizationId: text('organization_id')
      .notNull()
      .references(() => organizations.id),
    // Sealed with AES-256-GCM (see src/phi): these columns hold ciphertext, never plaintext.
    externalId: text('external_id').notNull(),
    /** Keyed blind index of the external id, for equality lookups and uniqueness. */
    externalIdIndex: text('external_id_index').notNull(),
    givenName: text('given_name').notNull(),
    familyName: text('family_name').notNull(),
    birthDate: text('birth_date').notNull(),
    country: text('country').notNull(),
    timeZone: text('time_zone').notNull(),
    email: text('email'),
    emailIndex: text('email_index'),
    phone: text('phone'),
    gender: text('gender'),
    language: text('language'),
    createdAt: instant('created_at').notNull(),
    updatedAt: instant('updated_at').notNull(),
    /** Set by a data-subject erasure: the row keeps its id for bookings, and nothing else. */
    erasedAt: instant('erased_at'),
  },
  (t) => [
    uniqueIndex('patients_organization_external_id_key').on(t.organizationId, t.externalIdIndex),
    index('patients_organization_email_idx').on(t.organizationId, t.emailIndex),
    index('patients_organization_created_idx').on(t.organizationId, t.createdAt, t.id),
  ],
);

/** Providers are platform data: no organization column, every partner sees the same rows. */
export const providers = pgTable('providers', {
  id: text('id').primaryKey(),
  displayName: text('display_name').notNull(),
  type: text('type').notNull(),
  specialties: jsonb('specialties').$type<string[]>().notNull(),
  languages: jsonb('languages').$type<string[]>().notNull(),
  gender: text('gender').notNull(),
  bio: text('bio').notNull(),
  yearsOfExperience: integer('years_of_experience').notNull(),
  sessionTypes: jsonb('session_types').$type<SessionType[]>().notNull(),
  timeZone: text('time_zone').notNull(),
  licensedRegions: jsonb('licensed_regions').$type<string[]>().notNull(),
  acceptingNewPatients: boolean('accepting_new_patients').notNull(),
  active: boolean('active').notNull(),
  schedule: jsonb('schedule').$type<Schedule>().notNull(),
  updatedAt: instant('updated_at').notNull(),
});

export const bookings = pgTable(
  'bookings',
  {
    id: text('id').primaryKey(),
    organizationId: text('organization_id')
      .notNull()
      .references(() => organizations.id),
    patientId: text('patient_id')
      .notNull()
      .references(() => patients.id),
    providerId: text('provider_id')
      .notNull()
      .references(() => providers.id),
    status: text('status').notNull(),
    startAt: instant('start_at').notNull(),
    endAt: instant('end_at').notNull(),
    /** End plus the provider's buffer at booking time: the span no other booking may touch. */
    blockedUntil: instant('blocked_until').notNull(),
    duration: integer('duration').notNull(),
    priceAmount: integer('price_amount').notNull(),
    priceCurrency: text('price_currency').notNull(),
    videoProvider: text('video_provider'),
    roomId: text('room_id'),
    patientJoinUrl: text('patient_join_url'),
    providerJoinUrl: text('provider_join_url'),
    cancelledBy: text('cancelled_by'),
    cancelledAt: instant('cancelled_at'),
    cancelReason: text('cancel_reason'),
    cancelLate: boolean('cancel_late'),
    history: jsonb('history')
      .$type<{ startMs: number; endMs: number; changedAtMs: number }[]>()
      .notNull()
      .default(sql`'[]'::jsonb`),
    createdAt: instant('created_at').notNull(),
    updatedAt: instant('updated_at').notNull(),
  },
  (t) => [
    index('bookings_provider_active_idx')
      .on(t.providerId, t.startAt)
      .where(sql`status in ('pending', 'confirmed')`),
    index('bookings_patient_active_idx')
      .on(t.patientId, t.startAt)
      .where(sql`status in ('pending', 'confirmed')`),
    index('bookings_organization_start_idx').on(t.organizationId, t.startAt, t.id),
  ],
);

/**
 * Write requests remembered by Idempotency-Key, per credential, for at least 24 hours, so a
 * retried request is answered with the first answer instead of running twice.
 */
export const idempotencyKeys = pgTable(
  'idempotency_keys',
  {
    credentialId: text('credential_id').notNull(),
    key: text('key').notNull(),
    fingerprint: text('fingerprint').notNull(),
    state: text('state').notNull(),
    status: integer('status'),
    body: text('body'),
    contentType: text('content_type'),
    createdAt: instant('created_at').notNull(),
    expiresAt: instant('expires_at').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.credentialId, t.key] }),
    index('idempotency_keys_expires_idx').on(t.expiresAt),
  ],
);

/**
 * What happened to a partner's bookings, in order: the source of webhooks, push notifications
 * and `GET /v1/events`. Ids and instants only, never a patient's details.
 */
export const events = pgTable(
  'events',
  {
    id: text('id').primaryKey(),
    organizationId: text('organization_id')
      .notNull()
      .references(() => organizations.id),
    type: text('type').notNull(),
    /** Ids of what the event is about (bookingId, patientId, providerId). */
    data: jsonb('data').$type<Record<string, string>>().notNull(),
    /** Orders events within an organization; ids are random, so `after=` pages by this. */
    sequence: integer('sequence').generatedAlwaysAsIdentity(),
    occurredAt: instant('occurred_at').notNull(),
  },
  (t) => [index('events_organization_sequence_idx').on(t.organizationId, t.sequence)],
);

/**
 * Side effects waiting to happen, written in the same transaction as the change that causes
 * them, and delivered by the dispatcher with retries until they succeed or are dead-lettered.
 */
export const outbox = pgTable(
  'outbox',
  {
    id: text('id').primaryKey(),
    topic: text('topic').notNull(),
    organizationId: text('organization_id'),
    payload: jsonb('payload').$type<Record<string, unknown>>().notNull(),
    /** pending → delivered | dead | cancelled. */
    state: text('state').notNull(),
    attempts: integer('attempts').notNull().default(0),
    /** Not delivered before this instant: backoff after a failure, or a reminder's due time. */
    availableAt: instant('available_at').notNull(),
    /** While a dispatcher works on the row; a crashed one's lease runs out and the row is retried. */
    leasedUntil: instant('leased_until'),
    lastError: text('last_error'),
    /** At most one live row per key (e.g. a booking's 24-hour reminder). */
    dedupeKey: text('dedupe_key'),
    createdAt: instant('created_at').notNull(),
    updatedAt: instant('updated_at').notNull(),
    deliveredAt: instant('delivered_at'),
  },
  (t) => [
    index('outbox_due_idx')
      .on(t.availableAt)
      .where(sql`state = 'pending'`),
    index('outbox_state_idx').on(t.state, t.createdAt),
    uniqueIndex('outbox_dedupe_key').on(t.dedupeKey),
  ],
);

/**
 * The audit trail: who touched which patient or booking, when, from where and with what outcome.
 * Ids and codes only, never patient data. Append-only: the code offers no update or delete, and
 * a trigger (drizzle-extra/audit_events_append_only.sql) makes the database refuse them too.
 */
export const auditEvents = pgTable(
  'audit_events',
  {
    id: text('id').primaryKey(),
    organizationId: text('organization_id')
      .notNull()
      .references(() => organizations.id),
    actorType: text('actor_type').notNull(),
    credentialId: text('credential_id'),
    tokenId: text('token_id'),
    action: text('action').notNull(),
    resourceType: text('resource_type').notNull(),
    resourceIds: jsonb('resource_ids').$type<string[]>().notNull(),
    patientId: text('patient_id'),
    resultCount: integer('result_count'),
    outcome: text('outcome').notNull(),
    problemCode: text('problem_code'),
    requestId: text('request_id'),
    clientIp: text('client_ip'),
    /** Orders entries; ids are random and many entries share an instant. */
    sequence: bigint('sequence', { mode: 'number' }).generatedAlwaysAsIdentity(),
    occurredAt: instant('occurred_at').notNull(),
  },
  (t) => [
    index('audit_events_organization_sequence_idx').on(t.organizationId, t.sequence),
    index('audit_events_organization_patient_idx').on(t.organizationId, t.patientId),
  ],
);
