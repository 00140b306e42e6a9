import { and, asc, count, desc, eq, gt, isNull, lt, lte, or, sql } from 'drizzle-orm';
import type {
  DeliveryAttemptRecord,
  DeliveryErrorKind,
  DevicePlatform,
  DeviceRecord,
  EndpointDisabledReason,
  EventRecord,
  NotificationRecord,
  NotificationState,
  NotificationStore,
  PartnerEventType,
  WebhookEndpointPatch,
  WebhookEndpointRecord,
} from '@tahoon/core';
import type { PhiCipher, PhiContext } from '../phi/index.js';
import { decodeCursor, encodeCursor } from './cursor.js';
import {
  devices,
  events,
  notifications,
  outbox,
  webhookDeliveries,
  webhookEndpoints,
} from './schema.js';
import type { Db } from './store.js';

type EndpointRow = typeof webhookEndpoints.$inferSelect;
type SecretColumn = 'secret' | 'previous_secret';

const ms = (date: Date | null): number | null => (date ? date.getTime() : null);
const at = (epochMs: number | null): Date | null => (epochMs === null ? null : new Date(epochMs));

/**
 * The store behind webhooks, the events list, devices and notifications. Secrets and device
 * tokens are sealed with the PHI cipher, bound to their table, column, organization and row, so
 * a value copied into another row does not open.
 */
