import { and, asc, desc, eq, inArray, isNull, lte, or, sql } from 'drizzle-orm';
import type {
  DomainEvent,
  OutboxMessage,
  OutboxRecord,
  OutboxState,
  OutboxTopic,
} from '../outbox/types.js';
import { events, outbox } from './schema.js';
import type { Db } from './store.js';

type OutboxRow = typeof outbox.$inferSelect;

export function toOutboxRecord(row: OutboxRow): OutboxRecord {
  return {
    id: row.id,
    topic: row.topic as OutboxTopic,
    organizationId: row.organizationId,
    payload: row.payload,
    availableAtMs: row.availableAt.getTime(),
    dedupeKey: row.dedupeKey,
    state: row.state as OutboxState,
    attempts: row.attempts,
    lastError: row.lastError,
    createdAtMs: row.createdAt.getTime(),
    deliveredAtMs: row.deliveredAt ? row.deliveredAt.getTime() : null,
  };
}

/**
 * Writes messages inside the caller's transaction. A message whose dedupe key a live row
 * (pending, delivered or dead) already holds is ignored; a cancelled row under that key is
 * brought back to pending with the new message's due time and payload, so a reminder can be
 * cancelled and later scheduled again for the same start.
 */
export async function enqueueIn(tx: Db, messages: OutboxMessage[], atMs: number): Promise<void> {
  const at = new Date(atMs);
  for (const message of messages) {
    await tx
      .insert(outbox)
      .values({
        id: message.id,
        topic: message.topic,
        organizationId: message.organizationId,
        payload: message.payload,
        state: 'pending',
        availableAt: new Date(message.availableAtMs ?? atMs),
        dedupeKey: message.dedupeKey ?? null,
        createdAt: at,
        updatedAt: at,
      })
      .onConflictDoUpdate({
        target: outbox.dedupeKey,
        set: {
          state: 'pending',
          attempts: 0,
          payload: sql`excluded.payload`,
          availableAt: sql`excluded.available_at`,
          leasedUntil: null,
          lastError: null,
          updatedAt: at,
        },
        setWhere: eq(outbox.state, 'cancelled'),
      });
  }
}

/**
 * Records domain events inside the caller's transaction, each with an `event.publish` message
 * that fans it out to webhooks and push once the transaction commits.
 */
export async function recordEventsIn(
  tx: Db,
  domainEvents: DomainEvent[],
  messageId: () => string,
): Promise<void> {
  if (domainEvents.length === 0) return;
  await tx.insert(events).values(
    domainEvents.map((event) => ({
      id: event.id,
      organizationId: event.organizationId,
      type: event.type,
      data: event.data,
      occurredAt: new Date(event.occurredAtMs),
    })),
  );
  const publish = domainEvents.map((event): OutboxMessage => ({
    id: messageId(),
    topic: 'event.publish',
    organizationId: event.organizationId,
    payload: { eventId: event.id },
    availableAtMs: event.occurredAtMs,
  }));
  await enqueueIn(tx, publish, domainEvents[0]?.occurredAtMs ?? Date.now());
}

/** Cancels the pending messages under these dedupe keys, inside the caller's transaction. */
export async function cancelByKeysIn(tx: Db, keys: string[], atMs: number): Promise<string[]> {
  if (keys.length === 0) return [];
  const rows = await tx
    .update(outbox)
    .set({ state: 'cancelled', leasedUntil: null, updatedAt: new Date(atMs) })
    .where(and(inArray(outbox.dedupeKey, keys), eq(outbox.state, 'pending')))
    .returning({ id: outbox.id });
  return rows.map((row) => row.id);
}

/** The rows under these dedupe keys, whatever their state, inside the caller's transaction. */
export async function findByKeysIn(tx: Db, keys: string[]): Promise<OutboxRecord[]> {
  if (keys.length === 0) return [];
  const rows = await tx.select().from(outbox).where(inArray(outbox.dedupeKey, keys));
  return rows.map(toOutboxRecord);
}

/** Where a failed attempt leaves its message; see src/outbox/backoff.ts. */
export type AttemptOutcome =
  | { kind: 'retry'; availableAtMs: number; error: string }
  | { kind: 'dead'; error: string }
  /** No handler here: wait, without counting the attempt against the topic's maximum. */
  | { kind: 'defer'; availableAtMs: number; error: string };

/**
 * The outbox's rows, for the dispatcher and operators. Every change to a claimed row is
 * fenced by its attempt count: a dispatcher whose lease ran out and whose row another one
 * claimed since cannot overwrite the newer attempt's result.
 */
