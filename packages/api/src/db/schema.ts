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
  /** Every partner request must carry a valid Tahoon-Signature (see src/signing). */
  requireSignedRequests: boolean('require_signed_requests').notNull().default(false),
});

export const credentials = pgTable(
  'credentials',
  {
    id: text('id').primaryKey(),
    organizationId: text('organization_id')
      .notNull()
      .references(() => organizations.id),
    label: text('label'),
    /**
     * Scopes granted to the credential. Credentials made before scopes existed could do every
     * partner operation, so they keep exactly those.
     */
    scopes: text('scopes')
      .array()
      .notNull()
      .default(
        sql`array['patients:read','patients:write','providers:read','bookings:read','bookings:write']`,
      ),
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
    /**
     * The credential and Idempotency-Key of the request that made the booking. A retry whose
     * first attempt died with its process (its key's answer never stored) finds the booking
     * here instead of booking again or losing the id.
     */
    requestKey: text('request_key'),
  },
  (t) => [
    uniqueIndex('bookings_organization_request_key').on(t.organizationId, t.requestKey),
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
 * Where a partner wants its events POSTed. The signing secrets are sealed with the PHI cipher:
 * the gateway must sign, so it cannot keep only a hash, and a database dump alone must not let
 * anyone forge a delivery.
 */
export const webhookEndpoints = pgTable(
  'webhook_endpoints',
  {
    id: text('id').primaryKey(),
    organizationId: text('organization_id')
      .notNull()
      .references(() => organizations.id),
    url: text('url').notNull(),
    description: text('description'),
    /** Event types sent to the endpoint; null: every type. */
    eventTypes: jsonb('event_types').$type<string[]>(),
    /** Null while enabled; else gone | sustained_failure | manual. */
    disabledReason: text('disabled_reason'),
    disabledAt: instant('disabled_at'),
    secret: text('secret').notNull(),
    /** The secret a rotation replaced, signing alongside until `previous_secret_expires_at`. */
    previousSecret: text('previous_secret'),
    previousSecretExpiresAt: instant('previous_secret_expires_at'),
    consecutiveFailures: integer('consecutive_failures').notNull().default(0),
    failingSince: instant('failing_since'),
    createdAt: instant('created_at').notNull(),
    updatedAt: instant('updated_at').notNull(),
  },
  (t) => [index('webhook_endpoints_organization_idx').on(t.organizationId, t.createdAt)],
);

/** One row per delivery attempt: the partner's delivery log and the retry count. */
export const webhookDeliveries = pgTable(
  'webhook_deliveries',
  {
    id: text('id').primaryKey(),
    organizationId: text('organization_id').notNull(),
    eventId: text('event_id')
      .notNull()
      .references(() => events.id),
    endpointId: text('endpoint_id')
      .notNull()
      .references(() => webhookEndpoints.id, { onDelete: 'cascade' }),
    attempt: integer('attempt').notNull(),
    /** The HTTP status answered; null when none came (refused URL, timeout, network). */
    status: integer('status'),
    error: text('error'),
    durationMs: integer('duration_ms').notNull(),
    attemptedAt: instant('attempted_at').notNull(),
  },
  (t) => [
    index('webhook_deliveries_endpoint_idx').on(t.endpointId, t.attemptedAt, t.id),
    index('webhook_deliveries_event_idx').on(t.eventId, t.endpointId),
  ],
);

/**
 * A patient's devices for push. The FCM token is sealed (it singles out one phone) and found
 * by its keyed blind index, so registering the same token twice finds the first row.
 */
export const devices = pgTable(
  'devices',
  {
    id: text('id').primaryKey(),
    organizationId: text('organization_id')
      .notNull()
      .references(() => organizations.id),
    patientId: text('patient_id')
      .notNull()
      .references(() => patients.id),
    token: text('token').notNull(),
    tokenIndex: text('token_index').notNull(),
    platform: text('platform'),
    createdAt: instant('created_at').notNull(),
  },
  (t) => [uniqueIndex('devices_patient_token_key').on(t.patientId, t.tokenIndex)],
);

/** What became of one event's push to one device: never dropped without a row saying so. */
export const notifications = pgTable(
  'notifications',
  {
    id: text('id').primaryKey(),
    organizationId: text('organization_id').notNull(),
    eventId: text('event_id')
      .notNull()
      .references(() => events.id),
    /** No foreign key: the device may be removed (UNREGISTERED) and the record must stay. */
    deviceId: text('device_id').notNull(),
    /** sent | retrying | failed | token_removed | undeliverable. */
    state: text('state').notNull(),
    detail: text('detail'),
    attempts: integer('attempts').notNull().default(1),
    updatedAt: instant('updated_at').notNull(),
  },
  (t) => [uniqueIndex('notifications_event_device_key').on(t.eventId, t.deviceId)],
);

/**
 * Client secrets, several per credential while a rotation overlaps. Only the HMAC of each
 * secret under the server's credential key is kept.
 */
export const credentialSecrets = pgTable(
  'credential_secrets',
  {
    id: text('id').primaryKey(),
    credentialId: text('credential_id')
      .notNull()
      .references(() => credentials.id),
    secretHash: text('secret_hash').notNull(),
    createdAt: instant('created_at').notNull(),
    expiresAt: instant('expires_at'),
    lastUsedAt: instant('last_used_at'),
    revokedAt: instant('revoked_at'),
  },
  (t) => [index('credential_secrets_credential_idx').on(t.credentialId)],
);

/**
 * Access tokens revoked before their expiry (RFC 7009), checked on every authenticated request
 * by every instance. A row is useless once its token has expired and may then be purged.
 */
export const revokedTokens = pgTable(
  'revoked_tokens',
  {
    jti: text('jti').primaryKey(),
    organizationId: text('organization_id')
      .notNull()
      .references(() => organizations.id),
    credentialId: text('credential_id').notNull(),
    expiresAt: instant('expires_at').notNull(),
    revokedAt: instant('revoked_at').notNull(),
  },
  (t) => [index('revoked_tokens_expires_idx').on(t.expiresAt)],
);

/**
 * Per-credential secrets for signed requests. The server must recompute each request's MAC, so
 * the secret is sealed (AES-256-GCM, bound to this row) rather than hashed.
 */
export const signingKeys = pgTable(
  'signing_keys',
  {
    id: text('id').primaryKey(),
    credentialId: text('credential_id')
      .notNull()
      .references(() => credentials.id),
    organizationId: text('organization_id')
      .notNull()
      .references(() => organizations.id),
    sealedSecret: text('sealed_secret').notNull(),
    createdAt: instant('created_at').notNull(),
    expiresAt: instant('expires_at'),
    revokedAt: instant('revoked_at'),
    lastUsedAt: instant('last_used_at'),
  },
  (t) => [
    index('signing_keys_organization_idx').on(t.organizationId, t.createdAt, t.id),
    index('signing_keys_credential_idx').on(t.credentialId),
  ],
);

/**
 * Nonces of accepted signed requests, per signing key, kept past the timestamp window so a
 * replay is refused by whichever instance receives it.
 */
export const signingNonces = pgTable(
  'signing_nonces',
  {
    signingKeyId: text('signing_key_id').notNull(),
    nonce: text('nonce').notNull(),
    expiresAt: instant('expires_at').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.signingKeyId, t.nonce] }),
    index('signing_nonces_expires_idx').on(t.expiresAt),
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
