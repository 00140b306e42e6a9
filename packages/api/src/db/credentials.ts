import { and, desc, eq, gt, isNull, lt, or, sql } from 'drizzle-orm';
import type { Credential, CredentialSecret, Store } from '@tahoon/core';
import { credentials, credentialSecrets, revokedTokens } from './schema.js';
import type { Db } from './store.js';

const ms = (date: Date | null): number | null => (date ? date.getTime() : null);
const date = (value: number | null): Date | null => (value === null ? null : new Date(value));

function toCredential(row: typeof credentials.$inferSelect): Credential {
  return {
    id: row.id,
    organizationId: row.organizationId,
    label: row.label,
    scopes: row.scopes,
    createdAtMs: row.createdAt.getTime(),
    expiresAtMs: ms(row.expiresAt),
    revokedAtMs: ms(row.revokedAt),
    lastUsedAtMs: ms(row.lastUsedAt),
  };
}

function toSecret(row: typeof credentialSecrets.$inferSelect): CredentialSecret {
  return {
    id: row.id,
    credentialId: row.credentialId,
    hash: row.secretHash,
    createdAtMs: row.createdAt.getTime(),
    expiresAtMs: ms(row.expiresAt),
    lastUsedAtMs: ms(row.lastUsedAt),
    revokedAtMs: ms(row.revokedAt),
  };
}

function secretRow(secret: CredentialSecret): typeof credentialSecrets.$inferInsert {
  return {
    id: secret.id,
    credentialId: secret.credentialId,
    secretHash: secret.hash,
    createdAt: new Date(secret.createdAtMs),
    expiresAt: date(secret.expiresAtMs),
    lastUsedAt: date(secret.lastUsedAtMs),
    revokedAt: date(secret.revokedAtMs),
  };
}

/** Credentials and their secrets; see the `credentials` port in core. */
export function createCredentialStore(db: Db): Store['credentials'] {
  const owned = (organizationId: string, id: string) =>
    and(eq(credentials.id, id), eq(credentials.organizationId, organizationId));

  return {
    async create(credential, secret) {
      await db.transaction(async (tx) => {
        await tx.insert(credentials).values({
          id: credential.id,
          organizationId: credential.organizationId,
          label: credential.label,
          scopes: credential.scopes,
          createdAt: new Date(credential.createdAtMs),
          expiresAt: date(credential.expiresAtMs),
        });
        await tx.insert(credentialSecrets).values(secretRow(secret));
      });
    },

    async get(id) {
      const [row] = await db.select().from(credentials).where(eq(credentials.id, id));
      return row ? toCredential(row) : null;
    },

    async getOwned(organizationId, id) {
      const [row] = await db.select().from(credentials).where(owned(organizationId, id));
      return row ? toCredential(row) : null;
    },

    async list(organizationId) {
      const rows = await db
        .select()
        .from(credentials)
        .where(eq(credentials.organizationId, organizationId))
        .orderBy(credentials.createdAt, credentials.id);
      return rows.map(toCredential);
    },

    async revoke(organizationId, id, atMs) {
      const rows = await db
        .update(credentials)
        .set({ revokedAt: new Date(atMs) })
        .where(and(owned(organizationId, id), isNull(credentials.revokedAt)))
        .returning({ id: credentials.id });
      return rows.length > 0;
    },

    async touch(id, atMs, secretId) {
      const at = new Date(atMs);
      await db.update(credentials).set({ lastUsedAt: at }).where(eq(credentials.id, id));
      if (secretId) {
        await db
          .update(credentialSecrets)
          .set({ lastUsedAt: at })
          .where(and(eq(credentialSecrets.id, secretId), eq(credentialSecrets.credentialId, id)));
      }
    },

    async secrets(credentialId) {
      const rows = await db
        .select()
        .from(credentialSecrets)
        .where(eq(credentialSecrets.credentialId, credentialId))
        .orderBy(desc(credentialSecrets.createdAt), desc(credentialSecrets.id));
      return rows.map(toSecret);
    },

    async rotate(organizationId, secret, previousExpireAtMs) {
      return db.transaction(async (tx) => {
        // Locks the credential so two rotations at once cannot both shorten the same secrets.
        const [row] = await tx
          .select({ id: credentials.id })
          .from(credentials)
          .where(and(owned(organizationId, secret.credentialId), isNull(credentials.revokedAt)))
          .for('update');
        if (!row) return false;
        const cap = new Date(previousExpireAtMs);
        await tx
          .update(credentialSecrets)
          .set({ expiresAt: cap })
          .where(
            and(
              eq(credentialSecrets.credentialId, secret.credentialId),
              isNull(credentialSecrets.revokedAt),
              or(isNull(credentialSecrets.expiresAt), gt(credentialSecrets.expiresAt, cap)),
            ),
          );
        await tx.insert(credentialSecrets).values(secretRow(secret));
        return true;
      });
    },
  };
}

/** Revoked access tokens; see the `revokedTokens` port in core. */
export function createRevokedTokenStore(db: Db): Store['revokedTokens'] {
  return {
    async add(token) {
      await db
        .insert(revokedTokens)
        .values({
          jti: token.jti,
          organizationId: token.organizationId,
          credentialId: token.credentialId,
          expiresAt: new Date(token.expiresAtMs),
          revokedAt: new Date(token.revokedAtMs),
        })
        .onConflictDoNothing();
    },

    /** One round trip answers both questions every authenticated request asks. */
    async status(credentialId, jti) {
      const rows = await db
        .select({
          credential: credentials,
          revoked: sql<boolean>`exists (select 1 from ${revokedTokens} where ${revokedTokens.jti} = ${jti})`,
        })
        .from(credentials)
        .where(eq(credentials.id, credentialId));
      const [row] = rows;
      if (!row) return { credential: null, revoked: false };
      return { credential: toCredential(row.credential), revoked: Boolean(row.revoked) };
    },

    async purgeExpired(beforeMs) {
      const rows = await db
        .delete(revokedTokens)
        .where(lt(revokedTokens.expiresAt, new Date(beforeMs)))
        .returning({ jti: revokedTokens.jti });
      return rows.length;
    },
  };
}
