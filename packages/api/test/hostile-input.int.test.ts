import { count } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { patients } from '../src/db/schema.js';
import { createTestGateway, rest, type TestGateway } from './harness.js';

const VALID = {
  externalId: 'hostile-1',
  givenName: 'Huda',
  familyName: 'Karim',
  birthDate: '1992-02-02',
  country: 'SA',
  timeZone: 'Asia/Riyadh',
};

/** Inputs a careless or hostile partner sent while trying to break the gateway. */
describe('input found by trying to break the gateway', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await createTestGateway('pglite');
  });
  afterAll(() => gw?.close());

  const patientCount = async () =>
    (await gw.database.db.select({ n: count() }).from(patients))[0]?.n;

  it.each([
    ['a lone surrogate', { givenName: '\ud800' }, '/givenName'],
    ['a replacement character from a broken encoding', { familyName: 'K\ufffd' }, '/familyName'],
    ['a blank name', { familyName: '   ' }, '/familyName'],
    ['a blank external id', { externalId: ' ' }, '/externalId'],
    ['a birth date in the future', { birthDate: '2999-01-01' }, '/birthDate'],
    ['an unassigned country code', { country: 'XX' }, '/country'],
    ['a right-to-left override that disguises a name', { givenName: 'Sa\u202eara' }, '/givenName'],
    ['a zero-width space', { familyName: 'A\u200bli' }, '/familyName'],
  ])('refuses %s with 400 naming the field, writing nothing', async (_name, change, pointer) => {
    const before = await patientCount();
    const answer = await rest(gw, 'POST', '/v1/patients', {
      token: gw.partnerA.token,
      body: JSON.stringify({ ...VALID, ...change }),
    });
    expect(answer.status).toBe(400);
    expect(
      (answer.body as { errors: { pointer: string }[] }).errors.map((e) => e.pointer),
    ).toContain(pointer);
    expect(await patientCount()).toBe(before);
  });

  it('keeps the zero-width non-joiner that Persian names need', async () => {
    const answer = await rest(gw, 'POST', '/v1/patients', {
      token: gw.partnerA.token,
      body: { ...VALID, externalId: 'hostile-zwnj', givenName: 'می\u200cخواهم' },
    });
    expect(answer.status).toBe(201);
    expect((answer.body as { givenName: string }).givenName).toBe('می\u200cخواهم');
  });

  it('refuses an offset no zone has', async () => {
    const answer = await rest(
      gw,
      'GET',
      '/v1/providers/prv_sjnpfzd39nd2qv6w/slots?duration=50&from=2027-03-02T00:00:00%2B25:00&to=2027-03-03T00:00:00Z',
      { token: gw.partnerA.token },
    );
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ errors: [{ pointer: '/from' }] });
  });

  it('changes nothing for an empty patch', async () => {
    const created = await rest(gw, 'POST', '/v1/patients', {
      token: gw.partnerA.token,
      body: { ...VALID, externalId: 'hostile-2' },
    });
    const patient = created.body as { id: string; updatedAt: string };
    gw.clock.advance(60_000);
    const patched = await rest(gw, 'PATCH', `/v1/patients/${patient.id}`, {
      token: gw.partnerA.token,
      body: {},
    });
    expect(patched.status).toBe(200);
    expect((patched.body as { updatedAt: string }).updatedAt).toBe(patient.updatedAt);
  });
});
