import { z } from 'zod';
import { idSchema, pageSchema, paginationInput, queryInt } from './common.js';
import type { Page } from './common.js';
import { safeText } from './text.js';

/**
 * Partner webhooks, the events list and device registrations: what partners send and receive.
 * Events carry ids and instants only; a partner reads details through the API, where tenancy
 * and access checks apply.
 */

/** Every event a partner can be told about, as a webhook and through `GET /v1/events`. */
export const PARTNER_EVENT_TYPES = [
  'booking.created',
  'booking.confirmed',
  'booking.failed',
  'booking.cancelled',
  'booking.rescheduled',
  'booking.reminder',
  'booking.completed',
  'booking.no_show',
] as const;

export type PartnerEventType = (typeof PARTNER_EVENT_TYPES)[number];

/** Why an endpoint stopped receiving: a 410 answer, failing for days, or the partner's PATCH. */
export const ENDPOINT_DISABLED_REASONS = ['gone', 'sustained_failure', 'manual'] as const;

export type EndpointDisabledReason = (typeof ENDPOINT_DISABLED_REASONS)[number];

/** How one delivery attempt went wrong, besides an HTTP status. */
export const DELIVERY_ERRORS = [
  'url_refused',
  'unresolvable',
  'timeout',
  'network',
  'redirect',
  'http_status',
] as const;

export type DeliveryErrorKind = (typeof DELIVERY_ERRORS)[number];

const webhookUrl = z
  .string()
  .min(1)
  .max(2048)
  .describe('An https URL on a public host; checked again before every delivery')
  .meta({ example: 'https://hooks.clinic.example/tahoon' });

const eventTypes = z
  .array(z.enum(PARTNER_EVENT_TYPES))
  .min(1)
  .max(PARTNER_EVENT_TYPES.length)
  .describe('Only these event types are sent; absent or null means every type');

export const webhookEndpointCreateInput = z.strictObject({
  url: webhookUrl,
  description: safeText(500).optional(),
  eventTypes: eventTypes.optional(),
});

export const webhookEndpointIdInput = z.strictObject({ id: idSchema('wep') });

/** `enabled: true` re-enables a disabled endpoint and forgets its run of failures. */
export const webhookEndpointUpdateInput = z.strictObject({
  id: idSchema('wep'),
  url: webhookUrl.optional(),
  description: safeText(500).nullable().optional(),
  eventTypes: eventTypes.nullable().optional(),
  enabled: z.boolean().optional(),
});

/** Seconds the old secret keeps signing beside the new one: up to a week, a day by default. */
export const webhookRotateInput = z.strictObject({
  id: idSchema('wep'),
  overlapSeconds: z.number().int().min(0).max(604_800).default(86_400),
});

export const webhookDeliveriesInput = z.strictObject({
  id: idSchema('wep'),
  ...paginationInput,
});

/** Sends every event after `after` (and before `before`, if given) to one endpoint again. */
export const webhookReplayInput = z.strictObject({
  id: idSchema('wep'),
  after: idSchema('evt').describe('Replay the events that came after this one'),
  before: idSchema('evt').optional().describe('…and before this one; absent: up to the latest'),
});

export const eventRedeliverInput = z.strictObject({
  id: idSchema('evt'),
  endpointId: idSchema('wep').optional().describe('Only to this endpoint; absent: to all'),
});

export const eventListInput = z.strictObject({
  after: idSchema('evt').optional().describe('List the events that came after this one'),
  limit: queryInt().min(1).max(100).default(50).describe('Events per page, 1 to 100'),
});

export const webhookEndpointSchema = z
  .strictObject({
    id: z.string(),
    url: z.string(),
    description: z.string().nullable(),
    eventTypes: z.array(z.enum(PARTNER_EVENT_TYPES)).nullable(),
    enabled: z.boolean(),
    disabledReason: z.enum(ENDPOINT_DISABLED_REASONS).nullable(),
    disabledAt: z.string().nullable(),
    /** While a rotation overlaps: when the previous secret stops signing. */
    previousSecretExpiresAt: z.string().nullable(),
    consecutiveFailures: z.number().int(),
    failingSince: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'WebhookEndpoint' });

