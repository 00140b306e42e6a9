/**
 * The booking flow end to end with partners listening: a booking, its cancellation and their
 * events reach a partner's webhook endpoint through the outbox dispatcher, signed as Standard
 * Webhooks, once per event with the event's id as `webhook-id`; the patient's device gets a
 * notification record; and nothing about the patient travels with either.
 */
import { eq } from 'drizzle-orm';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { events, notifications, outbox } from '../src/db/schema.js';
import { patientInput } from './acceptance.js';
import { fakeDns } from './fakes/dns.js';
import { startFakePartnerEndpoint, type FakePartnerEndpoint } from './fakes/partner-endpoint.js';
import { createTestGateway, DB_KINDS, rest, type TestGateway } from './harness.js';

/** Riyadh, Monday to Thursday 09:00–13:00 and 16:00–20:00. */
const PROVIDER = 'prv_sjnpfzd39nd2qv6w';
const START = '2027-03-02T10:00:00+03:00';
const CANARY = {
  givenName: 'Qamarzad',
  familyName: 'Velloriant',
  email: 'qamarzad.velloriant@canary.example',
};
const DEVICE = 'flowDevice:APA91bFlowRegistrationToken';

describe.each(DB_KINDS)('booking events reach partners on %s', (kind) => {
  let gw: TestGateway;
  let partner: FakePartnerEndpoint;
  let secret: string;
  const dns = fakeDns({ 'hooks.partner.example': ['127.0.0.1'] });

  beforeAll(async () => {
    gw = await createTestGateway(kind, {
      config: { TAHOON_WEBHOOK_ALLOW_LOCAL: 'true' },
      webhookResolver: dns.resolve,
    });
    partner = await startFakePartnerEndpoint({ secrets: [] });
    const url = partner.url.replace('127.0.0.1', 'hooks.partner.example');
    const endpoint = await rest(gw, 'POST', '/v1/webhook-endpoints', {
      token: gw.partnerA.token,
      body: { url },
    });
    expect(endpoint.status, JSON.stringify(endpoint.body)).toBe(201);
    secret = (endpoint.body as { secret: string }).secret;
    partner.useSecrets([secret]);
  });
  afterAll(async () => {
    await partner?.close();
    await gw?.close();
  });

  /** Runs the dispatcher until nothing is due. */
  async function drain(): Promise<void> {
    for (let round = 0; round < 20; round++) {
      if ((await gw.deps.outbox.dispatcher.runOnce()) === 0) return;
    }
    throw new Error('the outbox did not settle');
  }

  it('delivers each booking event once, signed, thin, with the event id as webhook-id', async () => {
    const token = gw.partnerA.token;
    const patient = await rest(gw, 'POST', '/v1/patients', {
      token,
      body: { ...patientInput('flow-1'), ...CANARY },
    });
    expect(patient.status).toBe(201);
    const patientId = (patient.body as { id: string }).id;
    const device = await rest(gw, 'PUT', `/v1/patients/${patientId}/devices/${DEVICE}`, {
      token,
      body: { platform: 'android' },
    });
    expect(device.status, JSON.stringify(device.body)).toBe(200);

    const booked = await rest(gw, 'POST', '/v1/bookings', {
      token,
      body: { patientId, providerId: PROVIDER, start: START, duration: 50 },
    });
    expect(booked.status, JSON.stringify(booked.body)).toBe(201);
    const bookingId = (booked.body as { id: string }).id;
    const cancelled = await rest(gw, 'POST', `/v1/bookings/${bookingId}/cancel`, {
      token,
      body: { reason: 'Patient asked to move the session' },
    });
    expect(cancelled.status).toBe(200);
    await drain();
    // A second pass finds nothing more to send: no event goes out twice.
    await drain();

    const written = await gw.database.db
      .select()
      .from(events)
      .where(eq(events.organizationId, gw.partnerA.organizationId));
    const ofBooking = written.filter((event) => event.data.bookingId === bookingId);
    expect(ofBooking.map((event) => event.type).sort()).toEqual([
      'booking.cancelled',
      'booking.confirmed',
      'booking.created',
    ]);

    const received = partner.deliveries();
    const ids = received.map((delivery) => delivery.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.sort()).toEqual(ofBooking.map((event) => event.id).sort());
    const verifier = new Webhook(secret);
    for (const delivery of received) {
      expect(delivery.verified, delivery.verifyError).toBe(true);
      expect(() => verifier.verify(delivery.body, delivery.headers)).not.toThrow();
      expect(() =>
        verifier.verify(delivery.body.replace(bookingId, 'bkg_tampered00000000'), delivery.headers),
      ).toThrow();
      const body = JSON.parse(delivery.body) as { type: string; data: Record<string, string> };
      expect(body.data.bookingId).toBe(bookingId);
      for (const value of Object.values(CANARY)) expect(delivery.body).not.toContain(value);
    }

    // The patient's phone: no FCM here, so each push is recorded as undeliverable, not dropped.
    const pushes = await gw.database.db
      .select()
      .from(notifications)
      .where(eq(notifications.organizationId, gw.partnerA.organizationId));
    const ofThisBooking = pushes.filter((row) =>
      ofBooking.some((event) => event.id === row.eventId),
    );
    expect(ofThisBooking.length).toBeGreaterThanOrEqual(2);
    expect(new Set(ofThisBooking.map((row) => row.state))).toEqual(new Set(['undeliverable']));
    for (const value of Object.values(CANARY)) {
      expect(JSON.stringify(pushes)).not.toContain(value);
    }

    // Every message the flow wrote is settled: delivered, or cancelled with the booking.
    const rows = await gw.database.db.select().from(outbox);
    const unsettled = rows.filter(
      (row) => row.state === 'pending' && row.availableAt.getTime() <= gw.clock.nowMs(),
    );
    expect(unsettled).toEqual([]);
    for (const line of gw.logs) {
      for (const value of Object.values(CANARY)) expect(line).not.toContain(value);
    }
  });
});