export interface OutboxStore {
  /** Writes messages in a transaction of their own, then tells the listeners. */
  enqueue(messages: OutboxMessage[], atMs: number): Promise<void>;
  /**
   * Leases up to `limit` due messages, oldest due first, and counts the attempt. Rows another
   * dispatcher holds are skipped, not waited for; an expired lease makes a row due again.
   */
  claim(options: { limit: number; leaseMs: number; nowMs: number }): Promise<OutboxRecord[]>;
  /** Leases one message by id if it is pending and unleased: for an inline first attempt. */
  claimById(id: string, leaseMs: number, nowMs: number): Promise<OutboxRecord | null>;
  /** False when the lease was lost (another attempt or a cancellation came in between). */
  markDelivered(claimed: OutboxRecord, atMs: number): Promise<boolean>;
  recordFailure(claimed: OutboxRecord, outcome: AttemptOutcome, atMs: number): Promise<boolean>;
  cancelByKeys(keys: string[], atMs: number): Promise<string[]>;
  get(id: string): Promise<OutboxRecord | null>;
  /** Newest first. */
  list(filter: { state?: OutboxState | undefined; limit: number }): Promise<OutboxRecord[]>;
  /** A dead message back to pending, due now, attempts reset; null if it is not dead. */
  replay(id: string, atMs: number): Promise<OutboxRecord | null>;
  /** Called after every local commit that wrote messages; the dispatcher kicks itself. */
  onEnqueued(listener: () => void): () => void;
  /** For writers that enqueue in their own transactions (booking changes). */
  notify(): void;
}

/**
 * The drizzle implementation of {@link OutboxStore}, for PGlite and PostgreSQL alike.
 *
 * @example
 * const messages = createOutboxStore(database.db);
 * const due = await messages.claim({ limit: 50, leaseMs: 60_000, nowMs: Date.now() });
 */
export function createOutboxStore(db: Db): OutboxStore {
  const listeners = new Set<() => void>();
  const notify = () => {
    for (const listener of listeners) listener();
  };
  const fence = (claimed: OutboxRecord) =>
    and(
      eq(outbox.id, claimed.id),
      eq(outbox.state, 'pending'),
      eq(outbox.attempts, claimed.attempts),
    );

  return {
    async enqueue(messages, atMs) {
      if (messages.length === 0) return;
      await db.transaction((tx) => enqueueIn(tx, messages, atMs));
      notify();
    },

    async claim({ limit, leaseMs, nowMs }) {
      const now = new Date(nowMs);
      const rows = await db.transaction(async (tx) => {
        const due = await tx
          .select({ id: outbox.id })
          .from(outbox)
          .where(
            and(
              eq(outbox.state, 'pending'),
              lte(outbox.availableAt, now),
              or(isNull(outbox.leasedUntil), lte(outbox.leasedUntil, now)),
            ),
          )
          .orderBy(asc(outbox.availableAt))
          .limit(limit)
          .for('update', { skipLocked: true });
        if (due.length === 0) return [];
        return tx
          .update(outbox)
          .set({
            leasedUntil: new Date(nowMs + leaseMs),
            attempts: sql`${outbox.attempts} + 1`,
            updatedAt: now,
          })
          .where(
            inArray(
              outbox.id,
              due.map((row) => row.id),
            ),
          )
          .returning();
      });
      return rows.map(toOutboxRecord).sort((a, b) => a.availableAtMs - b.availableAtMs);
    },

    async claimById(id, leaseMs, nowMs) {
      const now = new Date(nowMs);
      const [row] = await db
        .update(outbox)
        .set({
          leasedUntil: new Date(nowMs + leaseMs),
          attempts: sql`${outbox.attempts} + 1`,
          updatedAt: now,
        })
        .where(
          and(
            eq(outbox.id, id),
            eq(outbox.state, 'pending'),
            or(isNull(outbox.leasedUntil), lte(outbox.leasedUntil, now)),
          ),
        )
        .returning();
      return row ? toOutboxRecord(row) : null;
    },

    async markDelivered(claimed, atMs) {
      const rows = await db
        .update(outbox)
        .set({
          state: 'delivered',
          deliveredAt: new Date(atMs),
          leasedUntil: null,
          lastError: null,
          updatedAt: new Date(atMs),
        })
        .where(fence(claimed))
        .returning({ id: outbox.id });
      return rows.length > 0;
    },

    async recordFailure(claimed, outcome, atMs) {
      const at = new Date(atMs);
      const change =
        outcome.kind === 'dead'
          ? { state: 'dead' }
          : {
              availableAt: new Date(outcome.availableAtMs),
              ...(outcome.kind === 'defer' ? { attempts: claimed.attempts - 1 } : {}),
            };
      const rows = await db
        .update(outbox)
        .set({ ...change, leasedUntil: null, lastError: outcome.error, updatedAt: at })
        .where(fence(claimed))
        .returning({ id: outbox.id });
      return rows.length > 0;
    },

    async cancelByKeys(keys, atMs) {
      return db.transaction((tx) => cancelByKeysIn(tx, keys, atMs));
    },

    async get(id) {
      const [row] = await db.select().from(outbox).where(eq(outbox.id, id));
      return row ? toOutboxRecord(row) : null;
    },

    async list({ state, limit }) {
      const rows = await db
        .select()
        .from(outbox)
        .where(state ? eq(outbox.state, state) : undefined)
        .orderBy(desc(outbox.createdAt), desc(outbox.id))
        .limit(limit);
      return rows.map(toOutboxRecord);
    },

    async replay(id, atMs) {
      const at = new Date(atMs);
      const [row] = await db
        .update(outbox)
        .set({ state: 'pending', attempts: 0, availableAt: at, leasedUntil: null, updatedAt: at })
        .where(and(eq(outbox.id, id), eq(outbox.state, 'dead')))
        .returning();
      if (row) notify();
      return row ? toOutboxRecord(row) : null;
    },

    onEnqueued(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    notify,
  };
}
