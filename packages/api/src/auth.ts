import { errors as joseErrors, jwtVerify, SignJWT, type JWTPayload } from 'jose';
import {
  SECRET_OVERLAP_DEFAULT_SECONDS,
  SECRET_OVERLAP_MAX_SECONDS,
  TahoonError,
  type Credential,
  type CredentialSecret,
} from '@tahoon/core';
import { hmacHex, hmacVerify, importHmacKey, randomHex } from './crypto.js';
import type { Deps } from './deps.js';
import { createTokenKeys, TOKEN_ALGORITHM } from './tokens/signing-keys.js';

/** What an authenticated request may act as. */
export interface Principal {
  organizationId: string;
  credentialId: string;
  tokenId: string;
  scopes: string[];
}

/**
 * Every scope a credential can be granted. Partner procedures each declare one in
 * `meta.scope`, and a token without it is refused with 403.
 */
export const ALL_SCOPES = [
  'patients:read',
  'patients:write',
  'providers:read',
  'bookings:read',
  'bookings:write',
  'credentials:admin',
  'audit:read',
  'events:read',
  'webhooks:manage',
] as const;

export type Scope = (typeof ALL_SCOPES)[number];

export const isScope = (value: string): value is Scope =>
  (ALL_SCOPES as readonly string[]).includes(value);

export const AUDIENCE = 'tahoon-api';

const SECRET_PATTERN = /^tk_(live|test)_([a-z2-9]{16})_([0-9a-f]{64})$/;

/**
 * A client secret embeds its credential's id (`tk_test_<id>_<256 random bits>`), so the secret
 * alone finds its credential — the legacy endpoint sends nothing else.
 */
export function newClientSecret(credentialId: string, live: boolean): string {
  return `tk_${live ? 'live' : 'test'}_${credentialId.slice('cred_'.length)}_${randomHex(32)}`;
}

export function credentialIdOf(secret: string): string | null {
  const match = SECRET_PATTERN.exec(secret);
  return match ? `cred_${match[2]}` : null;
}

/** Seconds of clock difference a token's expiry and issue time forgive. */
const CLOCK_TOLERANCE_S = 30;

/** Verified tokens remembered at most; the oldest is forgotten first. */
const VERIFIED_TOKENS_MAX = 10_000;

export interface TokenClaims {
  sub: string;
  org: string;
  scope: string;
  jti: string;
  iat: number;
  exp: number;
  iss: string;
  aud: string;
}

/** RFC 7662 §2.2: an inactive token says nothing more about itself. */
export type Introspection =
  | { active: false }
  | {
      active: true;
      scope: string;
      client_id: string;
      token_type: 'Bearer';
      exp: number;
      iat: number;
      sub: string;
      aud: string;
      iss: string;
      jti: string;
      org: string;
    };

const unauthenticated = (detail: string) => new TahoonError({ code: 'UNAUTHENTICATED', detail });

function usable(
  thing: { revokedAtMs: number | null; expiresAtMs: number | null } | null,
  nowMs: number,
): boolean {
  if (!thing || thing.revokedAtMs !== null) return false;
  return thing.expiresAtMs === null || thing.expiresAtMs > nowMs;
}

function claimsOf(payload: JWTPayload): TokenClaims | null {
  const { sub, org, scope, jti, iat, exp, iss, aud } = payload;
  const strings = [sub, org, scope, jti, iss, aud].every((v) => typeof v === 'string');
  if (!strings || typeof iat !== 'number' || typeof exp !== 'number') return null;
  return { sub, org, scope, jti, iat, exp, iss, aud } as TokenClaims;
}

/**
 * Client secrets are stored only as an HMAC under the server's credential key, and checked in
 * constant time. Access tokens are EdDSA JWTs signed by the first configured key; revocation of
 * a token or its credential is read from the database on every request, so it holds on every
 * instance at once.
 */
