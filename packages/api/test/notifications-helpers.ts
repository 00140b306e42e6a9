import { asc, eq } from 'drizzle-orm';
import type { PartnerEventType } from '@tahoon/core';
import { createPush, type PushSender } from '../src/adapters/push/index.js';
import { webIds } from '../src/crypto.js';
import { toOutboxRecord } from '../src/db/outbox.js';
import { events, outbox } from '../src/db/schema.js';
import { createNotificationHandlers } from '../src/notifications/handlers.js';
import { webhookUrlPolicy } from '../src/notifications/policy.js';
import type {
  OutboxHandlerContext,
  OutboxHandlers,
  OutboxMessage,
  OutboxRecord,
  OutboxTopic,
} from '../src/outbox/types.js';
import { createPinnedFetch } from '../src/webhooks/pinned-fetch.js';
import { createUrlGuard, type Resolver } from '../src/webhooks/ssrf.js';
import type { TestGateway } from './harness.js';

/**
 * What the notification tests share until the dispatcher runs the handlers: an outbox context
 * whose `enqueue` writes real `outbox` rows, event rows written as the booking flow writes
 * them, and handlers wired to the test gateway's database.
 */

/** A handler context over the real outbox table and the gateway's test clock. */
export function outboxContext(gw: TestGateway): OutboxHandlerContext {
  return {
    enqueue: (messages) => insertOutbox(gw, messages),
    signal: new AbortController().signal,
    nowMs: () => gw.clock.nowMs(),
  };
}

/** The insert a dispatcher's enqueue makes: one row per message, a taken dedupe key skipped. */
export async function insertOutbox(gw: TestGateway, messages: OutboxMessage[]): Promise<void> {
  const nowMs = gw.clock.nowMs();
  for (const message of messages) {
    await gw.database.db
      .insert(outbox)
      .values({
        id: message.id,
        topic: message.topic,
        organizationId: message.organizationId,
        payload: message.payload,
        state: 'pending',
        availableAt: new Date(message.availableAtMs ?? nowMs),
        dedupeKey: message.dedupeKey ?? null,
        createdAt: new Date(nowMs),
        updatedAt: new Date(nowMs),
      })
      .onConflictDoNothing();
  }
}

/** Outbox rows of a topic, oldest first, as a dispatcher would hand them to a handler. */
export async function outboxRows(gw: TestGateway, topic: OutboxTopic): Promise<OutboxRecord[]> {
  const rows = await gw.database.db
    .select()
    .from(outbox)
    .where(eq(outbox.topic, topic))
    .orderBy(asc(outbox.createdAt), asc(outbox.id));
  return rows.map(toOutboxRecord);
}

/** A message as the dispatcher would hold it, for calling a handler directly. */
export function message(topic: OutboxTopic, payload: Record<string, unknown>): OutboxRecord {
  return {
    id: webIds.next('obx'),
    topic,
    organizationId: null,
    payload,
    availableAtMs: 0,
    dedupeKey: null,
    state: 'pending',
    attempts: 0,
    lastError: null,
    createdAtMs: 0,
    deliveredAtMs: null,
  };
}

/** Writes an event row, as the booking flow does in its transaction. */
export async function insertEvent(
  gw: TestGateway,
  organizationId: string,
  type: PartnerEventType,
  data: Record<string, string>,
  occurredAtMs = gw.clock.nowMs(),
): Promise<string> {
  const id = webIds.next('evt');
  await gw.database.db
    .insert(events)
    .values({ id, organizationId, type, data, occurredAt: new Date(occurredAtMs) });
  return id;
}

/** The handlers under test, with the gateway's store and the local-delivery URL policy. */
export function testHandlers(
  gw: TestGateway,
  options: { resolve: Resolver; push?: PushSender; timeoutMs?: number },
): OutboxHandlers {
  const policy = webhookUrlPolicy({ TAHOON_WEBHOOK_ALLOW_LOCAL: 'true' });
  return createNotificationHandlers({
    store: gw.deps.store,
    ids: webIds,
    logger: gw.deps.logger,
    push: options.push ?? createPush({ logger: gw.deps.logger }),
    fetch: createPinnedFetch({ policy, resolve: options.resolve }),
    guard: createUrlGuard({ policy, resolve: options.resolve }),
    timeoutMs: options.timeoutMs ?? 2_000,
    random: () => 0.5,
  });
}

/** Calls a topic's handler, failing loudly if the set lacks it. */
export async function run(
  handlers: OutboxHandlers,
  record: OutboxRecord,
  context: OutboxHandlerContext,
): Promise<void> {
  const handler = handlers[record.topic];
  if (!handler) throw new Error(`no handler for ${record.topic}`);
  await handler(record, context);
}
