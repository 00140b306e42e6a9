import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify, type JWK } from 'jose';
import { eq } from 'drizzle-orm';
import { revokedTokens } from '../src/db/schema.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUDIENCE, createAuth } from '../src/auth.js';
import { createApp } from '../src/app.js';
import type { Deps } from '../src/deps.js';
import { openPostgres } from '../src/node/database.js';
import { generateSigningKey } from '../src/tokens/signing-keys.js';
import { expectProblemDocument } from './acceptance.js';
import {
  createTestGateway,
  DB_KINDS,
  rest,
  TEST_SIGNING_KEY,
  type Partner,
  type TestGateway,
} from './harness.js';

const PROVIDER = 'prv_sjnpfzd39nd2qv6w';
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

const basic = (p: Pick<Partner, 'clientId' | 'clientSecret'>) =>
  `Basic ${btoa(`${p.clientId}:${p.clientSecret}`)}`;

type Gateway = Pick<TestGateway, 'app'>;

async function tokenFor(gw: Gateway, partner: Partner) {
  const answer = await rest(gw, 'POST', '/v1/oauth/token', {
    headers: { ...FORM, authorization: basic(partner) },
    body: 'grant_type=client_credentials',
  });
  expect(answer.status).toBe(200);
  return answer.body as { access_token: string; expires_in: number; scope: string };
}

function revoke(gw: Gateway, partner: Partner, token: string) {
  return rest(gw, 'POST', '/v1/oauth/revoke', {
    headers: { ...FORM, authorization: basic(partner) },
    body: `token=${token}&token_type_hint=access_token`,
  });
}

function introspect(gw: Gateway, authorization: string | null, body: string) {
  return rest(gw, 'POST', '/v1/oauth/introspect', {
    headers: authorization ? { ...FORM, authorization } : FORM,
    body,
  });
}

const read = (gw: Gateway, token: string) =>
  rest(gw, 'GET', `/v1/providers/${PROVIDER}`, { token });

