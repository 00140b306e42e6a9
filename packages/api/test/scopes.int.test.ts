import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALL_SCOPES, createAuth } from '../src/auth.js';
import {
  callTrpc,
  expectProblemDocument,
  procedureNames,
  procedureScope,
  restRoute,
  rowCounts,
  UNKNOWN,
} from './acceptance.js';
import { createTestGateway, DB_KINDS, rest, type TestGateway } from './harness.js';

/** Procedures anyone may call without a token. None today: every operation is a partner's. */
const PUBLIC_PROCEDURES: string[] = [];

/** A well-formed id for each path parameter, so the call reaches the scope check. */
const PATH_IDS: Record<string, string> = {
  '/v1/patients/{id}': UNKNOWN.patient,
  '/v1/bookings/{id}': UNKNOWN.booking,
  '/v1/providers/{id}': UNKNOWN.provider,
  '/v1/credentials/{id}': UNKNOWN.credential,
};

function concretePath(path: string): string {
  for (const [pattern, id] of Object.entries(PATH_IDS)) {
    const prefix = pattern.replace('{id}', '');
    if (path.startsWith(prefix) && path.includes('{id}')) return path.replace('{id}', id);
  }
  return path;
}

function inputFor(path: string): Record<string, string> {
  const match = Object.entries(PATH_IDS).find(([pattern]) =>
    path.startsWith(pattern.replace('{id}', '')),
  );
  return path.includes('{id}') && match ? { id: match[1] } : {};
}

describe('scope declarations', () => {
  it('names a known scope on every procedure the router serves', () => {
    const undeclared = procedureNames().filter(
      (name) =>
        !PUBLIC_PROCEDURES.includes(name) &&
        !(ALL_SCOPES as readonly string[]).includes(procedureScope(name) ?? ''),
    );
    expect(undeclared).toEqual([]);
  });
});

describe.each(DB_KINDS)('scope enforcement on %s', (kind) => {
  let gw: TestGateway;
  let auth: ReturnType<typeof createAuth>;

  beforeAll(async () => {
    gw = await createTestGateway(kind);
    auth = createAuth(gw.deps);
  });
  afterAll(() => gw?.close());

  /** A token of partner A carrying every scope but one. */
  async function tokenWithout(scope: string): Promise<string> {
    const credential = await gw.deps.store.credentials.get(gw.partnerA.clientId);
    if (!credential) throw new Error('partner A has no credential');
    const scopes = credential.scopes.filter((s) => s !== scope);
    return (await auth.issueToken(credential, scopes)).accessToken;
  }

  const scoped = procedureNames().filter((name) => !PUBLIC_PROCEDURES.includes(name));

  it.each(scoped)('refuses %s to a token without its scope, on both transports', async (name) => {
    const scope = procedureScope(name) ?? '';
    const token = await tokenWithout(scope);
    const route = restRoute(name);
    const before = await rowCounts(gw);

    const overRest = await rest(gw, route.method, concretePath(route.path), {
      token,
      ...(route.method === 'GET' || route.method === 'DELETE' ? {} : { body: {} }),
    });
    const overTrpc = await callTrpc(gw, name, inputFor(route.path), token);

    for (const answer of [overRest, overTrpc]) {
      const body = expectProblemDocument(answer, 403, 'FORBIDDEN');
      expect(body.detail).toContain(scope);
    }
    expect(await rowCounts(gw)).toEqual(before);
  });

  it.each(scoped)('lets %s past the scope check with its scope', async (name) => {
    const scope = procedureScope(name) ?? '';
    const credential = await gw.deps.store.credentials.get(gw.partnerA.clientId);
    if (!credential) throw new Error('partner A has no credential');
    const { accessToken } = await auth.issueToken(credential, [scope]);
    const route = restRoute(name);

    const answer = await callTrpc(gw, name, inputFor(route.path), accessToken);

    expect(answer.status).not.toBe(403);
    expect(answer.status).not.toBe(401);
  });

  it('grants a requested subset of scopes and refuses a scope the credential lacks', async () => {
    const { clientId, clientSecret } = gw.partnerA;
    const form = (scope: string) =>
      `grant_type=client_credentials&client_id=${clientId}` +
      `&client_secret=${encodeURIComponent(clientSecret)}&scope=${encodeURIComponent(scope)}`;
    const post = (body: string) =>
      rest(gw, 'POST', '/v1/oauth/token', {
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body,
      });

    const subset = await post(form('providers:read'));
    expect(subset.status).toBe(200);
    const { access_token: token, scope } = subset.body as { access_token: string; scope: string };
    expect(scope).toBe('providers:read');
    expect((await rest(gw, 'GET', '/v1/catalogue', { token })).status).toBe(200);
    const write = await rest(gw, 'GET', '/v1/patients', { token });
    expectProblemDocument(write, 403, 'FORBIDDEN');

    const limited = await auth.createCredential(gw.partnerA.organizationId, 'narrow', [
      'providers:read',
    ]);
    const tooMuch = await rest(gw, 'POST', '/v1/oauth/token', {
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body:
        `grant_type=client_credentials&client_id=${limited.clientId}` +
        `&client_secret=${encodeURIComponent(limited.clientSecret)}&scope=patients:read`,
    });
    const body = expectProblemDocument(tooMuch, 400, 'VALIDATION_FAILED');
    expect(body.error).toBe('invalid_scope');
    expect(body.errors?.map((e) => e.pointer)).toEqual(['/scope']);

    const unknown = await post(form('patients:read everything:all'));
    expect((unknown.body as { error: string }).error).toBe('invalid_scope');
  });
});
