import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestGateway, rest, type TestGateway } from './harness.js';

const PROVIDER = 'prv_sjnpfzd39nd2qv6w';
const CANARY = {
  externalId: 'canary-ext-7731',
  givenName: 'Canarygiven',
  familyName: 'Canaryfamily',
  email: 'canary.patient@example.org',
  phone: '+966500007731',
  birthDate: '1979-11-23',
  country: 'SA',
  timeZone: 'Asia/Riyadh',
};
const REASON = 'Canary reason about my health';

describe('request logs', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await createTestGateway('pglite');
  });
  afterAll(() => gw?.close());

  it('hold ids, one line per request, and no patient data', async () => {
    const token = gw.partnerA.token;
    const created = await rest(gw, 'POST', '/v1/patients', { token, body: CANARY });
    const patientId = (created.body as { id: string }).id;
    await rest(gw, 'PATCH', `/v1/patients/${patientId}`, {
      token,
      body: { givenName: 'Canarynew' },
    });
    await rest(gw, 'POST', '/v1/patients', { token, body: { ...CANARY, givenName: 5 } });
    await rest(gw, 'GET', `/v1/patients?externalId=${CANARY.externalId}`, { token });
    const slots = await rest(
      gw,
      'GET',
      `/v1/providers/${PROVIDER}/slots?from=2027-03-02T00:00:00Z&to=2027-03-05T00:00:00Z&duration=50`,
      { token },
    );
    const start = (slots.body as { data: { start: string }[] }).data[0]?.start;
    const booking = await rest(gw, 'POST', '/v1/bookings', {
      token,
      body: { patientId, providerId: PROVIDER, start, duration: 50 },
    });
    const bookingId = (booking.body as { id: string }).id;
    await rest(gw, 'POST', `/v1/bookings/${bookingId}/cancel`, { token, body: { reason: REASON } });

    const all = gw.logs.join('');
    for (const value of [...Object.values(CANARY).slice(0, 5), 'Canarynew', REASON]) {
      expect(all, `log contains ${value}`).not.toContain(value);
    }

    const entries = gw.logs.map((line) => JSON.parse(line) as Record<string, unknown>);
    const requestLines = entries.filter((e) => e.msg === 'request');
    expect(requestLines).toHaveLength(7);
    for (const line of requestLines) {
      expect(line).toMatchObject({
        requestId: expect.stringMatching(/^req_/),
        status: expect.any(Number),
      });
      expect(typeof line.durationMs).toBe('number');
    }
    expect(entries.every((e) => typeof e.requestId === 'string')).toBe(true);
    expect(entries.some((e) => e.msg === 'booking confirmed' && e.bookingId === bookingId)).toBe(
      true,
    );
  });

  it('accepts a well-formed inbound request id and replaces a hostile one', async () => {
    const kept = await rest(gw, 'GET', '/health', {
      headers: { 'x-request-id': 'partner-trace-0001' },
    });
    expect(kept.headers.get('x-request-id')).toBe('partner-trace-0001');
    const replaced = await rest(gw, 'GET', '/health', {
      headers: { 'x-request-id': '"><script>alert(1)' },
    });
    expect(replaced.headers.get('x-request-id')).toMatch(/^req_/);
  });
});
