import type { EventRecord, IdGenerator, Store, WebhookEndpointRecord } from '@tahoon/core';
import type { Logger } from 'pino';
import { BOOKING_PUSH_TYPES, bookingNotification } from '../adapters/push/messages.js';
import type { BookingPushType } from '../adapters/push/messages.js';
import type { PushNotification, PushResult, PushSender } from '../adapters/push/types.js';
import {
  PermanentDeliveryError,
  RetryableDeliveryError,
  type OutboxHandler,
  type OutboxHandlerContext,
  type OutboxHandlers,
  type OutboxMessage,
  type OutboxRecord,
} from '../outbox/types.js';
import { deliverWebhook, type DeliveryResult, type FetchLike } from '../webhooks/delivery.js';
import type { WebhookEvent } from '../webhooks/events.js';
import { nextAttemptDelay, recordAttempt, type HealthUpdate } from '../webhooks/retry.js';
import { signingSecrets } from '../webhooks/signing.js';
import type { UrlGuard } from '../webhooks/ssrf.js';

/**
 * The outbox handlers that tell the outside world about events: `event.publish` fans an event
 * out, `webhook.deliver` sends it to one partner endpoint, `push.send` to one patient's devices.
 * Each records what it did in the database before it returns or throws, so the delivery log
 * and the notifications table say what happened even when the dispatcher retries.
 */
export interface NotificationHandlerDeps {
  store: Pick<Store, 'notifications'>;
  ids: IdGenerator;
  logger: Logger;
  push: PushSender;
  /** The SSRF-pinned fetch (webhooks/pinned-fetch.ts) in production. */
  fetch: FetchLike;
  /** Checked again before every delivery: DNS may have changed since registration. */
  guard: UrlGuard;
  /** Bound on one delivery attempt, DNS included. */
  timeoutMs: number;
  /**
   * The wall clock that stamps `webhook-timestamp`. Partners compare it with their own clock
   * to refuse replays, so it is the real time even where the dispatcher's clock is not.
   */
  wallClockMs?: () => number;
  /** Spreads webhook retries (retry.ts); tests fix it. */
  random?: () => number;
}

/**
 * @example
 * const handlers = createNotificationHandlers({ store, ids, logger, push, fetch, guard,
 *   timeoutMs: 15_000 });
 * await handlers['event.publish']?.(message, context);
 */
export function createNotificationHandlers(deps: NotificationHandlerDeps): OutboxHandlers {
  return {
    'event.publish': (message, context) => publishEvent(deps, message, context),
    'webhook.deliver': (message, context) => deliverToEndpoint(deps, message, context),
    'push.send': (message, context) => pushToDevices(deps, message, context),
  } satisfies Record<string, OutboxHandler>;
}

/** One `webhook.deliver` per matching enabled endpoint, and one `push.send` when it applies. */
async function publishEvent(
  deps: NotificationHandlerDeps,
  message: OutboxRecord,
  context: OutboxHandlerContext,
): Promise<void> {
  const event = await loadEvent(deps, message);
  const store = deps.store.notifications;

  const endpoints = await store.endpoints.listFor(event.organizationId, event.type);
  const messages: OutboxMessage[] = endpoints.map((endpoint) => ({
    id: deps.ids.next('obx'),
    topic: 'webhook.deliver',
    organizationId: event.organizationId,
    payload: { eventId: event.id, endpointId: endpoint.id },
    // A re-run of this handler (a crash after enqueueing) must not send the event twice.
    dedupeKey: `webhook.deliver:${event.id}:${endpoint.id}`,
  }));
  if (await hasPushAudience(deps, event)) {
    messages.push({
      id: deps.ids.next('obx'),
      topic: 'push.send',
      organizationId: event.organizationId,
      payload: { eventId: event.id },
      dedupeKey: `push.send:${event.id}`,
    });
  }

  await context.enqueue(messages);
  deps.logger.info(
    { eventId: event.id, type: event.type, webhooks: endpoints.length },
    'event published',
  );
}