export function createNotificationStore(db: Db, phi: PhiCipher): NotificationStore {
  const secretContext = (row: { organizationId: string; id: string }, column: SecretColumn) => ({
    table: 'webhook_endpoints',
    column,
    organizationId: row.organizationId,
    rowId: row.id,
  });
  const tokenContext = (orgId: string, rowId: string): PhiContext => ({
    table: 'devices',
    column: 'token',
    organizationId: orgId,
    rowId,
  });

  async function toEndpoint(row: EndpointRow): Promise<WebhookEndpointRecord> {
    const [secret, previousSecret] = await Promise.all([
      phi.decrypt(row.secret, secretContext(row, 'secret')),
      row.previousSecret === null
        ? null
        : phi.decrypt(row.previousSecret, secretContext(row, 'previous_secret')),
    ]);
    return {
      id: row.id,
      organizationId: row.organizationId,
      url: row.url,
      description: row.description,
      eventTypes: row.eventTypes as PartnerEventType[] | null,
      disabledReason: row.disabledReason as EndpointDisabledReason | null,
      disabledAtMs: ms(row.disabledAt),
      secret,
      previousSecret,
      previousSecretExpiresAtMs: ms(row.previousSecretExpiresAt),
      consecutiveFailures: row.consecutiveFailures,
      failingSinceMs: ms(row.failingSince),
      createdAtMs: row.createdAt.getTime(),
      updatedAtMs: row.updatedAt.getTime(),
    };
  }

  const byOrgAndId = (orgId: string, id: string) =>
    and(eq(webhookEndpoints.organizationId, orgId), eq(webhookEndpoints.id, id));

  async function updated(rows: EndpointRow[]): Promise<WebhookEndpointRecord | null> {
    const [row] = rows;
    return row ? toEndpoint(row) : null;
  }

  const endpointStore: NotificationStore['endpoints'] = {
    async create(endpoint) {
      await db.insert(webhookEndpoints).values({
        id: endpoint.id,
        organizationId: endpoint.organizationId,
        url: endpoint.url,
        description: endpoint.description,
        eventTypes: endpoint.eventTypes,
        disabledReason: endpoint.disabledReason,
        disabledAt: at(endpoint.disabledAtMs),
        secret: await phi.encrypt(endpoint.secret, secretContext(endpoint, 'secret')),
        previousSecret: null,
        previousSecretExpiresAt: null,
        consecutiveFailures: 0,
        failingSince: null,
        createdAt: new Date(endpoint.createdAtMs),
        updatedAt: new Date(endpoint.updatedAtMs),
      });
    },
    async get(orgId, id) {
      const rows = await db.select().from(webhookEndpoints).where(byOrgAndId(orgId, id));
      return updated(rows);
    },
    async list(orgId) {
      const rows = await db
        .select()
        .from(webhookEndpoints)
        .where(eq(webhookEndpoints.organizationId, orgId))
        .orderBy(asc(webhookEndpoints.createdAt), asc(webhookEndpoints.id));
      return Promise.all(rows.map(toEndpoint));
    },
    async listFor(orgId, type) {
      const rows = await db
        .select()
        .from(webhookEndpoints)
        .where(
          and(
            eq(webhookEndpoints.organizationId, orgId),
            isNull(webhookEndpoints.disabledReason),
            or(
              isNull(webhookEndpoints.eventTypes),
              sql`${webhookEndpoints.eventTypes} @> ${JSON.stringify([type])}::jsonb`,
            ),
          ),
        )
        .orderBy(asc(webhookEndpoints.id));
      return Promise.all(rows.map(toEndpoint));
    },
    async update(orgId, id, patch, atMs) {
      const rows = await db
        .update(webhookEndpoints)
        .set({ ...endpointChanges(patch, atMs), updatedAt: new Date(atMs) })
        .where(byOrgAndId(orgId, id))
        .returning();
      return updated(rows);
    },
    async rotate(orgId, id, next, atMs) {
      return db.transaction(async (tx) => {
        const [row] = await tx
          .select()
          .from(webhookEndpoints)
          .where(byOrgAndId(orgId, id))
          .for('update');
        if (!row) return null;
        const current = await phi.decrypt(row.secret, secretContext(row, 'secret'));
        const rows = await tx
          .update(webhookEndpoints)
          .set({
            secret: await phi.encrypt(next.secret, secretContext(row, 'secret')),
            previousSecret: await phi.encrypt(current, secretContext(row, 'previous_secret')),
            previousSecretExpiresAt: new Date(next.previousExpiresAtMs),
            updatedAt: new Date(atMs),
          })
          .where(eq(webhookEndpoints.id, id))
          .returning();
        return updated(rows);
      });
    },
    async remove(orgId, id) {
      return db.transaction(async (tx) => {
        const [row] = await tx
          .select({ id: webhookEndpoints.id })
          .from(webhookEndpoints)
          .where(byOrgAndId(orgId, id))
          .for('update');
        if (!row) return false;
        await tx.delete(webhookDeliveries).where(eq(webhookDeliveries.endpointId, id));
        await tx.delete(webhookEndpoints).where(eq(webhookEndpoints.id, id));
        return true;
      });
    },
    async recordAttempt(attempt, health) {
      await db.transaction(async (tx) => {
        await tx.insert(webhookDeliveries).values({
          id: attempt.id,
          organizationId: attempt.organizationId,
          eventId: attempt.eventId,
          endpointId: attempt.endpointId,
          attempt: attempt.attempt,
          status: attempt.status,
          error: attempt.error,
          durationMs: attempt.durationMs,
          attemptedAt: new Date(attempt.attemptedAtMs),
        });
        await tx
          .update(webhookEndpoints)
          .set({
            consecutiveFailures: health.consecutiveFailures,
            failingSince: at(health.failingSinceMs),
            ...(health.disable
              ? { disabledReason: health.disable, disabledAt: new Date(attempt.attemptedAtMs) }
              : {}),
          })
          .where(eq(webhookEndpoints.id, attempt.endpointId));
      });
    },
    async attemptsSoFar(eventId, endpointId) {
      const [row] = await db
        .select({ n: count() })
        .from(webhookDeliveries)
        .where(
          and(eq(webhookDeliveries.eventId, eventId), eq(webhookDeliveries.endpointId, endpointId)),
        );
      return row?.n ?? 0;
    },
    async deliveries(orgId, endpointId, filter) {
      const after = filter.cursor ? decodeCursor(filter.cursor) : null;
      const rows = await db
        .select()
        .from(webhookDeliveries)
        .where(
          and(
            eq(webhookDeliveries.organizationId, orgId),
            eq(webhookDeliveries.endpointId, endpointId),
            after
              ? or(
                  lt(webhookDeliveries.attemptedAt, new Date(after.sortKey)),
                  and(
                    eq(webhookDeliveries.attemptedAt, new Date(after.sortKey)),
                    lt(webhookDeliveries.id, after.id),
                  ),
                )
              : undefined,
          ),
        )
        .orderBy(desc(webhookDeliveries.attemptedAt), desc(webhookDeliveries.id))
        .limit(filter.limit + 1);
      const data = rows.slice(0, filter.limit).map(toDelivery);
      const last = data.at(-1);
      const more = rows.length > filter.limit;
      return { data, nextCursor: more && last ? encodeCursor(last.attemptedAtMs, last.id) : null };
    },
  };

  const eventStore: NotificationStore['events'] = {
    async get(orgId, id) {
      const rows = await db
        .select()
        .from(events)
        .where(and(eq(events.organizationId, orgId), eq(events.id, id)));
      return rows[0] ? toEvent(rows[0]) : null;
    },
    async getAny(id) {
      const rows = await db.select().from(events).where(eq(events.id, id));
      return rows[0] ? toEvent(rows[0]) : null;
    },
    async list(orgId, filter) {
      const rows = await db
        .select()
        .from(events)
        .where(
          and(
            eq(events.organizationId, orgId),
            gt(events.sequence, filter.afterSequence),
            filter.beforeSequence === undefined
              ? undefined
              : lt(events.sequence, filter.beforeSequence),
            lte(events.occurredAt, new Date(filter.settledAtMs)),
          ),
        )
        .orderBy(asc(events.sequence))
        .limit(filter.limit);
      return rows.map(toEvent);
    },
  };

  async function toDevice(row: typeof devices.$inferSelect): Promise<DeviceRecord> {
    return {
      id: row.id,
      organizationId: row.organizationId,
      patientId: row.patientId,
      token: await phi.decrypt(row.token, tokenContext(row.organizationId, row.id)),
      platform: row.platform as DevicePlatform | null,
      createdAtMs: row.createdAt.getTime(),
    };
  }

  const deviceStore: NotificationStore['devices'] = {
    async register(device) {
      const tokenIndex = await phi.blindIndex('deviceToken', device.token, device.organizationId);
      const sealed = await phi.encrypt(
        device.token,
        tokenContext(device.organizationId, device.id),
      );
      const [row] = await db
        .insert(devices)
        .values({
          id: device.id,
          organizationId: device.organizationId,
          patientId: device.patientId,
          token: sealed,
          tokenIndex,
          platform: device.platform,
          createdAt: new Date(device.createdAtMs),
        })
        .onConflictDoUpdate({
          target: [devices.patientId, devices.tokenIndex],
          // The first row keeps its id and sealed token; only a newly given platform changes.
          set: { platform: sql`coalesce(excluded.platform, ${devices.platform})` },
        })
        .returning();
      if (!row) throw new Error('device registration returned no row');
      return toDevice(row);
    },
    async remove(orgId, patientId, token) {
      const tokenIndex = await phi.blindIndex('deviceToken', token, orgId);
      const rows = await db
        .delete(devices)
        .where(
          and(
            eq(devices.organizationId, orgId),
            eq(devices.patientId, patientId),
            eq(devices.tokenIndex, tokenIndex),
          ),
        )
        .returning({ id: devices.id });
      return rows.length > 0;
    },
    async removeById(id) {
      await db.delete(devices).where(eq(devices.id, id));
    },
    async listFor(orgId, patientId) {
      const rows = await db
        .select()
        .from(devices)
        .where(and(eq(devices.organizationId, orgId), eq(devices.patientId, patientId)))
        .orderBy(asc(devices.createdAt), asc(devices.id));
      return Promise.all(rows.map(toDevice));
    },
  };

  const notificationStore: NotificationStore['notifications'] = {
    async get(eventId, deviceId) {
      const rows = await db
        .select()
        .from(notifications)
        .where(and(eq(notifications.eventId, eventId), eq(notifications.deviceId, deviceId)));
      return rows[0] ? toNotification(rows[0]) : null;
    },
    async record(notification) {
      await db
        .insert(notifications)
        .values({
          id: notification.id,
          organizationId: notification.organizationId,
          eventId: notification.eventId,
          deviceId: notification.deviceId,
          state: notification.state,
          detail: notification.detail,
          attempts: 1,
          updatedAt: new Date(notification.updatedAtMs),
        })
        .onConflictDoUpdate({
          target: [notifications.eventId, notifications.deviceId],
          set: {
            state: notification.state,
            detail: notification.detail,
            attempts: sql`${notifications.attempts} + 1`,
            updatedAt: new Date(notification.updatedAtMs),
          },
        });
    },
    async listFor(eventId) {
      const rows = await db
        .select()
        .from(notifications)
        .where(eq(notifications.eventId, eventId))
        .orderBy(asc(notifications.id));
      return rows.map(toNotification);
    },
  };

  return {
    endpoints: endpointStore,
    events: eventStore,
    devices: deviceStore,
    notifications: notificationStore,
    async enqueue(messages) {
      if (messages.length === 0) return;
      const now = new Date();
      await db
        .insert(outbox)
        .values(
          messages.map((message) => ({
            id: message.id,
            topic: message.topic,
            organizationId: message.organizationId,
            payload: message.payload,
            state: 'pending',
            availableAt:
              message.availableAtMs === undefined ? now : new Date(message.availableAtMs),
            dedupeKey: message.dedupeKey ?? null,
            createdAt: now,
            updatedAt: now,
          })),
        )
        .onConflictDoNothing();
    },
  };
}

