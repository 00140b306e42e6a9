import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDemoProviders } from '../src/seed/demo.js';
import { createTestGateway, DB_KINDS, rest, type TestGateway } from './harness.js';

// The request path keeps provider records and verified tokens in memory. These tests pin down
// that neither memory can answer with something the database or the clock has overruled.

/** Asia/Riyadh psychologist licensed in SA, 30 and 50 minutes. */
const RIYADH_PROVIDER = 'prv_sjnpfzd39nd2qv6w';

async function demoRow(id: string) {
  const row = (await loadDemoProviders()).find((p) => p.id === id);
  if (!row) throw new Error(`${id} is not in the demo roster`);
  return row;
}

describe.each(DB_KINDS)('provider records held in memory on %s', (kind) => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await createTestGateway(kind);
  });
  afterAll(() => gw?.close());

  it('answers an import at once, over REST and in search', async () => {
    const row = await demoRow(RIYADH_PROVIDER);
    const token = gw.partnerA.token;
    const read = () => rest(gw, 'GET', `/v1/providers/${RIYADH_PROVIDER}`, { token });
    expect((await read()).body).toMatchObject({ displayName: row.displayName, active: true });
    expect((await gw.deps.store.providers.search({})).map((p) => p.id)).toContain(RIYADH_PROVIDER);

    await gw.deps.store.providers.upsert([{ ...row, displayName: 'Dr. Renamed', active: false }]);

    try {
      expect((await read()).body).toMatchObject({ displayName: 'Dr. Renamed', active: false });
      const searched = await gw.deps.store.providers.search({});
      expect(searched.find((p) => p.id === RIYADH_PROVIDER)?.active).toBe(false);
      const slots = await rest(
        gw,
        'GET',
        `/v1/providers/${RIYADH_PROVIDER}/slots?from=2027-03-02T00:00:00Z&to=2027-03-03T00:00:00Z&duration=30`,
        { token },
      );
      expect(slots.status).toBe(422);
    } finally {
      await gw.deps.store.providers.upsert([row]);
    }
    expect((await read()).body).toMatchObject({ displayName: row.displayName, active: true });
  });

  it('imports a repeated id once, keeping its last row, and replaces every column', async () => {
    const rows = await loadDemoProviders();
    const row = await demoRow(RIYADH_PROVIDER);
    const before = await gw.deps.store.providers.count();
    const schedule = { ...row.schedule, bufferMinutes: row.schedule.bufferMinutes + 5 };

    const repeated = [
      { ...row, bio: 'First' },
      { ...row, bio: 'Last', schedule },
    ];
    await gw.deps.store.providers.upsert([...rows, ...repeated]);

    try {
      expect(await gw.deps.store.providers.count()).toBe(before);
      const stored = await gw.deps.store.providers.get(RIYADH_PROVIDER);
      expect(stored?.bio).toBe('Last');
      expect(stored?.schedule).toEqual(schedule);
    } finally {
      await gw.deps.store.providers.upsert([row]);
    }
    expect((await gw.deps.store.providers.get(RIYADH_PROVIDER))?.schedule).toEqual(row.schedule);
  });

  it('answers null for an unknown provider, and still finds one imported afterwards', async () => {
    const id = 'prv_aaaaaaaaaaaaaaaa';
    expect(await gw.deps.store.providers.get(id)).toBeNull();
    const row = await demoRow(RIYADH_PROVIDER);

    await gw.deps.store.providers.upsert([{ ...row, id }]);

    expect((await gw.deps.store.providers.get(id))?.displayName).toBe(row.displayName);
  });
});

describe.each(DB_KINDS)('verified tokens held in memory on %s', (kind) => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await createTestGateway(kind);
  });
  afterAll(() => gw?.close());

  const read = (token: string) => rest(gw, 'GET', `/v1/providers/${RIYADH_PROVIDER}`, { token });

  it('still expires a token that was already accepted', async () => {
    const partner = await gw.newPartner('Expiry Clinic');
    expect((await read(partner.token)).status).toBe(200);

    // 900 s lifetime and 30 s of tolerance.
    gw.clock.advance(931_000);
    try {
      const answer = await read(partner.token);
      expect(answer.status).toBe(401);
      expect(answer.body).toMatchObject({
        code: 'UNAUTHENTICATED',
        detail: 'The access token has expired',
      });
    } finally {
      gw.clock.advance(-931_000);
    }
  });

  it('stops an accepted token on its next use once its credential is revoked', async () => {
    const partner = await gw.newPartner('Revoked Clinic');
    expect((await read(partner.token)).status).toBe(200);

    await gw.deps.store.credentials.revoke(
      partner.organizationId,
      partner.clientId,
      gw.clock.nowMs(),
    );

    const answer = await read(partner.token);
    expect(answer.status).toBe(401);
    expect(answer.body).toMatchObject({ code: 'UNAUTHENTICATED' });
  });

  it('refuses a token whose signature was altered after the genuine one was accepted', async () => {
    const partner = await gw.newPartner('Tamper Clinic');
    expect((await read(partner.token)).status).toBe(200);
    const [header, payload, signature] = partner.token.split('.');
    const flipped = signature?.startsWith('A')
      ? `B${signature.slice(1)}`
      : `A${signature?.slice(1)}`;

    const answer = await read(`${header}.${payload}.${flipped}`);

    expect(answer.status).toBe(401);
    expect(answer.body).toMatchObject({ code: 'UNAUTHENTICATED' });
  });
});
