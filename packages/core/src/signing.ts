import { z } from 'zod';
import { bodyInt, idSchema } from './common.js';

/**
 * Signed requests: a partner proves each request came from a holder of a per-credential signing
 * key, and was not altered or replayed. The recipe is public (README, "Signed requests") so
 * partners in any language can implement it; this module is its single definition.
 */

/** First line of every canonical string; a future recipe gets a new tag. */
export const SIGNATURE_VERSION = 'tahoon-hmac-sha256-v1';

/** How far a request's timestamp may be from the server's clock, either way. */
export const SIGNATURE_WINDOW_SECONDS = 300;

/** How long a nonce is remembered: twice the window, so no accepted timestamp outlives it. */
export const NONCE_RETENTION_SECONDS = 2 * SIGNATURE_WINDOW_SECONDS;

/** The request headers of the recipe, lower case as HTTP/2 sends them. */
export const SIGNATURE_HEADERS = {
  keyId: 'tahoon-signature-key',
  timestamp: 'tahoon-timestamp',
  nonce: 'tahoon-nonce',
  contentSha256: 'tahoon-content-sha256',
  signature: 'tahoon-signature',
} as const;

export const NONCE_PATTERN = /^[A-Za-z0-9_-]{16,64}$/;
export const TIMESTAMP_PATTERN = /^[0-9]{1,12}$/;
export const SHA256_HEX_PATTERN = /^[0-9a-f]{64}$/;
/** `v1=` and the lowercase hex HMAC-SHA256. */
export const SIGNATURE_VALUE_PATTERN = /^v1=([0-9a-f]{64})$/;
/** `tks_` and 43 base64url characters: 256 random bits. */
export const SIGNING_SECRET_PATTERN = /^tks_[A-Za-z0-9_-]{43}$/;

/** What the signature covers. */
export interface SignedParts {
  /** Upper case, e.g. `POST`. */
  method: string;
  /** Path and query exactly as sent, e.g. `/v1/bookings?status=confirmed`. */
  target: string;
  /** Unix seconds, as the decimal text sent in `Tahoon-Timestamp`. */
  timestamp: string;
  nonce: string;
  /** Lowercase hex SHA-256 of the raw body (of the empty string when there is none). */
  contentSha256: string;
}

/**
 * The text the HMAC is computed over: six lines joined by `\n`, no trailing newline.
 *
 * @example
 * canonicalString({ method: 'GET', target: '/v1/catalogue', timestamp: '1798761600',
 *   nonce: 'n0nce-0123456789ab', contentSha256: 'e3b0…b855' });
 */
export function canonicalString(parts: SignedParts): string {
  return [
    SIGNATURE_VERSION,
    parts.method.toUpperCase(),
    parts.target,
    parts.timestamp,
    parts.nonce,
    parts.contentSha256,
  ].join('\n');
}

/** What partners see of a signing key; the secret itself only once, at creation. */
export const signingKeySchema = z
  .strictObject({
    id: z.string(),
    credentialId: z.string(),
    status: z.enum(['active', 'expired', 'revoked']),
    createdAt: z.string(),
    expiresAt: z.string().nullable(),
    revokedAt: z.string().nullable(),
    lastUsedAt: z.string().nullable(),
  })
  .meta({ id: 'SigningKey' });

export const createdSigningKeySchema = signingKeySchema
  .extend({
    secret: z
      .string()
      .describe('The HMAC key, shown only in this answer: `tks_` and 43 base64url characters'),
  })
  .meta({ id: 'CreatedSigningKey' });

export const signingKeyListSchema = z.strictObject({ data: z.array(signingKeySchema) });

/** Longest a key may live, and longest an old key may overlap its replacement: a year. */
const MAX_LIFETIME_SECONDS = 366 * 24 * 3600;

export const signingKeyCreateInput = z.strictObject({
  credentialId: idSchema('cred')
    .optional()
    .describe("Whose key; the calling credential's when left out"),
  expiresInSeconds: bodyInt(60, MAX_LIFETIME_SECONDS)
    .optional()
    .describe('The key stops working this many seconds after creation; never when left out'),
});

export const signingKeyIdInput = z.strictObject({ id: idSchema('sgk') });

export const signingKeyRotateInput = z.strictObject({
  id: idSchema('sgk'),
  overlapSeconds: bodyInt(0, MAX_LIFETIME_SECONDS)
    .default(86_400)
    .describe('How long the old key keeps working beside the new one; default one day'),
});

export const signingKeyRotationSchema = z
  .strictObject({ key: createdSigningKeySchema, previous: signingKeySchema })
  .meta({ id: 'SigningKeyRotation' });

export const organizationSettingsSchema = z
  .strictObject({
    id: z.string(),
    name: z.string(),
    requireSignedRequests: z.boolean(),
  })
  .meta({ id: 'Organization' });

export const organizationUpdateInput = z.strictObject({
  // The pipe keeps the REST layer from coercing "on" or 1 into true: a body sends a boolean.
  requireSignedRequests: z
    .boolean()
    .pipe(z.boolean())
    .optional()
    .describe('Refuse every request without a valid signature; turn on only with a signing key'),
});

/** A signing key as stored; the secret sealed (see the API's src/phi). */
export interface SigningKeyRecord {
  id: string;
  credentialId: string;
  organizationId: string;
  sealedSecret: string;
  createdAtMs: number;
  expiresAtMs: number | null;
  revokedAtMs: number | null;
  lastUsedAtMs: number | null;
}

export type SigningKey = z.infer<typeof signingKeySchema>;
export type OrganizationSettings = z.infer<typeof organizationSettingsSchema>;

/** The state a key is in at `nowMs`. */
export function signingKeyStatus(
  key: Pick<SigningKeyRecord, 'expiresAtMs' | 'revokedAtMs'>,
  nowMs: number,
): SigningKey['status'] {
  if (key.revokedAtMs !== null) return 'revoked';
  return key.expiresAtMs !== null && key.expiresAtMs <= nowMs ? 'expired' : 'active';
}