export type WebhookEndpoint = z.infer<typeof webhookEndpointSchema>;

/** Answered once, at creation and rotation: the secret is never shown again. */
export const webhookEndpointWithSecretSchema = webhookEndpointSchema
  .extend({ secret: z.string().describe('whsec_…: verify deliveries with it; shown once') })
  .meta({ id: 'WebhookEndpointWithSecret' });

export const webhookEndpointListSchema = z.object({ data: z.array(webhookEndpointSchema) });

export const webhookDeliverySchema = z
  .strictObject({
    id: z.string(),
    eventId: z.string(),
    endpointId: z.string(),
    attempt: z.number().int(),
    status: z.number().int().nullable().describe('The HTTP status answered, if any'),
    error: z.enum(DELIVERY_ERRORS).nullable(),
    durationMs: z.number().int(),
    attemptedAt: z.string(),
  })
  .meta({ id: 'WebhookDelivery' });

export type WebhookDelivery = z.infer<typeof webhookDeliverySchema>;

export const webhookDeliveryPageSchema = pageSchema(webhookDeliverySchema);

export const partnerEventSchema = z
  .strictObject({
    id: z.string(),
    type: z.enum(PARTNER_EVENT_TYPES),
    occurredAt: z.string(),
    data: z.record(z.string(), z.string()).describe('Ids only: bookingId, patientId, providerId'),
  })
  .meta({ id: 'Event' });

export type PartnerEvent = z.infer<typeof partnerEventSchema>;

export const eventPageSchema = pageSchema(partnerEventSchema).describe(
  'nextCursor is the id of the last event listed: pass it as `after` for the next page',
);

export const queuedSchema = z.strictObject({
  queued: z.number().int().describe('Deliveries queued'),
});

export const DEVICE_PLATFORMS = ['android', 'ios', 'web'] as const;

/**
 * An FCM registration token. In a REST path its `:` may arrive percent-encoded, so an encoded
 * value is decoded first (tokens never contain `%` themselves).
 */
export const deviceTokenSchema = z.preprocess(
  (value) => (typeof value === 'string' && value.includes('%') ? percentDecoded(value) : value),
  z
    .string()
    .min(1)
    .max(4096)
    .regex(/^[A-Za-z0-9:_\-.]+$/, 'must be an FCM registration token'),
);