/** The columns a PATCH changes; enabling clears the disablement and the run of failures. */
function endpointChanges(patch: WebhookEndpointPatch, atMs: number) {
  const enabling =
    patch.enabled === true
      ? { disabledReason: null, disabledAt: null, consecutiveFailures: 0, failingSince: null }
      : {};
  const disabling =
    patch.enabled === false ? { disabledReason: 'manual', disabledAt: new Date(atMs) } : {};
  return {
    ...(patch.url === undefined ? {} : { url: patch.url }),
    ...(patch.description === undefined ? {} : { description: patch.description }),
    ...(patch.eventTypes === undefined ? {} : { eventTypes: patch.eventTypes }),
    ...enabling,
    ...disabling,
  };
}

function toDelivery(row: typeof webhookDeliveries.$inferSelect): DeliveryAttemptRecord {
  return {
    id: row.id,
    organizationId: row.organizationId,
    eventId: row.eventId,
    endpointId: row.endpointId,
    attempt: row.attempt,
    status: row.status,
    error: row.error as DeliveryErrorKind | null,
    durationMs: row.durationMs,
    attemptedAtMs: row.attemptedAt.getTime(),
  };
}

function toEvent(row: typeof events.$inferSelect): EventRecord {
  return {
    id: row.id,
    organizationId: row.organizationId,
    type: row.type as PartnerEventType,
    data: row.data,
    sequence: row.sequence ?? 0,
    occurredAtMs: row.occurredAt.getTime(),
  };
}

function toNotification(row: typeof notifications.$inferSelect): NotificationRecord {
  return {
    id: row.id,
    organizationId: row.organizationId,
    eventId: row.eventId,
    deviceId: row.deviceId,
    state: row.state as NotificationState,
    detail: row.detail,
    attempts: row.attempts,
    updatedAtMs: row.updatedAt.getTime(),
  };
}
