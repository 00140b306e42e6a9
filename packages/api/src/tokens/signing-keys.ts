import { createLocalJWKSet, exportJWK, generateKeyPair, importJWK, type JWK } from 'jose';
import { z } from 'zod';

/** The one algorithm access tokens are signed with; verification accepts nothing else. */
export const TOKEN_ALGORITHM = 'EdDSA';

const base64url = z.string().regex(/^[A-Za-z0-9_-]+$/, 'must be base64url');

/** An Ed25519 private key as a JWK (RFC 8037), with the key id tokens name it by. */
export const signingKeySchema = z.object({
  kty: z.literal('OKP'),
  crv: z.literal('Ed25519'),
  kid: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'must be 1–64 letters, digits, . _ or -'),
  x: base64url.length(43, 'must be a 32-byte Ed25519 public key'),
  d: base64url.length(43, 'must be a 32-byte Ed25519 private key'),
  alg: z.literal(TOKEN_ALGORITHM).optional(),
  use: z.literal('sig').optional(),
});

export type SigningKey = z.infer<typeof signingKeySchema>;

/**
 * The configured signing keys, as a JWK set (`{"keys": [...]}`) or a bare array. The first key
 * signs new tokens; every key verifies, so a rotation adds the new key first and keeps the old
 * one until the tokens it signed have expired.
 */
export const signingKeySetSchema = z
  .string()
  .transform((text, ctx) => {
    try {
      const parsed: unknown = JSON.parse(text);
      return Array.isArray(parsed) ? { keys: parsed } : parsed;
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be a JSON JWK set' });
      return z.NEVER;
    }
  })
  .pipe(z.object({ keys: z.array(signingKeySchema).min(1, 'must hold at least one key') }))
  .refine(
    (set) => new Set(set.keys.map((k) => k.kid)).size === set.keys.length,
    'key ids (kid) must be unique',
  )
  .transform((set) => set.keys);

/**
 * A new Ed25519 signing key, for the configuration or the development data folder.
 *
 * @example
 * const key = await generateSigningKey(`sgk_${Date.now()}`);
 */
export async function generateSigningKey(kid: string): Promise<SigningKey> {
  const { privateKey } = await generateKeyPair(TOKEN_ALGORITHM, { extractable: true });
  const jwk = await exportJWK(privateKey);
  return signingKeySchema.parse({ ...jwk, kid, alg: TOKEN_ALGORITHM, use: 'sig' });
}

/** The public half of a key, as `GET /.well-known/jwks.json` publishes it. */
export function publicJwk(key: SigningKey): JWK {
  return { kty: key.kty, crv: key.crv, x: key.x, kid: key.kid, alg: TOKEN_ALGORITHM, use: 'sig' };
}

/** What the token code needs from the configured keys. */
export interface TokenKeys {
  /** The key new tokens are signed with, and its id for the `kid` header. */
  signer(): Promise<{ kid: string; key: CryptoKey }>;
  /** Finds the verifying key by the token's `kid`; an unknown kid fails verification. */
  verifier: ReturnType<typeof createLocalJWKSet>;
  /** Public keys only. */
  jwks: { keys: JWK[] };
}

export function createTokenKeys(keys: readonly SigningKey[]): TokenKeys {
  const [active] = keys;
  if (!active) throw new Error('at least one token signing key is required');
  const jwks = { keys: keys.map(publicJwk) };
  let signing: Promise<{ kid: string; key: CryptoKey }> | undefined;
  return {
    signer() {
      signing ??= importJWK({ ...active, alg: TOKEN_ALGORITHM }, TOKEN_ALGORITHM).then((key) => ({
        kid: active.kid,
        key: key as CryptoKey,
      }));
      return signing;
    },
    verifier: createLocalJWKSet(jwks),
    jwks,
  };
}