async function hasPushAudience(deps: NotificationHandlerDeps, event: EventRecord) {
  const patientId = event.data.patientId;
  if (!isPushType(event.type) || !patientId) return false;
  const devices = await deps.store.notifications.devices.listFor(event.organizationId, patientId);
  return devices.length > 0;
}

/** One attempt to one endpoint, recorded; the dispatcher schedules the next from the error. */
async function deliverToEndpoint(
  deps: NotificationHandlerDeps,
  message: OutboxRecord,
  context: OutboxHandlerContext,
): Promise<void> {
  const event = await loadEvent(deps, message);
  const endpointId = stringField(message, 'endpointId');
  const store = deps.store.notifications.endpoints;
  const endpoint = await store.get(event.organizationId, endpointId);
  // Removed or disabled since the event was published: nothing to send, nothing to retry.
  if (!endpoint || endpoint.disabledReason !== null) return;

  const attempt = (await store.attemptsSoFar(event.id, endpoint.id)) + 1;
  const nowMs = context.nowMs();
  const result = await deliverWebhook({
    url: endpoint.url,
    secrets: signingSecrets(rotationOf(endpoint), nowMs),
    event: webhookEventOf(event),
    timeoutMs: deps.timeoutMs,
    fetch: deps.fetch,
    guard: deps.guard,
    now: deps.wallClockMs ?? Date.now,
  });
  const health = recordAttempt(healthOf(endpoint), result, nowMs);
  await store.recordAttempt(
    {
      id: deps.ids.next('wdl'),
      organizationId: event.organizationId,
      eventId: event.id,
      endpointId: endpoint.id,
      attempt,
      status: result.status ?? null,
      error: result.error ?? null,
      durationMs: result.durationMs,
      attemptedAtMs: nowMs,
    },
    { ...health.health, disable: health.disable },
  );

  logAttempt(deps.logger, event, endpoint, attempt, result, health);
  throwUnlessDelivered(result, attempt, health, deps.random);
}

/**
 * Success returns; a 410, a disabled endpoint, an answer that will not change (other 4xx, a
 * redirect, a refused address) or the last scheduled attempt is permanent; the rest are retried
 * on the Standard Webhooks schedule, later still if the partner's `Retry-After` asks.
 */
function throwUnlessDelivered(
  result: DeliveryResult,
  attempt: number,
  health: HealthUpdate,
  random: (() => number) | undefined,
): void {
  if (result.ok) return;
  if (health.disable) {
    throw new PermanentDeliveryError(`endpoint disabled (${health.disable})`);
  }
  if (!result.retryable) {
    throw new PermanentDeliveryError(`not retried: ${result.error ?? 'failed'}`);
  }
  const delay = nextAttemptDelay(attempt, {
    ...(result.retryAfterMs === undefined ? {} : { retryAfterMs: result.retryAfterMs }),
    ...(random ? { random } : {}),
  });
  if (delay === null) throw new PermanentDeliveryError(`gave up after ${attempt} attempts`);
  throw new RetryableDeliveryError(`delivery attempt ${attempt} failed: ${result.error ?? ''}`, {
    retryAfterMs: delay,
  });
}

function logAttempt(
  logger: Logger,
  event: EventRecord,
  endpoint: WebhookEndpointRecord,
  attempt: number,
  result: DeliveryResult,
  health: HealthUpdate,
): void {
  const fields = {
    eventId: event.id,
    endpointId: endpoint.id,
    attempt,
    status: result.status,
    error: result.error,
    durationMs: result.durationMs,
  };
  if (result.ok) logger.info(fields, 'webhook delivered');
  else logger.warn({ ...fields, disabled: health.disable }, 'webhook not delivered');
}

