import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestGateway, DB_KINDS, rest, type TestGateway } from './harness.js';

/** Asia/Riyadh psychiatrist licensed in SA and AE, offering 30 and 60 minutes. */
const RIYADH_PROVIDER = 'prv_rpqgmzb9h4zhrq46';

describe.each(DB_KINDS)('the partner journey on %s', (kind) => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await createTestGateway(kind);
  });
  afterAll(() => gw?.close());

  it('goes from token to cancelled booking', async () => {
    const basic = btoa(`${gw.partnerA.clientId}:${gw.partnerA.clientSecret}`);
    const token = await rest(gw, 'POST', '/v1/oauth/token', {
      headers: {
        authorization: `Basic ${basic}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'grant_type=client_credentials',
    });
    expect(token.status).toBe(200);
    expect(token.headers.get('cache-control')).toBe('no-store');
    const { access_token: accessToken } = token.body as { access_token: string };

    const patient = await rest(gw, 'POST', '/v1/patients', {
      token: accessToken,
      body: {
        externalId: 'member-1',
        givenName: 'Noura',
        familyName: 'Saleh',
        birthDate: '1991-07-14',
        country: 'SA',
        timeZone: 'Asia/Riyadh',
      },
    });
    expect(patient.status).toBe(201);
    const patientId = (patient.body as { id: string }).id;

    const search = await rest(gw, 'GET', '/v1/providers?region=SA&language=ar&limit=5', {
      token: accessToken,
    });
    expect(search.status).toBe(200);
    expect((search.body as { data: unknown[] }).data.length).toBeGreaterThan(0);

    const slots = await rest(
      gw,
      'GET',
      `/v1/providers/${RIYADH_PROVIDER}/slots?from=2027-03-02T00:00:00Z&to=2027-03-09T00:00:00Z&duration=60&timeZone=Asia/Riyadh`,
      { token: accessToken },
    );
    expect(slots.status).toBe(200);
    const first = (slots.body as { data: { start: string }[] }).data[0];
    expect(first?.start).toMatch(/\+03:00$/);

    const booking = await rest(gw, 'POST', '/v1/bookings', {
      token: accessToken,
      body: { patientId, providerId: RIYADH_PROVIDER, start: first?.start, duration: 60 },
    });
    expect(booking.status).toBe(201);
    const created = booking.body as { id: string; status: string; video: { roomId: string } };
    expect(created.status).toBe('confirmed');
    expect(gw.video.live()).toContain(created.video.roomId);

    const got = await rest(gw, 'GET', `/v1/bookings/${created.id}`, { token: accessToken });
    expect(got.body).toEqual(booking.body);

    const listed = await rest(gw, 'GET', `/v1/bookings?patientId=${patientId}`, {
      token: accessToken,
    });
    expect((listed.body as { data: { id: string }[] }).data.map((b) => b.id)).toEqual([created.id]);

    const cancelled = await rest(gw, 'POST', `/v1/bookings/${created.id}/cancel`, {
      token: accessToken,
      body: { reason: 'Feeling better' },
    });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toMatchObject({
      status: 'cancelled',
      cancellation: { by: 'partner', late: false },
    });
    expect(gw.video.live()).not.toContain(created.video.roomId);
  });
});
