import {
  TahoonError,
  type EventRecord,
  type PartnerEvent,
  type WebhookDelivery,
  type DeliveryAttemptRecord,
  type WebhookEndpoint,
  type WebhookEndpointRecord,
} from '@tahoon/core';
import type { Deps } from '../deps.js';
import type { OutboxMessage } from '../outbox/types.js';
import { checkWebhookUrl, checkWebhookUrlShape, type UrlRefused } from '../webhooks/ssrf.js';
import { webhookUrlPolicy } from './policy.js';

/**
 * The steps behind the webhook and event procedures that are more than one store call: the
 * URL check, the views partners see, and queueing redeliveries.
 */

/**
 * An event is listed only once this long has passed since it occurred. Event sequences come
 * from an identity column, handed out at insert but visible at commit, so a transaction that
 * commits late can reveal a lower sequence than one a partner has already seen; waiting out
 * the longest write transaction keeps `after=` from skipping it.
 */
export const EVENT_SETTLE_MS = 5_000;

/** Most events one replay queues; a partner replays a longer range in several calls. */
export const MAX_REPLAY_EVENTS = 1_000;

const notFound = (what: string, id: string) =>
  new TahoonError({ code: 'NOT_FOUND', detail: `No ${what} ${id}` });

/**
 * Refuses a webhook URL the gateway must not call (see webhooks/ssrf.ts), as a 400 naming the
 * `url` field. DNS is asked when the deployment gave a resolver.
 */
export async function assertWebhookUrl(
  deps: Pick<Deps, 'config' | 'webhookResolver'>,
  url: string,
): Promise<void> {
  const policy = webhookUrlPolicy(deps.config);
  const check = deps.webhookResolver
    ? await checkWebhookUrl(url, { policy, resolve: deps.webhookResolver })
    : checkWebhookUrlShape(url, policy);
  if (!check.ok) throw urlRefused(check);
}

function urlRefused(refusal: UrlRefused): TahoonError {
  return new TahoonError({
    code: 'VALIDATION_FAILED',
    detail: 'Tahoon will not send webhooks to this URL',
    errors: [{ pointer: '/url', message: `${refusal.reason}: ${refusal.detail}` }],
  });
}

export function endpointView(endpoint: WebhookEndpointRecord, nowMs: number): WebhookEndpoint {
  const overlapping =
    endpoint.previousSecretExpiresAtMs !== null && endpoint.previousSecretExpiresAtMs > nowMs;
  return {
    id: endpoint.id,
    url: endpoint.url,
    description: endpoint.description,
    eventTypes: endpoint.eventTypes,
    enabled: endpoint.disabledReason === null,
    disabledReason: endpoint.disabledReason,
    disabledAt: iso(endpoint.disabledAtMs),
    previousSecretExpiresAt: overlapping ? iso(endpoint.previousSecretExpiresAtMs) : null,
    consecutiveFailures: endpoint.consecutiveFailures,
    failingSince: iso(endpoint.failingSinceMs),
    createdAt: new Date(endpoint.createdAtMs).toISOString(),
    updatedAt: new Date(endpoint.updatedAtMs).toISOString(),
  };
}

export function deliveryView(delivery: DeliveryAttemptRecord): WebhookDelivery {
  return {
    id: delivery.id,
    eventId: delivery.eventId,
    endpointId: delivery.endpointId,
    attempt: delivery.attempt,
    status: delivery.status,
    error: delivery.error,
    durationMs: delivery.durationMs,
    attemptedAt: new Date(delivery.attemptedAtMs).toISOString(),
  };
}

export function eventView(event: EventRecord): PartnerEvent {
  return {
    id: event.id,
    type: event.type,
    occurredAt: new Date(event.occurredAtMs).toISOString(),
    data: event.data,
  };
}

export async function requireEndpoint(deps: Pick<Deps, 'store'>, orgId: string, id: string) {
  const endpoint = await deps.store.notifications.endpoints.get(orgId, id);
  if (!endpoint) throw notFound('webhook endpoint', id);
  return endpoint;
}

export async function requireEvent(
  deps: Pick<Deps, 'store'>,
  orgId: string,
  id: string,
  pointer = '/id',
) {
  const event = await deps.store.notifications.events.get(orgId, id);
  if (!event) {
    throw new TahoonError({
      code: 'NOT_FOUND',
      detail: `No event ${id}`,
      errors: [{ pointer, message: 'is not an event of your organization' }],
    });
  }
  return event;
}

export function endpointDisabled(id: string): TahoonError {
  return new TahoonError({
    code: 'INVALID_STATE',
    detail: `Webhook endpoint ${id} is disabled; re-enable it with PATCH first`,
  });
}

/**
 * Queues one event for the given endpoints again. No dedupe key: a redelivery asked for on
 * purpose is sent even when the event was delivered before, under the same `webhook-id`, so
 * the partner's duplicate check still applies.
 */
export async function queueDeliveries(
  deps: Pick<Deps, 'store' | 'ids'>,
  events: EventRecord[],
  endpoints: WebhookEndpointRecord[],
): Promise<number> {
  const messages: OutboxMessage[] = [];
  for (const event of events) {
    for (const endpoint of endpoints) {
      if (!sends(endpoint, event)) continue;
      messages.push({
        id: deps.ids.next('obx'),
        topic: 'webhook.deliver',
        organizationId: event.organizationId,
        payload: { eventId: event.id, endpointId: endpoint.id },
      });
    }
  }
  await deps.store.notifications.enqueue(messages);
  return messages.length;
}

/** Whether an endpoint takes an event: enabled, and its filter lets the type through. */
export function sends(endpoint: WebhookEndpointRecord, event: EventRecord): boolean {
  if (endpoint.disabledReason !== null) return false;
  return endpoint.eventTypes === null || endpoint.eventTypes.includes(event.type);
}

function iso(epochMs: number | null): string | null {
  return epochMs === null ? null : new Date(epochMs).toISOString();
}