describe.each(DB_KINDS)('one failing partner on %s', (kind) => {
  let gw: TestGateway;
  let healthy: FakePartnerEndpoint;
  let hanging: FakePartnerEndpoint;
  const dns = fakeDns({ 'hooks.partner.example': ['127.0.0.1'] });

  beforeAll(async () => {
    gw = await createTestGateway(kind, {
      config: { TAHOON_WEBHOOK_ALLOW_LOCAL: 'true', TAHOON_WEBHOOK_TIMEOUT_MS: '1000' },
      webhookResolver: dns.resolve,
    });
    healthy = await startFakePartnerEndpoint({ secrets: [] });
    hanging = await startFakePartnerEndpoint({ secrets: [] });
    hanging.answerAlways('hang');
    for (const partner of [healthy, hanging]) {
      const url = partner.url.replace('127.0.0.1', 'hooks.partner.example');
      const endpoint = await rest(gw, 'POST', '/v1/webhook-endpoints', {
        token: gw.partnerA.token,
        body: { url },
      });
      expect(endpoint.status).toBe(201);
      partner.useSecrets([(endpoint.body as { secret: string }).secret]);
    }
  });
  afterAll(async () => {
    await healthy?.close();
    await hanging?.close();
    await gw?.close();
  });

  it('holds up no other endpoint: the hung one times out and waits for its retry', async () => {
    const token = gw.partnerA.token;
    const patient = await rest(gw, 'POST', '/v1/patients', { token, body: patientInput('hang-1') });
    const booked = await rest(gw, 'POST', '/v1/bookings', {
      token,
      body: {
        patientId: (patient.body as { id: string }).id,
        providerId: PROVIDER,
        start: START,
        duration: 50,
      },
    });
    expect(booked.status).toBe(201);
    for (let round = 0; round < 5; round++) {
      if ((await gw.deps.outbox.dispatcher.runOnce()) === 0) break;
    }

    expect(
      healthy
        .deliveries()
        .map((d) => JSON.parse(d.body).type)
        .sort(),
    ).toEqual(['booking.confirmed', 'booking.created']);
    // The hung endpoint was tried, timed out, and each of its deliveries waits for a retry.
    expect(hanging.deliveries().length).toBeGreaterThan(0);
    const rows = await gw.database.db.select().from(outbox);
    const waiting = rows.filter(
      (row) => row.topic === 'webhook.deliver' && row.state === 'pending',
    );
    expect(waiting).toHaveLength(2);
    for (const row of waiting) {
      expect(row.attempts).toBe(1);
      expect(row.availableAt.getTime()).toBeGreaterThan(gw.clock.nowMs());
    }
  });
});