describe.each(DB_KINDS)('access tokens on %s', (kind) => {
  let gw: TestGateway;

  beforeAll(async () => {
    gw = await createTestGateway(kind);
  });
  afterAll(() => gw?.close());

  it('are EdDSA JWTs with a kid, typ at+jwt and the documented claims', async () => {
    const { access_token: token, expires_in: expiresIn, scope } = await tokenFor(gw, gw.partnerA);

    expect(decodeProtectedHeader(token)).toEqual({
      alg: 'EdDSA',
      typ: 'at+jwt',
      kid: TEST_SIGNING_KEY.kid,
    });
    const claims = decodeJwt(token);
    const nowS = Math.floor(gw.clock.nowMs() / 1000);
    expect(claims).toEqual({
      iss: gw.deps.config.TAHOON_ISSUER,
      aud: AUDIENCE,
      sub: gw.partnerA.clientId,
      org: gw.partnerA.organizationId,
      scope,
      jti: expect.stringMatching(/^[0-9a-f]{32}$/),
      iat: nowS,
      exp: nowS + 900,
    });
    expect(expiresIn).toBe(900);
    expect(scope.split(' ')).toContain('credentials:admin');
  });

  it('publishes the public keys, cacheable, that verify its tokens', async () => {
    const answer = await rest(gw, 'GET', '/.well-known/jwks.json');
    const { access_token: token } = await tokenFor(gw, gw.partnerA);

    expect(answer.status).toBe(200);
    expect(answer.headers.get('cache-control')).toMatch(/^public, max-age=\d+/);
    const jwks = answer.body as { keys: JWK[] };
    expect(jwks.keys).toEqual([
      {
        kty: 'OKP',
        crv: 'Ed25519',
        x: TEST_SIGNING_KEY.x,
        kid: TEST_SIGNING_KEY.kid,
        alg: 'EdDSA',
        use: 'sig',
      },
    ]);
    expect(JSON.stringify(jwks)).not.toContain(TEST_SIGNING_KEY.d);
    const verified = await jwtVerify(token, createLocalJWKSet(jwks), { audience: AUDIENCE });
    expect(verified.payload.sub).toBe(gw.partnerA.clientId);
  });

  it('keeps verifying tokens of the old key after a new key is added first', async () => {
    const newKey = await generateSigningKey('sgk_rotation_new');
    const { access_token: oldToken } = await tokenFor(gw, gw.partnerA);
    const rotated = createApp({
      ...gw.deps,
      keys: { ...gw.deps.keys, tokenSigningKeys: [newKey, TEST_SIGNING_KEY] },
    });
    const retired = createApp({
      ...gw.deps,
      keys: { ...gw.deps.keys, tokenSigningKeys: [newKey] },
    });

    const { access_token: newToken } = await tokenFor({ app: rotated }, gw.partnerA);

    expect(decodeProtectedHeader(newToken).kid).toBe('sgk_rotation_new');
    expect((await read({ app: rotated }, oldToken)).status).toBe(200);
    expect((await read({ app: rotated }, newToken)).status).toBe(200);
    const jwks = (await rest({ app: rotated }, 'GET', '/.well-known/jwks.json')).body as {
      keys: JWK[];
    };
    expect(jwks.keys.map((k) => k.kid)).toEqual(['sgk_rotation_new', TEST_SIGNING_KEY.kid]);
    // Once the old key is removed, its tokens name an unknown kid.
    expectProblemDocument(await read({ app: retired }, oldToken), 401, 'UNAUTHENTICATED');
    expect((await read({ app: retired }, newToken)).status).toBe(200);
  });

  describe('introspection (RFC 7662)', () => {
    it("describes the caller's own active token", async () => {
      const { access_token: token, scope } = await tokenFor(gw, gw.partnerA);

      const answer = await introspect(gw, basic(gw.partnerA), `token=${token}`);

      expect(answer.status).toBe(200);
      expect(answer.headers.get('cache-control')).toBe('no-store');
      const nowS = Math.floor(gw.clock.nowMs() / 1000);
      expect(answer.body).toEqual({
        active: true,
        scope,
        client_id: gw.partnerA.clientId,
        token_type: 'Bearer',
        exp: nowS + 900,
        iat: nowS,
        sub: gw.partnerA.clientId,
        aud: AUDIENCE,
        iss: gw.deps.config.TAHOON_ISSUER,
        jti: expect.any(String),
        org: gw.partnerA.organizationId,
      });
    });

    it("answers inactive for another organization's token, garbage and expired tokens", async () => {
      const { access_token: tokenOfB } = await tokenFor(gw, gw.partnerB);
      const { access_token: tokenOfA } = await tokenFor(gw, gw.partnerA);

      const foreign = await introspect(gw, basic(gw.partnerA), `token=${tokenOfB}`);
      const garbage = await introspect(gw, basic(gw.partnerA), 'token=not-a-token');
      gw.clock.advance(931_000);
      const expired = await introspect(gw, basic(gw.partnerB), `token=${tokenOfB}`).finally(() =>
        gw.clock.advance(-931_000),
      );

      for (const answer of [foreign, garbage, expired]) {
        expect(answer.status).toBe(200);
        expect(answer.body).toEqual({ active: false });
      }
      expect((await read(gw, tokenOfA)).status).toBe(200);
    });

    it('authenticates with client_id and client_secret fields, or a Bearer token', async () => {
      const { access_token: token } = await tokenFor(gw, gw.partnerA);
      const { clientId, clientSecret } = gw.partnerA;
      const fields = `client_id=${clientId}&client_secret=${encodeURIComponent(clientSecret)}`;

      const byFields = await introspect(gw, null, `${fields}&token=${token}`);
      const byBearer = await introspect(gw, `Bearer ${token}`, `token=${token}`);

      expect(byFields.body).toMatchObject({ active: true });
      expect(byBearer.body).toMatchObject({ active: true });
    });

    it('refuses callers that do not authenticate, and requests without a token', async () => {
      const { access_token: token } = await tokenFor(gw, gw.partnerA);
      const wrong = { clientId: gw.partnerA.clientId, clientSecret: gw.partnerB.clientSecret };

      const anonymous = await introspect(gw, null, `token=${token}`);
      const wrongSecret = await introspect(gw, basic(wrong), `token=${token}`);
      const noToken = await introspect(gw, basic(gw.partnerA), 'token_type_hint=access_token');

      for (const answer of [anonymous, wrongSecret]) {
        const body = expectProblemDocument(answer, 401, 'UNAUTHENTICATED');
        expect(body.error).toBe('invalid_client');
      }
      const body = expectProblemDocument(noToken, 400, 'VALIDATION_FAILED');
      expect(body.error).toBe('invalid_request');
      expect(body.errors?.map((e) => e.pointer)).toEqual(['/token']);
    });
  });

  describe('revocation (RFC 7009)', () => {
    it('stops the token on its next use and makes it inactive', async () => {
      const { access_token: token } = await tokenFor(gw, gw.partnerA);
      const { access_token: sibling } = await tokenFor(gw, gw.partnerA);
      expect((await read(gw, token)).status).toBe(200);

      const answer = await revoke(gw, gw.partnerA, token);

      expect(answer.status).toBe(200);
      expect(answer.body).toBeNull();
      const refused = expectProblemDocument(await read(gw, token), 401, 'UNAUTHENTICATED');
      expect(refused.detail).toBe('The access token has been revoked');
      expect((await introspect(gw, basic(gw.partnerA), `token=${token}`)).body).toEqual({
        active: false,
      });
      // Revoking one token leaves the credential's other tokens alone.
      expect((await read(gw, sibling)).status).toBe(200);
      // Revoking it again, or revoking garbage, answers 200 as RFC 7009 asks.
      expect((await revoke(gw, gw.partnerA, token)).status).toBe(200);
      expect((await revoke(gw, gw.partnerA, 'garbage')).status).toBe(200);
    });

    it("leaves another organization's token working", async () => {
      const { access_token: tokenOfB } = await tokenFor(gw, gw.partnerB);

      const answer = await revoke(gw, gw.partnerA, tokenOfB);

      expect(answer.status).toBe(200);
      expect((await read(gw, tokenOfB)).status).toBe(200);
      const revokedOfB = await gw.database.db
        .select()
        .from(revokedTokens)
        .where(eq(revokedTokens.organizationId, gw.partnerB.organizationId));
      expect(revokedOfB).toHaveLength(0);
    });

    it('forgets revocations once their tokens have expired', async () => {
      const { access_token: token } = await tokenFor(gw, gw.partnerA);
      await revoke(gw, gw.partnerA, token);
      const exp = (decodeJwt(token).exp ?? 0) * 1000;

      expect(await gw.deps.store.revokedTokens.purgeExpired(exp - 1)).toBe(0);
      expect(await gw.deps.store.revokedTokens.purgeExpired(exp + 1)).toBeGreaterThan(0);
    });
  });
});

