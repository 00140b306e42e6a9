import { and, eq, lt, or } from 'drizzle-orm';
import type { IdempotencyRecord, Store } from '@tahoon/core';
import { idempotencyKeys } from './schema.js';
import type { Db } from './store.js';

/**
 * A claim older than this whose request never finished is taken to have died with its process.
 * Requests are bounded well below it (the inline room attempt gives up within 30 s); a
 * booking retried after it finds the booking its first attempt made (bookings.request_key).
 */
export const ABANDONED_CLAIM_MS = 2 * 60_000;

function toRecord(row: typeof idempotencyKeys.$inferSelect): IdempotencyRecord {
  return {
    credentialId: row.credentialId,
    key: row.key,
    fingerprint: row.fingerprint,
    state: row.state === 'completed' ? 'completed' : 'in_progress',
    status: row.status,
    body: row.body,
    contentType: row.contentType,
    createdAtMs: row.createdAt.getTime(),
    expiresAtMs: row.expiresAt.getTime(),
  };
}

export function createIdempotencyStore(db: Db): Store['idempotency'] {
  const byKey = (credentialId: string, key: string) =>
    and(eq(idempotencyKeys.credentialId, credentialId), eq(idempotencyKeys.key, key));

  return {
    async claim(record) {
      const now = new Date(record.createdAtMs);
      // An expired record, or a claim abandoned by a crashed process, no longer holds its key.
      await db
        .delete(idempotencyKeys)
        .where(
          and(
            byKey(record.credentialId, record.key),
            or(
              lt(idempotencyKeys.expiresAt, now),
              and(
                eq(idempotencyKeys.state, 'in_progress'),
                lt(idempotencyKeys.createdAt, new Date(record.createdAtMs - ABANDONED_CLAIM_MS)),
              ),
            ),
          ),
        );
      const inserted = await db
        .insert(idempotencyKeys)
        .values({
          credentialId: record.credentialId,
          key: record.key,
          fingerprint: record.fingerprint,
          state: 'in_progress',
          createdAt: now,
          expiresAt: new Date(record.expiresAtMs),
        })
        .onConflictDoNothing()
        .returning({ key: idempotencyKeys.key });
      if (inserted.length > 0) return null;

      const [existing] = await db
        .select()
        .from(idempotencyKeys)
        .where(byKey(record.credentialId, record.key));
      // Gone between the two statements (released by its owner): treat as held, the caller retries.
      return existing ? toRecord(existing) : { ...record, state: 'in_progress' };
    },

    async complete(credentialId, key, answer) {
      await db
        .update(idempotencyKeys)
        .set({
          state: 'completed',
          status: answer.status,
          body: answer.body,
          contentType: answer.contentType,
        })
        .where(byKey(credentialId, key));
    },

    async release(credentialId, key) {
      await db
        .delete(idempotencyKeys)
        .where(and(byKey(credentialId, key), eq(idempotencyKeys.state, 'in_progress')));
    },
  };
}
