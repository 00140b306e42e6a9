import type { Context as HonoContext, Hono } from 'hono';
import { TahoonError } from '@tahoon/core';
import type { Auth } from '../auth.js';
import type { AppEnv } from './env.js';
import {
  authenticateClient,
  basicCredentials,
  oauthProblem,
  readFields,
  TOKEN_HEADERS,
} from './token.js';

/** Public keys change only on rotation, and a rotation keeps old keys for a token lifetime. */
const JWKS_HEADERS = {
  'cache-control': 'public, max-age=300',
  'content-type': 'application/jwk-set+json',
};

/**
 * The organization making a revocation or introspection request. It authenticates like the
 * token endpoint (HTTP Basic or client_id and client_secret fields), or with one of its own
 * access tokens as Bearer. Null when it does not authenticate.
 */
async function callerOrganization(
  c: HonoContext<AppEnv>,
  auth: Auth,
  fields: Record<string, string>,
): Promise<string | null> {
  const authorization = c.req.header('authorization');
  const bearer = /^Bearer\s+(\S+)$/i.exec(authorization ?? '')?.[1];
  if (bearer) {
    try {
      return (await auth.verifyToken(bearer)).organizationId;
    } catch (error) {
      if (error instanceof TahoonError) return null;
      throw error;
    }
  }
  const basic = basicCredentials(authorization);
  const id = basic?.id ?? fields.client_id ?? null;
  const secret = basic?.secret ?? fields.client_secret;
  if (!id || !secret) return null;
  return (await authenticateClient(auth, id, secret))?.organizationId ?? null;
}

type TokenRequest =
  { ok: true; organizationId: string; token: string } | { ok: false; response: Response };

/** Reads and authenticates an RFC 7009 or RFC 7662 request: a form with a `token` field. */
async function tokenRequest(c: HonoContext<AppEnv>, auth: Auth): Promise<TokenRequest> {
  const fields = await readFields(c);
  if (!fields) {
    return { ok: false, response: oauthProblem(c, 'invalid_request', 'Send a form-encoded body') };
  }
  const organizationId = await callerOrganization(c, auth, fields);
  if (!organizationId) {
    const response = oauthProblem(c, 'invalid_client', 'The client credentials are not valid');
    return { ok: false, response };
  }
  if (!fields.token) {
    const response = oauthProblem(c, 'invalid_request', 'token is required', 'token');
    return { ok: false, response };
  }
  return { ok: true, organizationId, token: fields.token };
}

/**
 * Token revocation (RFC 7009) and introspection (RFC 7662) for a partner's own access tokens,
 * and the public keys that verify them. Another organization's token is treated like an
 * unknown one: revoking it changes nothing and introspecting it answers inactive.
 */
export function mountTokenManagementRoutes(app: Hono<AppEnv>, auth: Auth): void {
  app.get('/.well-known/jwks.json', (c) => c.body(JSON.stringify(auth.jwks), 200, JWKS_HEADERS));

  app.post('/v1/oauth/revoke', async (c) => {
    const request = await tokenRequest(c, auth);
    if (!request.ok) return request.response;
    await auth.revokeToken(request.organizationId, request.token);
    c.get('log').info({ orgId: request.organizationId }, 'token revocation requested');
    return c.body(null, 200, TOKEN_HEADERS);
  });

  app.post('/v1/oauth/introspect', async (c) => {
    const request = await tokenRequest(c, auth);
    if (!request.ok) return request.response;
    const answer = await auth.introspect(request.organizationId, request.token);
    return c.json(answer, 200, TOKEN_HEADERS);
  });
}