function percentDecoded(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

export const deviceRegisterInput = z.strictObject({
  id: idSchema('pat'),
  token: deviceTokenSchema,
  platform: z.enum(DEVICE_PLATFORMS).optional(),
});

export const deviceRemoveInput = z.strictObject({ id: idSchema('pat'), token: deviceTokenSchema });

export const deviceSchema = z
  .strictObject({
    id: z.string(),
    patientId: z.string(),
    platform: z.enum(DEVICE_PLATFORMS).nullable(),
    createdAt: z.string(),
  })
  .meta({ id: 'Device' });

export type DevicePlatform = (typeof DEVICE_PLATFORMS)[number];

/** An endpoint as the store keeps it, with its secrets opened. */
export interface WebhookEndpointRecord {
  id: string;
  organizationId: string;
  url: string;
  description: string | null;
  eventTypes: PartnerEventType[] | null;
  disabledReason: EndpointDisabledReason | null;
  disabledAtMs: number | null;
  secret: string;
  previousSecret: string | null;
  previousSecretExpiresAtMs: number | null;
  consecutiveFailures: number;
  failingSinceMs: number | null;
  createdAtMs: number;
  updatedAtMs: number;
}

export interface WebhookEndpointPatch {
  url?: string;
  description?: string | null;
  eventTypes?: PartnerEventType[] | null;
  /** true: enable and forget failures; false: disable as `manual`. */
  enabled?: boolean;
}

export interface DeliveryAttemptRecord {
  id: string;
  organizationId: string;
  eventId: string;
  endpointId: string;
  attempt: number;
  status: number | null;
  error: DeliveryErrorKind | null;
  durationMs: number;
  attemptedAtMs: number;
}

export interface EventRecord {
  id: string;
  organizationId: string;
  type: PartnerEventType;
  data: Record<string, string>;
  sequence: number;
  occurredAtMs: number;
}

export interface DeviceRecord {
  id: string;
  organizationId: string;
  patientId: string;
  /** The FCM registration token, opened from its sealed column. Never logged. */
  token: string;
  platform: DevicePlatform | null;
  createdAtMs: number;
}

export const NOTIFICATION_STATES = [
  'sent',
  'retrying',
  'failed',
  'token_removed',
  'undeliverable',
] as const;

export type NotificationState = (typeof NOTIFICATION_STATES)[number];

export interface NotificationRecord {
  id: string;
  organizationId: string;
  eventId: string;
  deviceId: string;
  state: NotificationState;
  /** FCM's error code, or why it could not be sent; never the token or a patient's details. */
  detail: string | null;
  attempts: number;
  updatedAtMs: number;
}

/** A side effect to write to the outbox (the same shape the API's outbox module uses). */
export interface QueuedMessage {
  id: string;
  topic: string;
  organizationId: string | null;
  payload: Record<string, unknown>;
  availableAtMs?: number;
  dedupeKey?: string;
}

/**
 * Persistence for webhooks, events, devices and notifications. Every partner-facing method
 * takes the organization id; the `*Any` methods serve the outbox handlers, which act for the
 * organization an event belongs to.
 */
export interface NotificationStore {
  endpoints: {
    create(endpoint: WebhookEndpointRecord): Promise<void>;
    get(organizationId: string, id: string): Promise<WebhookEndpointRecord | null>;
    list(organizationId: string): Promise<WebhookEndpointRecord[]>;
    /** Enabled endpoints of the organization whose filter lets this type through. */
    listFor(organizationId: string, type: PartnerEventType): Promise<WebhookEndpointRecord[]>;
    update(
      organizationId: string,
      id: string,
      patch: WebhookEndpointPatch,
      atMs: number,
    ): Promise<WebhookEndpointRecord | null>;
    rotate(
      organizationId: string,
      id: string,
      next: { secret: string; previousExpiresAtMs: number },
      atMs: number,
    ): Promise<WebhookEndpointRecord | null>;
    /** Removes the endpoint and its attempt log. */
    remove(organizationId: string, id: string): Promise<boolean>;
    /**
     * Writes one attempt and the endpoint's health after it, and disables the endpoint when
     * told to, in one transaction.
     */
    recordAttempt(
      attempt: DeliveryAttemptRecord,
      health: {
        consecutiveFailures: number;
        failingSinceMs: number | null;
        disable: EndpointDisabledReason | null;
      },
    ): Promise<void>;
    attemptsSoFar(eventId: string, endpointId: string): Promise<number>;
    deliveries(
      organizationId: string,
      endpointId: string,
      page: { limit: number; cursor?: string | undefined },
    ): Promise<Page<DeliveryAttemptRecord>>;
  };
  events: {
    get(organizationId: string, id: string): Promise<EventRecord | null>;
    getAny(id: string): Promise<EventRecord | null>;
    /**
     * Events after the given sequence, oldest first, that occurred at or before `settledAtMs`
     * (see the list contract in docs/reliability.md).
     */
    list(
      organizationId: string,
      filter: {
        afterSequence: number;
        beforeSequence?: number;
        settledAtMs: number;
        limit: number;
      },
    ): Promise<EventRecord[]>;
  };
  devices: {
    /** Registers a token for a patient, or refreshes its platform; idempotent. */
    register(device: DeviceRecord): Promise<DeviceRecord>;
    remove(organizationId: string, patientId: string, token: string): Promise<boolean>;
    removeById(id: string): Promise<void>;
    listFor(organizationId: string, patientId: string): Promise<DeviceRecord[]>;
  };
  notifications: {
    get(eventId: string, deviceId: string): Promise<NotificationRecord | null>;
    /** Inserts or updates the notification of one event to one device, counting the attempt. */
    record(notification: Omit<NotificationRecord, 'attempts'>): Promise<void>;
    listFor(eventId: string): Promise<NotificationRecord[]>;
  };
  /** Writes outbox messages; one whose dedupe key is already taken is skipped. */
  enqueue(messages: QueuedMessage[]): Promise<void>;
}
