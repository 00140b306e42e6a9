import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../src/app.js';
import { createAuth } from '../src/auth.js';
import { patientInput } from './acceptance.js';
import {
  createTestGateway,
  DB_KINDS,
  rest,
  type Answer,
  type Partner,
  type TestGateway,
} from './harness.js';
import {
  countRows,
  freshNonce,
  sha256,
  signedRest,
  signedTrpc,
  type SignOptions,
  type SigningKeyPair,
} from './signing-client.js';

interface CreatedKey {
  id: string;
  credentialId: string;
  status: string;
  secret: string;
}

function problemOf(answer: Answer, status: number, code: string) {
  expect(answer.status, JSON.stringify(answer.body)).toBe(status);
  const problem = answer.body as { code: string; detail: string; status: number };
  expect(problem.code).toBe(code);
  expect(problem.status).toBe(status);
  expect(JSON.stringify(problem)).not.toMatch(/at .*\.ts:\d+|stack/i);
  return problem;
}

async function createKey(gw: TestGateway, partner: Partner, body: object = {}) {
  const answer = await rest(gw, 'POST', '/v1/signing-keys', { token: partner.token, body });
  expect(answer.status, JSON.stringify(answer.body)).toBe(201);
  const key = answer.body as CreatedKey;
  return { ...key, pair: { keyId: key.id, secret: key.secret } };
}

/** A token for the partner's credential with only the given scopes. */
async function tokenWithScopes(
  gw: TestGateway,
  partner: Partner,
  scopes: string[],
): Promise<string> {
  const credential = await gw.deps.store.credentials.get(partner.clientId);
  if (!credential) throw new Error('credential vanished');
  return (await createAuth(gw.deps).issueToken(credential, scopes)).accessToken;
}

