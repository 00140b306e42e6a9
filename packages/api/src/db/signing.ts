import { and, asc, eq, isNull, lt, sql } from 'drizzle-orm';
import type { SigningKeyRecord, Store } from '@tahoon/core';
import { organizations, signingKeys, signingNonces } from './schema.js';
import type { Db } from './store.js';

const ms = (date: Date | null): number | null => (date ? date.getTime() : null);
const date = (value: number | null): Date | null => (value === null ? null : new Date(value));

function toRecord(row: typeof signingKeys.$inferSelect): SigningKeyRecord {
  return {
    id: row.id,
    credentialId: row.credentialId,
    organizationId: row.organizationId,
    sealedSecret: row.sealedSecret,
    createdAtMs: row.createdAt.getTime(),
    expiresAtMs: ms(row.expiresAt),
    revokedAtMs: ms(row.revokedAt),
    lastUsedAtMs: ms(row.lastUsedAt),
  };
}

function toRow(key: SigningKeyRecord): typeof signingKeys.$inferInsert {
  return {
    id: key.id,
    credentialId: key.credentialId,
    organizationId: key.organizationId,
    sealedSecret: key.sealedSecret,
    createdAt: new Date(key.createdAtMs),
    expiresAt: date(key.expiresAtMs),
    revokedAt: date(key.revokedAtMs),
    lastUsedAt: date(key.lastUsedAtMs),
  };
}

/** Signing keys and nonces; every key query is scoped to its organization. */
export function createSigningStore(db: Db): Store['signing'] {
  const ofOrg = (organizationId: string, id: string) =>
    and(eq(signingKeys.id, id), eq(signingKeys.organizationId, organizationId));

  return {
    async required(organizationId) {
      const [row] = await db
        .select({ required: organizations.requireSignedRequests })
        .from(organizations)
        .where(eq(organizations.id, organizationId));
      return row ? row.required : null;
    },

    async setRequired(organizationId, required) {
      const rows = await db
        .update(organizations)
        .set({ requireSignedRequests: required })
        .where(eq(organizations.id, organizationId))
        .returning({ id: organizations.id });
      return rows.length > 0;
    },

    async createKey(key) {
      await db.insert(signingKeys).values(toRow(key));
    },

    async getKey(organizationId, id) {
      const [row] = await db.select().from(signingKeys).where(ofOrg(organizationId, id));
      return row ? toRecord(row) : null;
    },

    async listKeys(organizationId) {
      const rows = await db
        .select()
        .from(signingKeys)
        .where(eq(signingKeys.organizationId, organizationId))
        .orderBy(asc(signingKeys.createdAt), asc(signingKeys.id));
      return rows.map(toRecord);
    },

    async rotateKey(organizationId, oldId, replacement, oldExpiresAtMs) {
      return db.transaction(async (tx) => {
        const until = new Date(oldExpiresAtMs);
        const [old] = await tx
          .update(signingKeys)
          // An old key already due to end sooner keeps its earlier end.
          .set({ expiresAt: sql`least(coalesce(${signingKeys.expiresAt}, ${until}), ${until})` })
          .where(and(ofOrg(organizationId, oldId), isNull(signingKeys.revokedAt)))
          .returning();
        if (!old) return null;
        await tx.insert(signingKeys).values(toRow(replacement));
        return toRecord(old);
      });
    },

    async revokeKey(organizationId, id, atMs) {
      await db
        .update(signingKeys)
        .set({ revokedAt: new Date(atMs) })
        .where(and(ofOrg(organizationId, id), isNull(signingKeys.revokedAt)));
      const [row] = await db.select().from(signingKeys).where(ofOrg(organizationId, id));
      return row ? toRecord(row) : null;
    },

    async touchKey(id, atMs) {
      await db
        .update(signingKeys)
        .set({ lastUsedAt: new Date(atMs) })
        .where(eq(signingKeys.id, id));
    },

    async claimNonce(keyId, nonce, nowMs, expiresAtMs) {
      // A held nonce whose time ran out (not yet purged) may be used again: its first request's
      // timestamp can no longer be in the window.
      const rows = await db
        .insert(signingNonces)
        .values({ signingKeyId: keyId, nonce, expiresAt: new Date(expiresAtMs) })
        .onConflictDoUpdate({
          target: [signingNonces.signingKeyId, signingNonces.nonce],
          set: { expiresAt: new Date(expiresAtMs) },
          setWhere: lt(signingNonces.expiresAt, new Date(nowMs)),
        })
        .returning({ nonce: signingNonces.nonce });
      return rows.length > 0;
    },

    async purgeNonces(beforeMs) {
      const rows = await db
        .delete(signingNonces)
        .where(lt(signingNonces.expiresAt, new Date(beforeMs)))
        .returning({ nonce: signingNonces.nonce });
      return rows.length;
    },
  };
}
