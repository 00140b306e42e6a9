import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestGateway, rest, type TestGateway } from './harness.js';

const run = promisify(execFile);

const PATIENTS = [
  {
    externalId: 'crm-vault-0001',
    givenName: 'Zubaidah',
    familyName: 'Quraishi',
    email: 'zubaidah.quraishi@example.org',
    phone: '+966512340001',
    birthDate: '1984-02-29',
    country: 'SA',
    timeZone: 'Asia/Riyadh',
  },
  {
    externalId: 'crm-vault-0002',
    givenName: 'Evangeline',
    familyName: 'Featherstonehaugh',
    email: 'e.featherstonehaugh@example.org',
    phone: '+447700900123',
    birthDate: '1990-12-01',
    country: 'GB',
    timeZone: 'Europe/London',
  },
];

/** An FCM registration token: it singles out one patient's phone. */
const DEVICE = 'vaultDevice:APA91bVaultRegistrationToken0001';

describe('patient data at rest on PostgreSQL', () => {
  let gw: TestGateway;
  let url: string;
  /** Secrets shown once to partners: a rotated client secret, a signing key, a webhook secret. */
  const shownOnce: string[] = [];
  beforeAll(async () => {
    gw = await createTestGateway('postgres');
    const result = await gw.database.db.execute(sql`select current_database() as name`);
    const name = (result as unknown as { rows: { name: string }[] }).rows[0]?.name ?? '';
    const admin = new URL(
      process.env.TAHOON_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
    );
    admin.pathname = `/${name}`;
    url = admin.toString();
    for (const patient of PATIENTS) {
      const created = await rest(gw, 'POST', '/v1/patients', {
        token: gw.partnerA.token,
        body: patient,
      });
      expect(created.status).toBe(201);
      const id = (created.body as { id: string }).id;
      const device = await rest(gw, 'PUT', `/v1/patients/${id}/devices/${DEVICE}`, {
        token: gw.partnerA.token,
        body: {},
      });
      expect(device.status).toBe(200);
    }
    const token = gw.partnerA.token;
    const rotated = await rest(gw, 'POST', `/v1/credentials/${gw.partnerA.clientId}/rotate`, {
      token,
      body: { previousSecretExpiresInSeconds: 3600 },
    });
    const signingKey = await rest(gw, 'POST', '/v1/signing-keys', { token, body: {} });
    const endpoint = await rest(gw, 'POST', '/v1/webhook-endpoints', {
      token,
      body: { url: 'https://hooks.partner.example/tahoon' },
    });
    expect([rotated.status, signingKey.status, endpoint.status]).toEqual([200, 201, 201]);
    shownOnce.push(
      (rotated.body as { clientSecret: string }).clientSecret,
      (signingKey.body as { secret: string }).secret,
      (endpoint.body as { secret: string }).secret,
    );
  });
  afterAll(() => gw?.close());

  it('leaves no patient detail, device token or secret shown to a partner in a dump', async () => {
    const { stdout: dump } = await run('pg_dump', ['--data-only', url], { maxBuffer: 64 << 20 });
    expect(dump).toContain('COPY public.patients');
    const secrets = [gw.partnerA.clientSecret, gw.partnerB.clientSecret, ...shownOnce, DEVICE];
    expect(shownOnce).toHaveLength(3);
    // The secrets' random parts too, in case a column kept them without their prefix.
    secrets.push(...shownOnce.map((secret) => secret.slice(-40)));
    for (const value of [
      ...PATIENTS.flatMap((p) => [
        p.externalId,
        p.givenName,
        p.familyName,
        p.email,
        p.phone,
        p.birthDate,
      ]),
      ...secrets,
    ]) {
      expect(dump, `dump contains ${value}`).not.toContain(value);
    }
  });

  it('still finds a patient by external id and reads every field back', async () => {
    const found = await rest(gw, 'GET', `/v1/patients?externalId=${PATIENTS[1]?.externalId}`, {
      token: gw.partnerA.token,
    });
    expect(found.body).toMatchObject({ data: [PATIENTS[1]] });
    const other = await rest(gw, 'GET', `/v1/patients?externalId=${PATIENTS[1]?.externalId}`, {
      token: gw.partnerB.token,
    });
    expect(other.body).toEqual({ data: [], nextCursor: null });
  });

  it('refuses a second patient with the same external id in one organization only', async () => {
    const again = await rest(gw, 'POST', '/v1/patients', {
      token: gw.partnerA.token,
      body: PATIENTS[0],
    });
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ code: 'PATIENT_EXISTS' });
    const elsewhere = await rest(gw, 'POST', '/v1/patients', {
      token: gw.partnerB.token,
      body: PATIENTS[0],
    });
    expect(elsewhere.status).toBe(201);
  });
});
