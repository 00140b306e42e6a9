import type { Context as HonoContext, Hono } from 'hono';
import { TahoonError } from '@tahoon/core';
import type { Auth } from '../auth.js';
import { problem, problemResponse } from './problem.js';
import type { AppEnv } from './env.js';

export type OAuthError =
  'invalid_request' | 'invalid_client' | 'unsupported_grant_type' | 'invalid_scope';

export const TOKEN_HEADERS = { 'cache-control': 'no-store', pragma: 'no-cache' };

export function oauthProblem(
  c: HonoContext<AppEnv>,
  error: OAuthError,
  detail: string,
  field?: string,
) {
  const code = error === 'invalid_client' ? 'UNAUTHENTICATED' : 'VALIDATION_FAILED';
  const body = {
    ...problem(
      code,
      detail,
      c.get('requestId'),
      field ? [{ pointer: `/${field}`, message: detail }] : undefined,
    ),
    error,
  };
  const headers =
    error === 'invalid_client' ? { 'www-authenticate': 'Basic realm="tahoon"' } : undefined;
  return problemResponse(body, headers);
}

/** Reads a token request body as RFC 6749 form fields, or as JSON for convenience. */
export async function readFields(c: HonoContext<AppEnv>): Promise<Record<string, string> | null> {
  const type = c.req.header('content-type') ?? '';
  try {
    if (type.startsWith('application/x-www-form-urlencoded')) {
      const form = new URLSearchParams(await c.req.text());
      return Object.fromEntries(form.entries());
    }
    if (type.startsWith('application/json')) {
      const json: unknown = await c.req.json();
      if (typeof json !== 'object' || json === null || Array.isArray(json)) return null;
      const entries = Object.entries(json).filter(([, v]) => typeof v === 'string');
      return Object.fromEntries(entries) as Record<string, string>;
    }
  } catch {
    return null;
  }
  return null;
}

/** HTTP Basic per RFC 6749 §2.3.1: both parts are form-urlencoded before base64. */
export function basicCredentials(
  header: string | undefined,
): { id: string; secret: string } | null {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(header ?? '');
  if (!match?.[1]) return null;
  try {
    const decoded = atob(match[1]);
    const colon = decoded.indexOf(':');
    if (colon < 0) return null;
    const unescape = (s: string) => decodeURIComponent(s.replaceAll('+', ' '));
    return { id: unescape(decoded.slice(0, colon)), secret: unescape(decoded.slice(colon + 1)) };
  } catch {
    return null;
  }
}

/** The credential the secret belongs to, or null for any wrong answer. */
export async function authenticateClient(auth: Auth, clientId: string | null, secret: string) {
  try {
    return await auth.checkSecret(clientId, secret);
  } catch (error) {
    if (error instanceof TahoonError && error.code === 'UNAUTHENTICATED') return null;
    throw error;
  }
}

async function grant(
  c: HonoContext<AppEnv>,
  auth: Auth,
  clientId: string | null,
  secret: string,
  requestedScope?: string,
) {
  const credential = await authenticateClient(auth, clientId, secret);
  if (!credential) return 'invalid_client' as const;
  const scopes = auth.grantScopes(credential, requestedScope);
  if (!scopes) return 'invalid_scope' as const;
  c.get('log').info({ credentialId: credential.id }, 'access token issued');
  return auth.issueToken(credential, scopes);
}

/**
 * The token endpoints: OAuth 2.0 client credentials at /v1/oauth/token, and the original
 * gateway's password-style endpoint at /api/auth/token so existing partners keep working.
 */
export function mountTokenRoutes(app: Hono<AppEnv>, auth: Auth): void {
  app.post('/v1/oauth/token', async (c) => {
    const fields = await readFields(c);
    if (!fields) {
      return oauthProblem(c, 'invalid_request', 'Send a form-encoded or JSON body');
    }
    if (fields.grant_type !== 'client_credentials') {
      return oauthProblem(
        c,
        'unsupported_grant_type',
        'grant_type must be client_credentials',
        'grant_type',
      );
    }
    const basic = basicCredentials(c.req.header('authorization'));
    const id = basic?.id ?? fields.client_id ?? null;
    const secret = basic?.secret ?? fields.client_secret;
    if (!id || !secret) {
      return oauthProblem(c, 'invalid_client', 'Send client_id and client_secret');
    }
    const token = await grant(c, auth, id, secret, fields.scope);
    if (token === 'invalid_client') {
      return oauthProblem(c, 'invalid_client', 'The client credentials are not valid');
    }
    if (token === 'invalid_scope') {
      return oauthProblem(
        c,
        'invalid_scope',
        'scope names a scope this credential was not granted',
        'scope',
      );
    }
    return c.json(
      {
        access_token: token.accessToken,
        token_type: 'Bearer',
        expires_in: token.expiresIn,
        scope: token.scope,
      },
      200,
      TOKEN_HEADERS,
    );
  });

  app.post('/api/auth/token', async (c) => {
    const fields = await readFields(c);
    if (!fields) return oauthProblem(c, 'invalid_request', 'Send a form-encoded body');
    if (fields.grant_type !== 'password') {
      return oauthProblem(c, 'unsupported_grant_type', 'grant_type must be password', 'grant_type');
    }
    if (!fields.access_key) {
      return oauthProblem(c, 'invalid_request', 'access_key is required', 'access_key');
    }
    const token = await grant(c, auth, null, fields.access_key);
    if (typeof token === 'string') {
      return oauthProblem(c, 'invalid_client', 'The access key is not valid');
    }
    return c.json(
      { access_token: token.accessToken, token_type: 'bearer', expires_in: token.expiresIn },
      200,
      TOKEN_HEADERS,
    );
  });
}
