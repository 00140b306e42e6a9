/**
 * The SDK's `signing` option against the real gateway over HTTP: every call it makes is signed
 * by the recipe, and the gateway accepts it, including when the organization requires signing.
 */
import { serve, type ServerType } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Tahoon, TahoonApiError, type TahoonOptions } from '../../sdk/src/index.js';
import { patientInput } from './acceptance.js';
import { createTestGateway, DB_KINDS, type TestGateway } from './harness.js';

describe.each(DB_KINDS)('the SDK signing requests against the gateway on %s', (kind) => {
  let gw: TestGateway;
  let server: ServerType;
  let baseUrl: string;
  const calls: string[] = [];

  const client = (extra: Partial<TahoonOptions> = {}) =>
    new Tahoon({
      baseUrl,
      clientId: gw.partnerA.clientId,
      clientSecret: gw.partnerA.clientSecret,
      maxRetries: 0,
      fetch: (url, init) => {
        calls.push(`${init.method ?? 'GET'} ${new URL(url).pathname}`);
        return fetch(url, init);
      },
      ...extra,
    });

  beforeAll(async () => {
    gw = await createTestGateway(kind);
    // The SDK stamps requests with the real time; the gateway's clock must agree.
    gw.clock.set(Date.now());
    await new Promise<void>((resolve) => {
      server = serve({ fetch: gw.app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve());
    });
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server?.close(resolve));
    await gw?.close();
  });

  it('signs every call, so an organization that requires signing still serves it', async () => {
    const key = await client().signingKeys.create();
    const signed = client({ signing: { keyId: key.id, secret: key.secret } });

    expect(await signed.organization.update({ requireSignedRequests: true })).toMatchObject({
      requireSignedRequests: true,
    });

    const patient = await signed.patients.create(patientInput('sdk-signed'));
    expect(await signed.patients.update(patient.id, { language: 'ar' })).toMatchObject({
      language: 'ar',
    });
    const found = await signed.providers.search({ region: 'SA', language: 'ar', limit: 2 });
    expect(found.data.length).toBeGreaterThan(0);
    const listed = [];
    for await (const p of signed.patients.list({ limit: 1 })) listed.push(p.id);
    expect(listed).toContain(patient.id);

    const spare = await signed.signingKeys.create({ expiresInSeconds: 3600 });
    expect(await signed.signingKeys.revoke(spare.id)).toMatchObject({ status: 'revoked' });
    const rotation = await signed.signingKeys.rotate(key.id, { overlapSeconds: 60 });
    expect(rotation.previous.id).toBe(key.id);

    const unsigned = await client()
      .catalogue.get()
      .catch((error: unknown) => error);
    expect(unsigned).toBeInstanceOf(TahoonApiError);
    expect(unsigned).toMatchObject({ code: 'SIGNATURE_INVALID', status: 401 });

    await signed.organization.update({ requireSignedRequests: false });
  });

  it('surfaces a refused signature without fetching a new token for it', async () => {
    const key = await client().signingKeys.create();
    const wrong = client({ signing: { keyId: key.id, secret: `tks_${'A'.repeat(43)}` } });
    calls.length = 0;
    const error = await wrong.catalogue.get().catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'SIGNATURE_INVALID', status: 401 });
    expect((error as TahoonApiError).detail).toMatch(/does not match this request/);
    expect(calls).toEqual(['POST /v1/oauth/token', 'GET /v1/catalogue']);
  });

  it('refuses malformed signing options before sending anything', () => {
    expect(() => client({ signing: { keyId: 'key', secret: 'secret' } })).toThrow(
      /signing.keyId must be a signing key id.*signing.secret must be a signing secret/,
    );
  });
});
