import { ID_PREFIX, isId, PARTNER_EVENT_TYPES, type IdPrefix } from '@tahoon/core';

/**
 * What partners are told, and how little. Payloads are "thin": the event type, when it happened
 * and the ids involved. A partner that wants details fetches the booking with its own token,
 * where tenancy checks and access logs apply; nothing about a patient travels in a webhook, so a
 * mis-registered URL or a leaky receiver log cannot spill PHI.
 */

/** Every event partners can see is also sent as a webhook. */
export const WEBHOOK_EVENT_TYPES = PARTNER_EVENT_TYPES;

export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** An event as the outbox holds it: ids and an instant, never a person's details. */
export interface WebhookEvent {
  /** Stable for the life of the event; sent as `webhook-id` on every attempt. */
  id: string;
  type: WebhookEventType;
  occurredAtMs: number;
  bookingId: string;
  patientId?: string;
  providerId?: string;
}

/** The `data` of a payload: ids only. */
export interface WebhookEventData {
  bookingId: string;
  patientId?: string;
  providerId?: string;
}

export interface WebhookPayload {
  type: WebhookEventType;
  /** When the event happened (ISO 8601, UTC), not when this attempt was made. */
  timestamp: string;
  data: WebhookEventData;
}

/** Each field `data` may carry, with the id prefix its value must have. */
const DATA_FIELDS = [
  ['bookingId', ID_PREFIX.booking],
  ['patientId', ID_PREFIX.patient],
  ['providerId', ID_PREFIX.provider],
] as const satisfies readonly (readonly [keyof WebhookEventData, IdPrefix])[];

/**
 * The payload for an event. Fields are copied by name from a fixed list and each value must be
 * an id of the right kind, so an event object that happens to carry more (a whole booking, a
 * patient record) still yields ids only; a malformed id is a bug upstream and throws.
 *
 * @example
 * buildEventPayload({ id: 'evt_1', type: 'booking.cancelled', occurredAtMs: Date.now(),
 *   bookingId: 'bkg_k3m9x2p7q4r8s5t6', patientId: 'pat_…' });
 * // { type: 'booking.cancelled', timestamp: '2027-…Z', data: { bookingId: 'bkg_…', … } }
 */
export function buildEventPayload(event: WebhookEvent): WebhookPayload {
  if (!(WEBHOOK_EVENT_TYPES as readonly string[]).includes(event.type)) {
    throw new RangeError(`unknown webhook event type ${String(event.type)}`);
  }
  if (!Number.isFinite(event.occurredAtMs)) throw new RangeError('the event has no valid time');

  return {
    type: event.type,
    timestamp: new Date(event.occurredAtMs).toISOString(),
    data: eventData(event),
  };
}

/**
 * The body of every attempt for an event: built afresh each time yet byte-identical, since the
 * payload depends on the event alone.
 *
 * @example
 * const body = serializeEventPayload(event);
 * signWebhook({ id: event.id, timestampS, body, secrets });
 */
export function serializeEventPayload(event: WebhookEvent): string {
  return JSON.stringify(buildEventPayload(event));
}

function eventData(event: WebhookEvent): WebhookEventData {
  const data: WebhookEventData = { bookingId: checkedId(event.bookingId, 'bookingId', 'bkg') };
  for (const [field, prefix] of DATA_FIELDS) {
    const value = event[field];
    if (value !== undefined) data[field] = checkedId(value, field, prefix);
  }
  return data;
}

function checkedId(value: unknown, field: string, prefix: IdPrefix): string {
  if (typeof value !== 'string' || !isId(prefix, value)) {
    throw new RangeError(`${field} is not a ${prefix}_ id`);
  }
  return value;
}