describe('revocation across instances sharing one PostgreSQL database', () => {
  let gw: TestGateway;
  let second: { app: ReturnType<typeof createApp>; close: () => Promise<void> };

  beforeAll(async () => {
    gw = await createTestGateway('postgres');
    if (!gw.databaseUrl) throw new Error('no database URL');
    // Its own connection pool and its own in-process caches, as on another server.
    const database = openPostgres(gw.databaseUrl, gw.deps.phi, 2);
    const deps: Deps = { ...gw.deps, store: database.store };
    second = { app: createApp(deps), close: () => database.close() };
  });
  afterAll(async () => {
    await second?.close();
    await gw?.close();
  });

  it('refuses a token revoked on one instance on the next use at the other', async () => {
    const { access_token: token } = await tokenFor(gw, gw.partnerA);
    expect((await read(gw, token)).status).toBe(200);
    expect((await read(second, token)).status).toBe(200);

    expect((await revoke(gw, gw.partnerA, token)).status).toBe(200);

    expectProblemDocument(await read(second, token), 401, 'UNAUTHENTICATED');
    expectProblemDocument(await read(gw, token), 401, 'UNAUTHENTICATED');
  });

  it('refuses tokens of a credential revoked on one instance at the other at once', async () => {
    const partner = await gw.newPartner('Two Instance Clinic');
    expect((await read(second, partner.token)).status).toBe(200);

    const auth = createAuth(gw.deps);
    const answer = await rest(gw, 'DELETE', `/v1/credentials/${partner.clientId}`, {
      token: partner.token,
    });
    expect(answer.status).toBe(200);

    expectProblemDocument(await read(second, partner.token), 401, 'UNAUTHENTICATED');
    await expect(auth.checkSecret(partner.clientId, partner.clientSecret)).rejects.toThrow();
  });
});
