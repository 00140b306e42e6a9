import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import { TahoonError, type Credential } from '@tahoon/core';
import { hmacHex, hmacVerify, importHmacKey, randomHex } from './crypto.js';
import type { Deps } from './deps.js';

/** What an authenticated request may act as. */
export interface Principal {
  organizationId: string;
  credentialId: string;
  tokenId: string;
  scopes: string[];
}

export const ALL_SCOPES = [
  'patients:read',
  'patients:write',
  'providers:read',
  'bookings:read',
  'bookings:write',
  'audit:read',
] as const;

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

/** Seconds of clock difference a token's expiry forgives. */
const CLOCK_TOLERANCE_S = 30;

/** Verified tokens remembered at most; the oldest is forgotten first. */
const VERIFIED_TOKENS_MAX = 10_000;

interface TokenClaims {
  sub: string;
  org: string;
  scope: string;
  jti: string;
}

const unauthenticated = (detail: string) => new TahoonError({ code: 'UNAUTHENTICATED', detail });

/**
 * Client secrets are stored only as an HMAC under the server's credential key, and checked in
 * constant time.
 */
export function createAuth(deps: Pick<Deps, 'store' | 'clock' | 'ids' | 'keys' | 'config'>) {
  const hmacKey = importHmacKey(deps.keys.credentialKey);
  const tokenKey = deps.keys.tokenSecret;
  const issuer = deps.config.TAHOON_ISSUER;
  const live = deps.config.NODE_ENV === 'production';
  const statusCache = new Map<string, { credential: Credential; until: number }>();

  async function hashSecret(secret: string): Promise<string> {
    return hmacHex(await hmacKey, secret);
  }

  async function createCredential(organizationId: string, label: string | null) {
    const id = deps.ids.next('cred');
    const clientSecret = newClientSecret(id, live);
    await deps.store.credentials.create({
      id,
      organizationId,
      secretHash: await hashSecret(clientSecret),
      label,
      createdAtMs: deps.clock.nowMs(),
      expiresAtMs: null,
      revokedAtMs: null,
      lastUsedAtMs: null,
    });
    return { clientId: id, clientSecret };
  }

  function usable(credential: Credential | null, nowMs: number): credential is Credential {
    if (!credential || credential.revokedAtMs !== null) return false;
    return credential.expiresAtMs === null || credential.expiresAtMs > nowMs;
  }

  /** Finds the credential a secret belongs to, or fails the same way for every wrong answer. */
  async function checkSecret(clientId: string | null, secret: string): Promise<Credential> {
    const embeddedId = credentialIdOf(secret);
    const credential = embeddedId ? await deps.store.credentials.get(embeddedId) : null;
    const matches =
      credential !== null &&
      (clientId === null || clientId === credential.id) &&
      (await hmacVerify(await hmacKey, secret, credential.secretHash));
    if (!matches || !usable(credential, deps.clock.nowMs())) {
      throw unauthenticated('The client credentials are not valid');
    }
    await deps.store.credentials.touch(credential.id, deps.clock.nowMs());
    return credential;
  }

  async function issueToken(credential: Credential) {
    const ttl = deps.config.TAHOON_TOKEN_TTL_SECONDS;
    const nowS = Math.floor(deps.clock.nowMs() / 1000);
    const scope = ALL_SCOPES.join(' ');
    const token = await new SignJWT({ org: credential.organizationId, scope })
      .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt' })
      .setSubject(credential.id)
      .setIssuer(issuer)
      .setAudience(AUDIENCE)
      .setIssuedAt(nowS)
      .setExpirationTime(nowS + ttl)
      .setJti(randomHex(16))
      .sign(tokenKey);
    return { accessToken: token, expiresIn: ttl, scope };
  }

  /** A credential revoked after its token was issued stops working within a few seconds. */
  async function currentCredential(id: string, nowMs: number): Promise<Credential | null> {
    const cached = statusCache.get(id);
    if (cached && cached.until > nowMs) return cached.credential;
    const credential = await deps.store.credentials.get(id);
    if (credential) statusCache.set(id, { credential, until: nowMs + 5_000 });
    return credential;
  }

  /**
   * Tokens whose signature and claims were already checked, so a partner's steady stream of
   * calls pays for one check per token. Expiry is still judged on every call, by the same rule
   * as the full check; the credential behind the token is looked up on every call too.
   */
  const verifiedTokens = new Map<string, { claims: TokenClaims; expS: number }>();

  function remember(token: string, claims: TokenClaims, expS: number): void {
    if (verifiedTokens.size >= VERIFIED_TOKENS_MAX) {
      const oldest = verifiedTokens.keys().next();
      if (!oldest.done) verifiedTokens.delete(oldest.value);
    }
    verifiedTokens.set(token, { claims, expS });
  }

  async function checkToken(token: string): Promise<TokenClaims> {
    const nowS = Math.floor(deps.clock.nowMs() / 1000);
    const known = verifiedTokens.get(token);
    if (known && known.expS > nowS - CLOCK_TOLERANCE_S) return known.claims;

    let payload;
    try {
      ({ payload } = await jwtVerify(token, tokenKey, {
        issuer,
        audience: AUDIENCE,
        algorithms: ['HS256'],
        requiredClaims: ['exp', 'iat', 'jti', 'sub'],
        clockTolerance: CLOCK_TOLERANCE_S,
        currentDate: new Date(deps.clock.nowMs()),
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
    const { sub, org, scope, jti, exp } = payload;
    if (typeof sub !== 'string' || typeof org !== 'string' || typeof scope !== 'string') {
      throw unauthenticated('The access token is not valid');
    }
    const claims = { sub, org, scope, jti: String(jti) };
    if (typeof exp === 'number') remember(token, claims, exp);
    return claims;
  }

  async function verifyToken(token: string): Promise<Principal> {
    const { sub, org, scope, jti } = await checkToken(token);
    const credential = await currentCredential(sub, deps.clock.nowMs());
    if (!usable(credential, deps.clock.nowMs()) || credential.organizationId !== org) {
      throw unauthenticated('The credential behind this token is no longer active');
    }
    return { organizationId: org, credentialId: sub, tokenId: jti, scopes: scope.split(' ') };
  }

  return { createCredential, checkSecret, issueToken, verifyToken, hashSecret };
}

export type Auth = ReturnType<typeof createAuth>;