describe.each(DB_KINDS)('signed requests on %s', (kind) => {
  let gw: TestGateway;
  let key: SigningKeyPair;

  /** A signed REST call as partner A. */
  const signedA = (
    method: string,
    target: string,
    options: { body?: unknown; sign?: SignOptions; sendBody?: string; with?: SigningKeyPair } = {},
  ) =>
    signedRest(gw, options.with ?? key, method, target, { token: gw.partnerA.token, ...options });

  /** Moves the clock on, with fresh access tokens: the old ones would expire on long moves. */
  async function advance(ms: number): Promise<void> {
    gw.clock.advance(ms);
    const auth = createAuth(gw.deps);
    for (const partner of [gw.partnerA, gw.partnerB]) {
      const credential = await gw.deps.store.credentials.get(partner.clientId);
      if (!credential) throw new Error('credential vanished');
      partner.token = (await auth.issueToken(credential)).accessToken;
    }
  }

  beforeAll(async () => {
    gw = await createTestGateway(kind);
    key = (await createKey(gw, gw.partnerA)).pair;
  });
  afterAll(() => gw?.close());

  describe('signing keys', () => {
    it('shows a 256-bit secret once, lists keys without it and stores it sealed', async () => {
      const created = await createKey(gw, gw.partnerA);
      expect(created.id).toMatch(/^sgk_/);
      expect(created.secret).toMatch(/^tks_[A-Za-z0-9_-]{43}$/);
      expect(created).toMatchObject({ credentialId: gw.partnerA.clientId, status: 'active' });

      const listed = await rest(gw, 'GET', '/v1/signing-keys', { token: gw.partnerA.token });
      expect(listed.status).toBe(200);
      expect(JSON.stringify(listed.body)).not.toContain('tks_');
      const ids = (listed.body as { data: { id: string }[] }).data.map((k) => k.id);
      expect(ids).toContain(created.id);

      const dump = await gw.database.db.execute(
        `select sealed_secret from signing_keys where id = '${created.id}'` as never,
      );
      const stored = (dump as unknown as { rows: { sealed_secret: string }[] }).rows[0];
      expect(stored?.sealed_secret).toMatch(/^v1\./);
      expect(stored?.sealed_secret).not.toContain(created.secret.slice(4));
    });

    it('makes a key for another credential of the organization', async () => {
      const other = await createAuth(gw.deps).createCredential(gw.partnerA.organizationId, 'b');
      const created = await createKey(gw, gw.partnerA, { credentialId: other.clientId });
      expect(created.credentialId).toBe(other.clientId);
    });

    it('refuses tokens without the credentials:admin scope', async () => {
      const token = await tokenWithScopes(gw, gw.partnerA, ['patients:read']);
      const listed = await rest(gw, 'GET', '/v1/signing-keys', { token });
      problemOf(listed, 403, 'FORBIDDEN');
      const trpc = await signedTrpc(gw, null, 'query', 'signingKeys.list', {}, token);
      problemOf(trpc, 403, 'FORBIDDEN');
    });

    it('refuses bad input with a problem naming the field', async () => {
      const answer = await rest(gw, 'POST', '/v1/signing-keys', {
        token: gw.partnerA.token,
        body: { expiresInSeconds: 5, credentialId: 'cred_x' },
      });
      const problem = problemOf(answer, 400, 'VALIDATION_FAILED') as {
        errors?: { pointer: string }[];
      };
      expect(problem.errors?.map((e) => e.pointer)).toEqual(
        expect.arrayContaining(['/expiresInSeconds', '/credentialId']),
      );
    });
  });

  describe('tenancy of the admin procedures', () => {
    it("answers 404 for another organization's keys and credentials, on both transports", async () => {
      const keysBefore = await countRows(gw, 'signing_keys');
      const b = gw.partnerB.token;
      const foreignKey = key.keyId;

      problemOf(
        await rest(gw, 'POST', `/v1/signing-keys/${foreignKey}/rotate`, { token: b, body: {} }),
        404,
        'NOT_FOUND',
      );
      problemOf(
        await rest(gw, 'DELETE', `/v1/signing-keys/${foreignKey}`, { token: b }),
        404,
        'NOT_FOUND',
      );
      problemOf(
        await rest(gw, 'POST', '/v1/signing-keys', {
          token: b,
          body: { credentialId: gw.partnerA.clientId },
        }),
        404,
        'NOT_FOUND',
      );
      problemOf(
        await signedTrpc(gw, null, 'mutation', 'signingKeys.rotate', { id: foreignKey }, b),
        404,
        'NOT_FOUND',
      );
      problemOf(
        await signedTrpc(gw, null, 'mutation', 'signingKeys.revoke', { id: foreignKey }, b),
        404,
        'NOT_FOUND',
      );
      const listed = await rest(gw, 'GET', '/v1/signing-keys', { token: b });
      expect((listed.body as { data: unknown[] }).data).toEqual([]);
      expect(await countRows(gw, 'signing_keys')).toBe(keysBefore);

      // A's key still works: nothing B did touched it.
      expect((await signedA('GET', '/v1/catalogue')).status).toBe(200);
    });
  });

  describe('verification', () => {
    it('accepts signed reads and writes over REST and tRPC', async () => {
      expect((await signedA('GET', '/v1/providers?region=SA&limit=2')).status).toBe(200);
      const created = await signedA('POST', '/v1/patients', { body: patientInput('signed-rest') });
      expect(created.status, JSON.stringify(created.body)).toBe(201);

      const query = await signedTrpc(gw, key, 'query', 'catalogue.get', {}, gw.partnerA.token);
      expect(query.status).toBe(200);
      const mutation = await signedTrpc(
        gw,
        key,
        'mutation',
        'patients.create',
        patientInput('signed-trpc'),
        gw.partnerA.token,
      );
      expect(mutation.status, JSON.stringify(mutation.body)).toBe(201);
    });

    it('accepts unsigned requests when the organization does not require signing', async () => {
      expect(
        (await signedRest(gw, null, 'GET', '/v1/catalogue', { token: gw.partnerA.token })).status,
      ).toBe(200);
    });

    const refusals: { name: string; detail: RegExp; call: () => Promise<Answer> }[] = [
      {
        name: 'a missing header',
        detail: /missing: Tahoon-Nonce/,
        call: () => signedA('GET', '/v1/catalogue', { sign: { omit: ['tahoon-nonce'] } }),
      },
      {
        name: 'a timestamp six minutes old',
        detail: /360 seconds from the server's clock/,
        call: () =>
          signedA('GET', '/v1/catalogue', {
            sign: { timestamp: Math.floor(gw.clock.nowMs() / 1000) - 360 },
          }),
      },
      {
        name: 'a timestamp six minutes ahead',
        detail: /360 seconds from the server's clock/,
        call: () =>
          signedA('GET', '/v1/catalogue', {
            sign: { timestamp: Math.floor(gw.clock.nowMs() / 1000) + 360 },
          }),
      },
      {
        name: 'a body hash that is not the body’s',
        detail: /Content-SHA256 does not match the request body/,
        call: () =>
          signedA('POST', '/v1/patients', {
            body: patientInput('hash-mismatch'),
            sign: { contentSha256: sha256('{}') },
          }),
      },
      {
        name: 'a body changed after signing',
        detail: /does not match the request body/,
        call: () =>
          signedA('POST', '/v1/patients', {
            body: patientInput('tampered'),
            sendBody: JSON.stringify(patientInput('tampered-2')),
          }),
      },
      {
        name: 'a wrong MAC',
        detail: /Tahoon-Signature does not match this request/,
        call: () =>
          signedA('GET', '/v1/catalogue', { sign: { signature: `v1=${'ab'.repeat(32)}` } }),
      },
      {
        name: 'a MAC made with another secret',
        detail: /Tahoon-Signature does not match this request/,
        call: () =>
          signedA('GET', '/v1/catalogue', {
            with: { keyId: key.keyId, secret: `tks_${'A'.repeat(43)}` },
          }),
      },
      {
        name: 'a malformed signature',
        detail: /v1= and 64 lowercase hex/,
        call: () => signedA('GET', '/v1/catalogue', { sign: { signature: 'sha256=abc' } }),
      },
      {
        name: 'a short nonce',
        detail: /16 to 64 characters/,
        call: () => signedA('GET', '/v1/catalogue', { sign: { nonce: 'short' } }),
      },
      {
        name: 'an unknown key',
        detail: /Unknown signing key sgk_k3m9q2x7w4n8p5rt/,
        call: () =>
          signedA('GET', '/v1/catalogue', {
            with: { keyId: 'sgk_k3m9q2x7w4n8p5rt', secret: key.secret },
          }),
      },
    ];

    it.each(refusals)('refuses $name with 401 SIGNATURE_INVALID', async ({ call, detail }) => {
      const problem = problemOf(await call(), 401, 'SIGNATURE_INVALID');
      expect(problem.detail).toMatch(detail);
    });

    it('refuses the same refusals over tRPC', async () => {
      const late = Math.floor(gw.clock.nowMs() / 1000) - 400;
      const token = gw.partnerA.token;
      const stale = await signedTrpc(gw, key, 'query', 'catalogue.get', {}, token, {
        timestamp: late,
      });
      expect(problemOf(stale, 401, 'SIGNATURE_INVALID').detail).toMatch(/400 seconds/);
      const forged = await signedTrpc(
        gw,
        key,
        'mutation',
        'patients.create',
        patientInput('t'),
        token,
        {
          signature: `v1=${'00'.repeat(32)}`,
        },
      );
      problemOf(forged, 401, 'SIGNATURE_INVALID');
    });

    it("refuses another organization's key, and a key of another credential", async () => {
      const keyOfB = (await createKey(gw, gw.partnerB)).pair;
      const foreign = await signedA('GET', '/v1/catalogue', { with: keyOfB });
      expect(problemOf(foreign, 401, 'SIGNATURE_INVALID').detail).toMatch(/Unknown signing key/);

      const other = await createAuth(gw.deps).createCredential(gw.partnerA.organizationId, 'c');
      const otherKey = await createKey(gw, gw.partnerA, { credentialId: other.clientId });
      const mixed = await signedA('GET', '/v1/catalogue', { with: otherKey.pair });
      expect(problemOf(mixed, 401, 'SIGNATURE_INVALID').detail).toMatch(/another credential/);
    });

    it('refuses a replayed nonce, on REST and tRPC, and accepts a fresh one', async () => {
      const nonce = freshNonce();
      expect((await signedA('GET', '/v1/catalogue', { sign: { nonce } })).status).toBe(200);
      const replay = await signedA('GET', '/v1/catalogue', { sign: { nonce } });
      expect(problemOf(replay, 401, 'SIGNATURE_INVALID').detail).toMatch(/already used/);
      const trpcReplay = await signedTrpc(
        gw,
        key,
        'query',
        'catalogue.get',
        {},
        gw.partnerA.token,
        {
          nonce,
        },
      );
      problemOf(trpcReplay, 401, 'SIGNATURE_INVALID');
      expect((await signedA('GET', '/v1/catalogue')).status).toBe(200);
    });

    it('refuses a replayed write and leaves only the first write behind', async () => {
      const nonce = freshNonce();
      const body = patientInput('replayed-write');
      expect((await signedA('POST', '/v1/patients', { body, sign: { nonce } })).status).toBe(201);
      const patients = await countRows(gw, 'patients');
      const replay = await signedA('POST', '/v1/patients', { body, sign: { nonce } });
      problemOf(replay, 401, 'SIGNATURE_INVALID');
      expect(await countRows(gw, 'patients')).toBe(patients);
    });

    it('writes nothing for refused signed writes', async () => {
      const before = {
        patients: await countRows(gw, 'patients'),
        nonces: await countRows(gw, 'signing_nonces'),
        keys: await countRows(gw, 'signing_keys'),
        idempotency: await countRows(gw, 'idempotency_keys'),
      };
      await signedA('POST', '/v1/patients', {
        body: patientInput('refused-1'),
        sign: { signature: `v1=${'11'.repeat(32)}` },
      });
      await signedA('POST', '/v1/signing-keys', { body: {}, sign: { omit: ['tahoon-timestamp'] } });
      await signedA('POST', '/v1/patients', {
        body: patientInput('refused-2'),
        sign: { timestamp: 1 },
      });
      await signedTrpc(gw, key, 'mutation', 'signingKeys.create', {}, gw.partnerA.token, {
        contentSha256: sha256('x'),
      });
      expect({
        patients: await countRows(gw, 'patients'),
        nonces: await countRows(gw, 'signing_nonces'),
        keys: await countRows(gw, 'signing_keys'),
        idempotency: await countRows(gw, 'idempotency_keys'),
      }).toEqual(before);
    });

    it('purges nonces once they are past the window', async () => {
      expect((await signedA('GET', '/v1/catalogue')).status).toBe(200);
      expect(await countRows(gw, 'signing_nonces')).toBeGreaterThan(0);
      await advance(11 * 60_000);
      expect((await signedA('GET', '/v1/catalogue')).status).toBe(200);
      expect(await countRows(gw, 'signing_nonces')).toBe(1);
    });
  });

  describe('rotation and revocation', () => {
    it('keeps the old key valid for the overlap, then refuses it as expired', async () => {
      const first = await createKey(gw, gw.partnerA);
      const rotated = await rest(gw, 'POST', `/v1/signing-keys/${first.id}/rotate`, {
        token: gw.partnerA.token,
        body: { overlapSeconds: 600 },
      });
      expect(rotated.status, JSON.stringify(rotated.body)).toBe(201);
      const { key: next, previous } = rotated.body as {
        key: CreatedKey;
        previous: { id: string; expiresAt: string; status: string };
      };
      expect(previous).toMatchObject({ id: first.id, status: 'active' });
      expect(Date.parse(previous.expiresAt)).toBe(gw.clock.nowMs() + 600_000);
      const nextPair = { keyId: next.id, secret: next.secret };

      expect((await signedA('GET', '/v1/catalogue', { with: first.pair })).status).toBe(200);
      expect((await signedA('GET', '/v1/catalogue', { with: nextPair })).status).toBe(200);

      await advance(601_000);
      const old = await signedA('GET', '/v1/catalogue', { with: first.pair });
      expect(problemOf(old, 401, 'SIGNATURE_INVALID').detail).toMatch(/has expired/);
      expect((await signedA('GET', '/v1/catalogue', { with: nextPair })).status).toBe(200);

      const again = await signedTrpc(
        gw,
        null,
        'mutation',
        'signingKeys.rotate',
        { id: first.id },
        gw.partnerA.token,
      );
      problemOf(again, 409, 'INVALID_STATE');
    });

    it('refuses a revoked key at once', async () => {
      const doomed = await createKey(gw, gw.partnerA);
      expect((await signedA('GET', '/v1/catalogue', { with: doomed.pair })).status).toBe(200);
      const revoked = await signedTrpc(
        gw,
        null,
        'mutation',
        'signingKeys.revoke',
        { id: doomed.id },
        gw.partnerA.token,
      );
      expect(revoked.status).toBe(200);
      expect(revoked.body).toMatchObject({ id: doomed.id, status: 'revoked' });
      const refused = await signedA('GET', '/v1/catalogue', { with: doomed.pair });
      expect(problemOf(refused, 401, 'SIGNATURE_INVALID').detail).toMatch(/is revoked/);
    });
  });

  describe('the organization requirement', () => {
    it('cannot be turned on without an active key', async () => {
      const lonely = await gw.newPartner('No keys');
      const answer = await rest(gw, 'PATCH', '/v1/organization', {
        token: lonely.token,
        body: { requireSignedRequests: true },
      });
      problemOf(answer, 409, 'INVALID_STATE');
      const read = await rest(gw, 'GET', '/v1/organization', { token: lonely.token });
      expect(read.body).toMatchObject({ id: lonely.organizationId, requireSignedRequests: false });
    });

    it('refuses unsigned requests while on, on both transports, and accepts them once off', async () => {
      const partner = await gw.newPartner('Strict clinic');
      const own = (await createKey(gw, partner)).pair;
      const on = await signedRest(gw, own, 'PATCH', '/v1/organization', {
        token: partner.token,
        body: { requireSignedRequests: true },
      });
      expect(on.status, JSON.stringify(on.body)).toBe(200);
      expect(on.body).toMatchObject({ requireSignedRequests: true });

      const patientsBefore = await countRows(gw, 'patients');
      const unsigned = await signedRest(gw, null, 'POST', '/v1/patients', {
        token: partner.token,
        body: patientInput('unsigned'),
      });
      expect(problemOf(unsigned, 401, 'SIGNATURE_INVALID').detail).toMatch(
        /requires signed requests/,
      );
      const unsignedTrpc = await signedTrpc(gw, null, 'query', 'catalogue.get', {}, partner.token);
      problemOf(unsignedTrpc, 401, 'SIGNATURE_INVALID');
      expect(await countRows(gw, 'patients')).toBe(patientsBefore);

      const signed = await signedRest(gw, own, 'POST', '/v1/patients', {
        token: partner.token,
        body: patientInput('signed'),
      });
      expect(signed.status).toBe(201);
      const signedTrpcCall = await signedTrpc(gw, own, 'query', 'catalogue.get', {}, partner.token);
      expect(signedTrpcCall.status).toBe(200);

      // Other organizations are not affected.
      expect((await rest(gw, 'GET', '/v1/catalogue', { token: gw.partnerB.token })).status).toBe(
        200,
      );

      const off = await signedTrpc(
        gw,
        own,
        'mutation',
        'organization.update',
        { requireSignedRequests: false },
        partner.token,
      );
      expect(off.body).toMatchObject({ requireSignedRequests: false });
      expect((await rest(gw, 'GET', '/v1/catalogue', { token: partner.token })).status).toBe(200);
    });

    it('reaches another instance within 5 seconds', async () => {
      const partner = await gw.newPartner('Two instances');
      const own = (await createKey(gw, partner)).pair;
      // Another instance: the same database, its own memory of the setting.
      const other = { ...gw, app: createApp({ ...gw.deps, store: { ...gw.deps.store } }) };
      const unsigned = (instance: Pick<TestGateway, 'app' | 'clock'>) =>
        signedRest(instance, null, 'GET', '/v1/catalogue', { token: partner.token });
      expect((await unsigned(other)).status).toBe(200);

      const on = await signedRest(gw, own, 'PATCH', '/v1/organization', {
        token: partner.token,
        body: { requireSignedRequests: true },
      });
      expect(on.status).toBe(200);
      expect((await unsigned(gw)).status).toBe(401);
      expect((await unsigned(other)).status).toBe(200);
      gw.clock.advance(5_001);
      problemOf(await unsigned(other), 401, 'SIGNATURE_INVALID');
    });
  });

  describe('replays across instances', () => {
    it('accepts a nonce sent to two instances at once exactly once', async () => {
      const other = { ...gw, app: createApp({ ...gw.deps, store: { ...gw.deps.store } }) };
      const nonce = freshNonce();
      const sign = { nonce };
      const token = gw.partnerA.token;
      const answers = await Promise.all([
        signedRest(gw, key, 'GET', '/v1/catalogue', { token, sign }),
        signedRest(other, key, 'GET', '/v1/catalogue', { token, sign }),
        signedRest(gw, key, 'GET', '/v1/catalogue', { token, sign }),
        signedRest(other, key, 'GET', '/v1/catalogue', { token, sign }),
      ]);
      expect(answers.map((a) => a.status).sort()).toEqual([200, 401, 401, 401]);
    });
  });
});
