import { count, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bookings, idempotencyKeys } from '../src/db/schema.js';
import { createTestGateway, DB_KINDS, rest, type TestGateway } from './harness.js';

const PROVIDER = 'prv_sjnpfzd39nd2qv6w';

describe.each(DB_KINDS)('Idempotency-Key on %s', (kind) => {
  let gw: TestGateway;
  let patientId: string;
  let starts: string[];

  beforeAll(async () => {
    gw = await createTestGateway(kind);
    const patient = await rest(gw, 'POST', '/v1/patients', {
      token: gw.partnerA.token,
      body: {
        externalId: 'idem-1',
        givenName: 'Maha',
        familyName: 'Hadi',
        birthDate: '1988-03-03',
        country: 'SA',
        timeZone: 'Asia/Riyadh',
      },
    });
    patientId = (patient.body as { id: string }).id;
    const slots = await rest(
      gw,
      'GET',
      `/v1/providers/${PROVIDER}/slots?from=2027-03-02T00:00:00Z&to=2027-03-05T00:00:00Z&duration=30`,
      { token: gw.partnerA.token },
    );
    starts = (slots.body as { data: { start: string }[] }).data.map((s) => s.start);
  });
  afterAll(() => gw?.close());

  const book = (start: string | undefined, key: string, token = gw.partnerA.token) =>
    rest(gw, 'POST', '/v1/bookings', {
      token,
      headers: { 'idempotency-key': key },
      body: { patientId, providerId: PROVIDER, start, duration: 30 },
    });

  async function bookingsAt(start: string | undefined) {
    const [row] = await gw.database.db
      .select({ n: count() })
      .from(bookings)
      .where(eq(bookings.startAt, new Date(start ?? '')));
    return row?.n ?? 0;
  }

  it('replays one booking 20 times with identical bodies, one row and one room', async () => {
    const roomsBefore = gw.video.created.length;
    const first = await book(starts[0], 'book-once-1');
    expect(first.status).toBe(201);
    for (let i = 0; i < 19; i++) {
      const again = await book(starts[0], 'book-once-1');
      expect(again.status).toBe(201);
      expect(again.body).toEqual(first.body);
      expect(again.headers.get('idempotent-replayed')).toBe('true');
    }
    expect(await bookingsAt(starts[0])).toBe(1);
    expect(gw.video.created.length - roomsBefore).toBe(1);
  });

  it('answers a retry whose first attempt died unanswered with the booking that attempt made', async () => {
    const start = starts.at(-1);
    const first = await book(start, 'book-crash-1');
    expect(first.status).toBe(201);
    // What a crash between the booking's commit and storing the answer leaves: the key still
    // claimed, in progress, by a request that will never finish, past the abandoned-claim age.
    await gw.database.db
      .update(idempotencyKeys)
      .set({ state: 'in_progress', status: null, body: null, createdAt: new Date(0) })
      .where(eq(idempotencyKeys.key, 'book-crash-1'));

    const retried = await book(start, 'book-crash-1');

    expect(retried.status).toBe(201);
    expect(retried.headers.get('idempotent-replayed')).toBeNull();
    expect((retried.body as { id: string }).id).toBe((first.body as { id: string }).id);
    expect(await bookingsAt(start)).toBe(1);
    // The retry's answer is kept: a third attempt is a plain replay.
    const third = await book(start, 'book-crash-1');
    expect(third.headers.get('idempotent-replayed')).toBe('true');
    expect(third.body).toEqual(retried.body);
  });

  it('runs one of 10 concurrent requests with one key; the rest wait (409) or replay', async () => {
    const answers = await Promise.all(Array.from({ length: 10 }, () => book(starts[4], 'burst-1')));
    const created = answers.filter((a) => a.status === 201);
    const waiting = answers.filter((a) => a.status === 409);
    expect(created.length + waiting.length).toBe(10);
    expect(created.length).toBeGreaterThanOrEqual(1);
    const executed = created.filter((a) => a.headers.get('idempotent-replayed') !== 'true');
    expect(executed).toHaveLength(1);
    for (const answer of waiting)
      expect(answer.body).toMatchObject({ code: 'IDEMPOTENCY_IN_PROGRESS' });
    expect(await bookingsAt(starts[4])).toBe(1);
  });

  it('refuses the same key with another body (422) and changes nothing', async () => {
    await book(starts[8], 'reuse-1');
    const before = await bookingsAt(starts[10]);
    const reused = await book(starts[10], 'reuse-1');
    expect(reused.status).toBe(422);
    expect(reused.body).toMatchObject({ code: 'IDEMPOTENCY_KEY_REUSED' });
    expect(await bookingsAt(starts[10])).toBe(before);
  });

  it('takes the same JSON with its keys in another order as the same request', async () => {
    const start = starts.at(-3);
    const first = await book(start, 'reordered-1');
    expect(first.status).toBe(201);
    const reordered = await rest(gw, 'POST', '/v1/bookings', {
      token: gw.partnerA.token,
      headers: { 'idempotency-key': 'reordered-1' },
      body: { duration: 30, start, providerId: PROVIDER, patientId },
    });
    expect(reordered.status).toBe(201);
    expect(reordered.headers.get('idempotent-replayed')).toBe('true');
    expect(reordered.body).toEqual(first.body);
    expect(await bookingsAt(start)).toBe(1);
  });

  it('scopes keys to the credential and lets requests without a key run', async () => {
    const otherPartner = await rest(gw, 'POST', '/v1/patients', {
      token: gw.partnerB.token,
      headers: { 'idempotency-key': 'book-once-1' },
      body: {
        externalId: 'idem-b',
        givenName: 'Lina',
        familyName: 'Omar',
        birthDate: '1990-01-01',
        country: 'SA',
        timeZone: 'Asia/Riyadh',
      },
    });
    expect(otherPartner.status).toBe(201);
    expect(otherPartner.headers.get('idempotent-replayed')).toBeNull();
  });

  it('does not remember an answer worth retrying', async () => {
    gw.video.failNext = 1;
    const failed = await book(starts[12], 'retry-after-outage');
    expect(failed.status).toBe(503);
    const retried = await book(starts[12], 'retry-after-outage');
    expect(retried.status).toBe(201);
    expect(retried.headers.get('idempotent-replayed')).toBeNull();
  });
});