export function createAuth(deps: Pick<Deps, 'store' | 'clock' | 'ids' | 'keys' | 'config'>) {
  const hmacKey = importHmacKey(deps.keys.credentialKey);
  const tokenKeys = createTokenKeys(deps.keys.tokenSigningKeys);
  const issuer = deps.config.TAHOON_ISSUER;
  const live = deps.config.NODE_ENV === 'production';
  const nowMs = () => deps.clock.nowMs();

  async function hashSecret(secret: string): Promise<string> {
    return hmacHex(await hmacKey, secret);
  }

  async function newSecret(credentialId: string, expiresAtMs: number | null) {
    const clientSecret = newClientSecret(credentialId, live);
    const secret: CredentialSecret = {
      id: deps.ids.next('csec'),
      credentialId,
      hash: await hashSecret(clientSecret),
      createdAtMs: nowMs(),
      expiresAtMs,
      lastUsedAtMs: null,
      revokedAtMs: null,
    };
    return { clientSecret, secret };
  }

  /** A new credential with its first secret; the secret is returned once and never stored. */
  async function createCredential(
    organizationId: string,
    label: string | null,
    scopes: readonly string[] = ALL_SCOPES,
  ) {
    const id = deps.ids.next('cred');
    const { clientSecret, secret } = await newSecret(id, null);
    const credential: Credential = {
      id,
      organizationId,
      label,
      scopes: [...scopes],
      createdAtMs: nowMs(),
      expiresAtMs: null,
      revokedAtMs: null,
      lastUsedAtMs: null,
    };
    await deps.store.credentials.create(credential, secret);
    return { clientId: id, clientSecret, credential };
  }

  /**
   * Issues a new secret for the credential; its other secrets keep working for
   * `previousSecretExpiresInSeconds` more at most, so partners can roll the new one out first.
   * Null if the organization has no such active credential.
   */
  async function rotateSecret(
    organizationId: string,
    credentialId: string,
    previousSecretExpiresInSeconds = SECRET_OVERLAP_DEFAULT_SECONDS,
  ) {
    const seconds = Math.min(previousSecretExpiresInSeconds, SECRET_OVERLAP_MAX_SECONDS);
    const { clientSecret, secret } = await newSecret(credentialId, null);
    const previousExpireAtMs = nowMs() + seconds * 1000;
    const rotated = await deps.store.credentials.rotate(organizationId, secret, previousExpireAtMs);
    if (!rotated) return null;
    return { clientId: credentialId, clientSecret, secretId: secret.id, previousExpireAtMs };
  }

  /** Finds the credential a secret belongs to, or fails the same way for every wrong answer. */
  async function checkSecret(clientId: string | null, presented: string): Promise<Credential> {
    const embeddedId = credentialIdOf(presented);
    const credential = embeddedId ? await deps.store.credentials.get(embeddedId) : null;
    const idMatches = credential !== null && (clientId === null || clientId === credential.id);
    const secret = idMatches ? await matchingSecret(credential.id, presented) : null;
    if (!credential || !secret || !usable(credential, nowMs())) {
      throw unauthenticated('The client credentials are not valid');
    }
    await deps.store.credentials.touch(credential.id, nowMs(), secret.id);
    return credential;
  }

  /** Each live secret is checked in constant time; a credential holds one or two. */
  async function matchingSecret(credentialId: string, presented: string) {
    const key = await hmacKey;
    for (const secret of await deps.store.credentials.secrets(credentialId)) {
      if (!usable(secret, nowMs())) continue;
      if (await hmacVerify(key, presented, secret.hash)) return secret;
    }
    return null;
  }

  /**
   * The scopes a token request gets: all the credential's, or the requested subset. Null when
   * the request names a scope the credential was not granted (OAuth `invalid_scope`).
   */
  function grantScopes(credential: Credential, requested: string | undefined): string[] | null {
    const asked = (requested ?? '').split(' ').filter(Boolean);
    if (asked.length === 0) return credential.scopes;
    if (!asked.every((scope) => credential.scopes.includes(scope))) return null;
    return [...new Set(asked)];
  }

  async function issueToken(credential: Credential, scopes: readonly string[] = credential.scopes) {
    const ttl = deps.config.TAHOON_TOKEN_TTL_SECONDS;
    const nowS = Math.floor(nowMs() / 1000);
    const scope = scopes.join(' ');
    const { kid, key } = await tokenKeys.signer();
    const token = await new SignJWT({ org: credential.organizationId, scope })
      .setProtectedHeader({ alg: TOKEN_ALGORITHM, typ: 'at+jwt', kid })
      .setSubject(credential.id)
      .setIssuer(issuer)
      .setAudience(AUDIENCE)
      .setIssuedAt(nowS)
      .setExpirationTime(nowS + ttl)
      .setJti(randomHex(16))
      .sign(key);
    return { accessToken: token, expiresIn: ttl, scope };
  }

  /**
   * Tokens whose signature and claims were already checked, so a partner's steady stream of
   * calls pays for one signature check per token. Expiry is still judged on every call, by the
   * same rule as the full check, and revocation is read from the database on every call.
   */
  const verifiedTokens = new Map<string, TokenClaims>();

  function remember(token: string, claims: TokenClaims): void {
    if (verifiedTokens.size >= VERIFIED_TOKENS_MAX) {
      const oldest = verifiedTokens.keys().next();
      if (!oldest.done) verifiedTokens.delete(oldest.value);
    }
    verifiedTokens.set(token, claims);
  }

  /** Signature, algorithm, type, issuer, audience and lifetime: everything the token says. */
  async function checkToken(token: string): Promise<TokenClaims> {
    const nowS = Math.floor(nowMs() / 1000);
    const known = verifiedTokens.get(token);
    if (known) {
      if (known.exp > nowS - CLOCK_TOLERANCE_S) return known;
      throw unauthenticated('The access token has expired');
    }
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, tokenKeys.verifier, {
        issuer,
        audience: AUDIENCE,
        algorithms: [TOKEN_ALGORITHM],
        typ: 'at+jwt',
        requiredClaims: ['exp', 'iat', 'jti', 'sub'],
        clockTolerance: CLOCK_TOLERANCE_S,
        currentDate: new Date(nowMs()),
      }));
    } catch (cause) {
      const expired = cause instanceof joseErrors.JWTExpired;
      throw new TahoonError(
        {
          code: 'UNAUTHENTICATED',
          detail: expired ? 'The access token has expired' : 'The access token is not valid',
        },
        { cause },
      );
    }
    const claims = claimsOf(payload);
    if (!claims) throw unauthenticated('The access token is not valid');
    remember(token, claims);
    return claims;
  }

  /** The token's claims if it is valid, unrevoked and its credential still active; else null. */
  async function activeClaims(token: string): Promise<TokenClaims | null> {
    const claims = await checkToken(token).catch((error: unknown) => {
      if (error instanceof TahoonError) return null;
      throw error;
    });
    if (!claims) return null;
    const { credential, revoked } = await deps.store.revokedTokens.status(claims.sub, claims.jti);
    const active =
      !revoked && usable(credential, nowMs()) && credential?.organizationId === claims.org;
    return active ? claims : null;
  }

  async function verifyToken(token: string): Promise<Principal> {
    const { sub, org, scope, jti } = await checkToken(token);
    const { credential, revoked } = await deps.store.revokedTokens.status(sub, jti);
    if (revoked) throw unauthenticated('The access token has been revoked');
    if (!credential || !usable(credential, nowMs()) || credential.organizationId !== org) {
      throw unauthenticated('The credential behind this token is no longer active');
    }
    // A token never does more than its credential may do now.
    const scopes = scope.split(' ').filter((s) => credential.scopes.includes(s));
    return { organizationId: org, credentialId: sub, tokenId: jti, scopes };
  }

  /**
   * RFC 7009: revokes a token of the caller's organization. Tokens that are invalid, expired or
   * another organization's are left alone, and the caller cannot tell the difference.
   */
  async function revokeToken(organizationId: string, token: string): Promise<void> {
    const claims = await activeClaims(token);
    if (!claims || claims.org !== organizationId) return;
    await deps.store.revokedTokens.add({
      jti: claims.jti,
      organizationId,
      credentialId: claims.sub,
      expiresAtMs: claims.exp * 1000,
      revokedAtMs: nowMs(),
    });
  }

  /** RFC 7662: describes a token of the caller's organization; any other is inactive. */
  async function introspect(organizationId: string, token: string): Promise<Introspection> {
    const claims = await activeClaims(token);
    if (!claims || claims.org !== organizationId) return { active: false };
    return {
      active: true,
      scope: claims.scope,
      client_id: claims.sub,
      token_type: 'Bearer',
      exp: claims.exp,
      iat: claims.iat,
      sub: claims.sub,
      aud: claims.aud,
      iss: claims.iss,
      jti: claims.jti,
      org: claims.org,
    };
  }

  return {
    createCredential,
    rotateSecret,
    checkSecret,
    grantScopes,
    issueToken,
    verifyToken,
    revokeToken,
    introspect,
    hashSecret,
    jwks: tokenKeys.jwks,
  };
}

export type Auth = ReturnType<typeof createAuth>;
