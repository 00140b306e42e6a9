import { z } from 'zod';
import { bodyInt, idSchema } from './common.js';
import { safeText } from './text.js';

/** How long a rotated-out secret keeps working when the rotation does not say. */
export const SECRET_OVERLAP_DEFAULT_SECONDS = 86_400;

/** The longest a rotated-out secret may keep working: every rotation ends within a week. */
export const SECRET_OVERLAP_MAX_SECONDS = 7 * 86_400;

const instant = z.iso.datetime({ offset: true });

/** A scope as `resource:action`; which scopes exist is the gateway's list. */
export const scopeSchema = z
  .string()
  .regex(/^[a-z]+:[a-z]+$/, 'must be a scope such as patients:read')
  .meta({ example: 'patients:read' });

/** One secret of a credential, without the secret: it is shown once, when issued. */
export const credentialSecretSchema = z
  .object({
    id: idSchema('csec'),
    createdAt: instant,
    expiresAt: instant.nullable(),
    lastUsedAt: instant.nullable(),
    revokedAt: instant.nullable(),
  })
  .meta({ id: 'CredentialSecret' });

/**
 * A client credential of the caller's organization, with its secrets (two while a rotation
 * overlaps).
 */
export const credentialSchema = z
  .object({
    id: idSchema('cred'),
    label: z.string().nullable(),
    scopes: z.array(z.string()),
    status: z.enum(['active', 'revoked', 'expired']),
    createdAt: instant,
    expiresAt: instant.nullable(),
    revokedAt: instant.nullable(),
    lastUsedAt: instant.nullable(),
    secrets: z.array(credentialSecretSchema),
  })
  .meta({ id: 'Credential' });

export type CredentialView = z.infer<typeof credentialSchema>;

export const credentialListSchema = z.object({ data: z.array(credentialSchema) });

/**
 * A new credential. Without scopes it gets every scope the caller holds; it can never get one
 * the caller does not hold.
 *
 * @example
 * credentialCreateInput.parse({ label: 'Booking service', scopes: ['bookings:read'] });
 */
export const credentialCreateInput = z.strictObject({
  label: safeText(100).optional(),
  scopes: z.array(scopeSchema).min(1).max(32).optional(),
});

/** A credential and its first client secret, shown this once. */
export const credentialCreatedSchema = credentialSchema
  .extend({ clientSecret: z.string() })
  .meta({ id: 'CreatedCredential' });

export const credentialIdInput = z.strictObject({ id: idSchema('cred') });

/**
 * Rotating a credential's secret. The secrets it already has keep working for
 * `previousSecretExpiresInSeconds` (default a day, at most a week; 0 ends them now).
 */
export const credentialRotateInput = z.strictObject({
  id: idSchema('cred'),
  previousSecretExpiresInSeconds: bodyInt(0, SECRET_OVERLAP_MAX_SECONDS).optional(),
});

/** The new secret, shown this once, and when the previous ones stop working. */
export const credentialRotatedSchema = z
  .object({
    clientId: idSchema('cred'),
    clientSecret: z.string(),
    secretId: idSchema('csec'),
    previousSecretsExpireAt: instant,
    credential: credentialSchema,
  })
  .meta({ id: 'RotatedCredential' });
