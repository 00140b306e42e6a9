import { events } from '../src/db/schema.js';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bookings } from '../src/db/schema.js';
import { createTestGateway, DB_KINDS, rest, TEST_NOW, type TestGateway } from './harness.js';

/** Asia/Riyadh, 30 and 50 minutes, Sunday to Thursday 09–13 and 16–20, buffer 10. */
const PROVIDER = 'prv_sjnpfzd39nd2qv6w';

interface BookingBody {
  id: string;
  status: string;
  start: string;
  end: string;
  duration: number;
  video: { roomId: string };
  history: { start: string; end: string }[];
}

describe.each(DB_KINDS)('rescheduling on %s', (kind) => {
  let gw: TestGateway;
  let patientId: string;

  beforeAll(async () => {
    gw = await createTestGateway(kind);
    const patient = await rest(gw, 'POST', '/v1/patients', {
      token: gw.partnerA.token,
      body: {
        externalId: 'move-1',
        givenName: 'Reem',
        familyName: 'Nasser',
        birthDate: '1993-09-09',
        country: 'SA',
        timeZone: 'Asia/Riyadh',
      },
    });
    patientId = (patient.body as { id: string }).id;
  });
  afterAll(() => gw?.close());

  const token = () => gw.partnerA.token;
  const book = async (start: string, duration = 30) =>
    (await rest(gw, 'POST', '/v1/bookings', {
      token: token(),
      body: { patientId, providerId: PROVIDER, start, duration },
    })) as { status: number; body: BookingBody };
  const move = (id: string, body: Record<string, unknown>, as = token()) =>
    rest(gw, 'POST', `/v1/bookings/${id}/reschedule`, { token: as, body });
  const freeStarts = async () => {
    const slots = await rest(
      gw,
      'GET',
      `/v1/providers/${PROVIDER}/slots?from=2027-03-08T00:00:00Z&to=2027-03-09T00:00:00Z&duration=30`,
      { token: token() },
    );
    return (slots.body as { data: { start: string }[] }).data.map((s) => Date.parse(s.start));
  };

  it('moves a booking under the same id, keeps its room and frees the old slot', async () => {
    const first = await book('2027-03-08T09:00:00+03:00');
    expect(first.status).toBe(201);
    const moved = await move(first.body.id, { start: '2027-03-08T16:00:00+03:00', duration: 50 });
    expect(moved.status).toBe(200);
    const body = moved.body as BookingBody;
    expect(body).toMatchObject({ id: first.body.id, status: 'confirmed', duration: 50 });
    expect(Date.parse(body.start)).toBe(Date.parse('2027-03-08T16:00:00+03:00'));
    expect(body.video.roomId).toBe(first.body.video.roomId);
    expect(body.history).toEqual([
      {
        start: first.body.start,
        end: first.body.end,
        changedAt: new Date(TEST_NOW).toISOString().replace('.000', ''),
      },
    ]);
    const starts = await freeStarts();
    expect(starts).toContain(Date.parse('2027-03-08T09:00:00+03:00'));
    expect(starts).not.toContain(Date.parse('2027-03-08T16:00:00+03:00'));
  });

  it('changes nothing when moved to where it already is', async () => {
    const first = await book('2027-03-11T09:00:00+03:00');
    expect(first.status).toBe(201);
    const eventsBefore = await gw.database.db.select().from(events);
    const same = await move(first.body.id, { start: '2027-03-11T06:00:00Z' });
    expect(same.status).toBe(200);
    expect((same.body as BookingBody).history).toEqual([]);
    expect(same.body).toEqual(first.body);
    expect(await gw.database.db.select().from(events)).toHaveLength(eventsBefore.length);
  });

  it('refuses a taken slot with 409 and changes nothing', async () => {
    const other = await gw.newPartner('Other clinic');
    const otherPatient = await rest(gw, 'POST', '/v1/patients', {
      token: other.token,
      body: {
        externalId: 'move-2',
        givenName: 'Sami',
        familyName: 'Fahad',
        birthDate: '1980-01-01',
        country: 'SA',
        timeZone: 'Asia/Riyadh',
      },
    });
    const taken = await rest(gw, 'POST', '/v1/bookings', {
      token: other.token,
      body: {
        patientId: (otherPatient.body as { id: string }).id,
        providerId: PROVIDER,
        start: '2027-03-08T11:00:00+03:00',
        duration: 30,
      },
    });
    expect(taken.status).toBe(201);
    const mine = await book('2027-03-08T12:00:00+03:00');
    const [before] = await gw.database.db
      .select()
      .from(bookings)
      .where(eq(bookings.id, mine.body.id));

    const refused = await move(mine.body.id, { start: '2027-03-08T11:00:00+03:00' });
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ code: 'SLOT_UNAVAILABLE' });
    const [after] = await gw.database.db
      .select()
      .from(bookings)
      .where(eq(bookings.id, mine.body.id));
    expect(after).toEqual(before);
  });

  it('refuses cancelled and started bookings, and another organization gets 404', async () => {
    const booked = await book('2027-03-09T09:00:00+03:00');
    const foreign = await move(
      booked.body.id,
      { start: '2027-03-09T10:00:00+03:00' },
      gw.partnerB.token,
    );
    expect(foreign.status).toBe(404);

    gw.clock.set(Date.parse('2027-03-09T09:10:00+03:00'));
    const basic = btoa(`${gw.partnerA.clientId}:${gw.partnerA.clientSecret}`);
    const fresh = await rest(gw, 'POST', '/v1/oauth/token', {
      headers: {
        authorization: `Basic ${basic}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'grant_type=client_credentials',
    });
    const later = (fresh.body as { access_token: string }).access_token;
    const started = await move(booked.body.id, { start: '2027-03-09T16:00:00+03:00' }, later);
    expect(started.body).toMatchObject({ code: 'INVALID_STATE' });
    gw.clock.set(TEST_NOW);

    await rest(gw, 'POST', `/v1/bookings/${booked.body.id}/cancel`, { token: token() });
    const cancelled = await move(booked.body.id, { start: '2027-03-09T16:00:00+03:00' });
    expect(cancelled.status).toBe(409);
    expect(cancelled.body).toMatchObject({ code: 'INVALID_STATE' });
  });

  it('releases holds left pending by a crash, and only those', async () => {
    const held = await gw.deps.store.bookings.insertIfFree({
      id: 'bkg_heldbycrash2222',
      organizationId: gw.partnerA.organizationId,
      patientId,
      providerId: PROVIDER,
      status: 'pending',
      startMs: Date.parse('2027-03-10T09:00:00+03:00'),
      endMs: Date.parse('2027-03-10T09:30:00+03:00'),
      blockedUntilMs: Date.parse('2027-03-10T09:40:00+03:00'),
      duration: 30,
      price: { amount: 25000, currency: 'SAR' },
      video: null,
      cancellation: null,
      history: [],
      createdAtMs: TEST_NOW - 10 * 60_000,
    });
    expect(held.ok).toBe(true);
    const released = await gw.deps.store.bookings.expireHolds(TEST_NOW - 5 * 60_000, TEST_NOW);
    expect(released).toEqual(['bkg_heldbycrash2222']);
    const [row] = await gw.database.db
      .select()
      .from(bookings)
      .where(eq(bookings.id, 'bkg_heldbycrash2222'));
    expect(row?.status).toBe('failed');
    expect(await gw.deps.store.bookings.expireHolds(TEST_NOW - 5 * 60_000, TEST_NOW)).toEqual([]);
  });
});