/** The patient's devices, each told once; a token FCM no longer knows is removed. */
async function pushToDevices(
  deps: NotificationHandlerDeps,
  message: OutboxRecord,
  context: OutboxHandlerContext,
): Promise<void> {
  const event = await loadEvent(deps, message);
  const patientId = event.data.patientId;
  if (!isPushType(event.type) || !patientId) return;
  const notification = notificationFor(event.type, event.data.bookingId);
  const store = deps.store.notifications;
  const devices = await store.devices.listFor(event.organizationId, patientId);

  let retryAfterMs: number | null = null;
  for (const device of devices) {
    const before = await store.notifications.get(event.id, device.id);
    // A retry of this message sends again only where the last try asked for one.
    if (before && before.state !== 'retrying') continue;

    const result = await deps.push.send(
      { deviceToken: device.token, notification },
      context.signal,
    );
    const outcome = outcomeOf(result);
    if (result.status === 'remove-token') await store.devices.removeById(device.id);
    await store.notifications.record({
      id: deps.ids.next('ntf'),
      organizationId: event.organizationId,
      eventId: event.id,
      deviceId: device.id,
      state: outcome.state,
      detail: outcome.detail,
      updatedAtMs: context.nowMs(),
    });
    deps.logger.info(
      { eventId: event.id, deviceId: device.id, state: outcome.state, detail: outcome.detail },
      'push notification',
    );
    if (outcome.state === 'retrying') retryAfterMs = Math.max(retryAfterMs ?? 0, outcome.waitMs);
  }

  if (retryAfterMs !== null) {
    const options = retryAfterMs > 0 ? { retryAfterMs } : {};
    throw new RetryableDeliveryError('push will be retried for some devices', options);
  }
}

type PushOutcome =
  | { state: 'sent' | 'failed' | 'token_removed' | 'undeliverable'; detail: string | null }
  | { state: 'retrying'; detail: string; waitMs: number };

/**
 * How a push result is recorded. The FCM adapter marks as retryable only FCM's UNAVAILABLE,
 * INTERNAL and QUOTA_EXCEEDED answers (429 and 5xx) and failures where no answer came at all
 * (network, timeout, token endpoint down); every other answer is final.
 */
function outcomeOf(result: PushResult): PushOutcome {
  switch (result.status) {
    case 'sent':
      return { state: 'sent', detail: null };
    case 'remove-token':
      return { state: 'token_removed', detail: result.code };
    case 'undeliverable':
      return { state: 'undeliverable', detail: result.reason };
    case 'failed':
      return result.retryable
        ? { state: 'retrying', detail: result.code, waitMs: result.retryAfterMs ?? 0 }
        : { state: 'failed', detail: result.code };
  }
}

function notificationFor(type: BookingPushType, bookingId: string | undefined): PushNotification {
  try {
    return bookingNotification({ type, bookingId: bookingId ?? '' });
  } catch (cause) {
    throw new PermanentDeliveryError('the event has no booking to notify about', { cause });
  }
}

function isPushType(type: string): type is BookingPushType {
  return (BOOKING_PUSH_TYPES as readonly string[]).includes(type);
}

/** The event a message names. A missing one will not appear later: the message is dead. */
async function loadEvent(deps: NotificationHandlerDeps, message: OutboxRecord) {
  const eventId = stringField(message, 'eventId');
  const event = await deps.store.notifications.events.getAny(eventId);
  if (!event) throw new PermanentDeliveryError(`no event ${eventId}`);
  return event;
}

function stringField(message: OutboxRecord, field: string): string {
  const value = message.payload[field];
  if (typeof value !== 'string' || value === '') {
    throw new PermanentDeliveryError(`${message.topic} payload lacks ${field}`);
  }
  return value;
}

/** The thin payload's input: ids copied by name; a malformed event is not worth retrying. */
function webhookEventOf(event: EventRecord): WebhookEvent {
  const { bookingId, patientId, providerId } = event.data;
  if (!bookingId) throw new PermanentDeliveryError(`event ${event.id} names no booking`);
  return {
    id: event.id,
    type: event.type,
    occurredAtMs: event.occurredAtMs,
    bookingId,
    ...(patientId ? { patientId } : {}),
    ...(providerId ? { providerId } : {}),
  };
}

function rotationOf(endpoint: WebhookEndpointRecord) {
  return {
    current: endpoint.secret,
    previous: endpoint.previousSecret,
    previousExpiresAtMs: endpoint.previousSecretExpiresAtMs,
  };
}

function healthOf(endpoint: WebhookEndpointRecord) {
  return {
    consecutiveFailures: endpoint.consecutiveFailures,
    failingSinceMs: endpoint.failingSinceMs,
  };
}
