import { and, eq } from 'drizzle-orm';
import { exportPKCS8, generateKeyPair } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createPush, type PushSender } from '../src/adapters/push/index.js';
import { webIds } from '../src/crypto.js';
import { devices, notifications } from '../src/db/schema.js';
import { RetryableDeliveryError, type OutboxHandlers } from '../src/outbox/types.js';
import { fakeDns } from './fakes/dns.js';
import { startFakeFcm, type FakeFcm } from './fakes/fcm-server.js';
import { startFakePartnerEndpoint } from './fakes/partner-endpoint.js';
import { createTestGateway, DB_KINDS, rest, type TestGateway } from './harness.js';
import {
  insertEvent,
  message,
  outboxContext,
  outboxRows,
  run,
  testHandlers,
} from './notifications-helpers.js';

const PROJECT = 'tahoon-push-test';
const CLIENT_EMAIL = 'push@tahoon-push-test.iam.gserviceaccount.com';

/** Values that must never leave the database: a seeded patient's details. */
const CANARY = {
  externalId: 'canary-ext-7731',
  givenName: 'Zanubiya',
  familyName: 'Qarawenfeld',
  birthDate: '1979-02-13',
  country: 'SA',
  timeZone: 'Asia/Riyadh',
  email: 'zanubiya.canary@example.org',
  phone: '+966500007731',
};

const DEVICE_TOKEN = 'fcmCanaryDevice:APA91bHunDreDsOfCharactersOfRegistrationToken_7731';

describe.each(DB_KINDS)('push notifications on %s', (kind) => {
  let gw: TestGateway;
  let fcm: FakeFcm;
  let sender: PushSender;
  let patientId: string;
  const dns = fakeDns({});

  beforeAll(async () => {
    gw = await createTestGateway(kind, { config: { TAHOON_WEBHOOK_ALLOW_LOCAL: 'true' } });
    const keys = await generateKeyPair('RS256', { extractable: true });
    fcm = await startFakeFcm({
      projectId: PROJECT,
      clientEmail: CLIENT_EMAIL,
      publicKey: keys.publicKey,
      retryAfterS: 30,
    });
    sender = createPush({
      fcm: {
        serviceAccount: {
          project_id: PROJECT,
          client_email: CLIENT_EMAIL,
          private_key: await exportPKCS8(keys.privateKey),
          token_uri: fcm.tokenUri,
        },
        apiBase: fcm.url,
        requestTimeoutMs: 2_000,
      },
      logger: gw.deps.logger,
    });
    const created = await rest(gw, 'POST', '/v1/patients', {
      token: gw.partnerA.token,
      body: CANARY,
    });
    patientId = (created.body as { id: string }).id;
  });
  afterAll(async () => {
    await fcm?.close();
    await gw?.close();
  });
  afterEach(async () => {
    await gw.database.db.delete(devices).where(eq(devices.patientId, patientId));
  });

  const handlersWith = (push: PushSender): OutboxHandlers =>
    testHandlers(gw, { resolve: dns.resolve, push });

  async function registerDevice(token = DEVICE_TOKEN, platform = 'android') {
    const answer = await rest(
      gw,
      'PUT',
      `/v1/patients/${patientId}/devices/${encodeURIComponent(token)}`,
      { token: gw.partnerA.token, body: { platform } },
    );
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    return answer.body as { id: string };
  }

  /** Publishes a booking event for the canary patient; answers its queued push message. */
  async function publish(
    handlers: OutboxHandlers,
    type: 'booking.confirmed' | 'booking.rescheduled' = 'booking.confirmed',
  ) {
    const eventId = await insertEvent(gw, gw.partnerA.organizationId, type, {
      bookingId: webIds.next('bkg'),
      patientId,
      providerId: 'prv_sjnpfzd39nd2qv6w',
    });
    await run(handlers, message('event.publish', { eventId }), outboxContext(gw));
    const queued = (await outboxRows(gw, 'push.send')).filter(
      (row) => row.payload.eventId === eventId,
    );
    expect(queued).toHaveLength(1);
    return { eventId, send: () => run(handlers, queued[0]!, outboxContext(gw)) };
  }

  const notificationsOf = (eventId: string) =>
    gw.database.db.select().from(notifications).where(eq(notifications.eventId, eventId));

  it('registers a device idempotently, seals its token, and removes it', async () => {
    const first = await registerDevice();
    const again = await registerDevice(DEVICE_TOKEN, 'ios');
    expect(again.id).toBe(first.id);
    const rows = await gw.database.db
      .select()
      .from(devices)
      .where(eq(devices.patientId, patientId));
    expect(rows).toHaveLength(1);
    expect(rows[0]?.platform).toBe('ios');
    expect(JSON.stringify(rows)).not.toContain(DEVICE_TOKEN);

    const path = `/v1/patients/${patientId}/devices/${encodeURIComponent(DEVICE_TOKEN)}`;
    const removed = await rest(gw, 'DELETE', path, { token: gw.partnerA.token });
    expect(removed.status).toBe(200);
    expect(
      await gw.database.db.select().from(devices).where(eq(devices.patientId, patientId)),
    ).toEqual([]);
    const twice = await rest(gw, 'DELETE', path, { token: gw.partnerA.token });
    expect(twice.status).toBe(404);
  });

  it("answers 404 for another organization's patient and writes nothing", async () => {
    const path = `/v1/patients/${patientId}/devices/${encodeURIComponent(DEVICE_TOKEN)}`;
    const put = await rest(gw, 'PUT', path, { token: gw.partnerB.token, body: {} });
    expect(put.status).toBe(404);
    expect(put.body).toMatchObject({ code: 'NOT_FOUND' });
    expect(
      await gw.database.db.select().from(devices).where(eq(devices.patientId, patientId)),
    ).toEqual([]);
    await registerDevice();
    const del = await rest(gw, 'DELETE', path, { token: gw.partnerB.token });
    expect(del.status).toBe(404);
    expect(
      await gw.database.db.select().from(devices).where(eq(devices.patientId, patientId)),
    ).toHaveLength(1);
  });

  it('sends a PHI-free notification through FCM and records it sent', async () => {
    await registerDevice();
    const { eventId, send } = await publish(handlersWith(sender));
    const before = fcm.messages().length;
    await send();

    const sent = fcm.messages().slice(before);
    expect(sent).toHaveLength(1);
    expect(sent[0]?.message).toMatchObject({
      token: DEVICE_TOKEN,
      notification: { title: 'Your session is confirmed' },
      data: { type: 'booking.confirmed' },
    });
    expect(await notificationsOf(eventId)).toMatchObject([{ state: 'sent', attempts: 1 }]);
    // A second run of the same message (a dispatcher retry) does not notify twice.
    await send();
    expect(fcm.messages().length - before).toBe(1);
  });

  it.each([
    ['503', 'UNAVAILABLE'],
    ['429', 'QUOTA_EXCEEDED'],
    ['500', 'INTERNAL'],
  ] as const)('retries after a %s and then delivers', async (mode, code) => {
    await registerDevice();
    const { eventId, send } = await publish(handlersWith(sender));
    fcm.failNext(1, mode);

    const error = await send().catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(RetryableDeliveryError);
    if (mode === '429') expect((error as RetryableDeliveryError).retryAfterMs).toBe(30_000);
    expect(await notificationsOf(eventId)).toMatchObject([{ state: 'retrying', detail: code }]);

    await send();
    expect(await notificationsOf(eventId)).toMatchObject([{ state: 'sent', attempts: 2 }]);
  });

  it('does not retry an answer that will not change', async () => {
    await registerDevice();
    const { eventId, send } = await publish(handlersWith(sender));
    fcm.failNext(1, 'invalid-argument');
    await send();
    expect(await notificationsOf(eventId)).toMatchObject([
      { state: 'failed', detail: 'INVALID_ARGUMENT' },
    ]);
  });

  it('removes a device token FCM no longer knows', async () => {
    const device = await registerDevice('stale:APA91bTokenOfAnUninstalledApp');
    fcm.unregister('stale:APA91bTokenOfAnUninstalledApp');
    const { eventId, send } = await publish(handlersWith(sender));
    await send();
    expect(await gw.database.db.select().from(devices).where(eq(devices.id, device.id))).toEqual(
      [],
    );
    expect(await notificationsOf(eventId)).toMatchObject([
      { deviceId: device.id, state: 'token_removed', detail: 'UNREGISTERED' },
    ]);
  });

  it('records the notification as undeliverable when FCM is not configured', async () => {
    await registerDevice();
    const { eventId, send } = await publish(handlersWith(createPush({ logger: gw.deps.logger })));
    await send();
    expect(await notificationsOf(eventId)).toMatchObject([
      { state: 'undeliverable', detail: 'push not configured' },
    ]);
  });

  it('queues no push for an event that is not a booking notification or has no devices', async () => {
    const handlers = handlersWith(sender);
    const eventId = await insertEvent(gw, gw.partnerA.organizationId, 'booking.completed', {
      bookingId: webIds.next('bkg'),
      patientId,
    });
    await registerDevice();
    await run(handlers, message('event.publish', { eventId }), outboxContext(gw));
    const noDevice = await insertEvent(gw, gw.partnerA.organizationId, 'booking.confirmed', {
      bookingId: webIds.next('bkg'),
      patientId: webIds.next('pat'),
    });
    await run(handlers, message('event.publish', { eventId: noDevice }), outboxContext(gw));
    const queued = (await outboxRows(gw, 'push.send')).map((row) => row.payload.eventId);
    expect(queued).not.toContain(eventId);
    expect(queued).not.toContain(noDevice);
  });

  it('keeps patient details and device tokens out of webhooks, pushes and logs', async () => {
    await registerDevice();
    const partner = await startFakePartnerEndpoint({ secrets: [] });
    try {
      const endpoint = await rest(gw, 'POST', '/v1/webhook-endpoints', {
        token: gw.partnerA.token,
        body: { url: partner.url },
      });
      const { id: endpointId, secret } = endpoint.body as { id: string; secret: string };
      partner.useSecrets([secret]);
      const handlers = handlersWith(sender);
      const before = fcm.requests().length;
      const { eventId, send } = await publish(handlers, 'booking.rescheduled');
      await send();
      const [delivery] = (await outboxRows(gw, 'webhook.deliver')).filter(
        (row) => row.payload.eventId === eventId && row.payload.endpointId === endpointId,
      );
      await run(handlers, delivery!, outboxContext(gw));

      const webhookBodies = partner.deliveries().map((d) => d.body);
      expect(webhookBodies).toHaveLength(1);
      const pushBodies = fcm
        .requests()
        .slice(before)
        .map((request) => request.body);
      expect(pushBodies.length).toBeGreaterThan(0);
      const outgoing = [...webhookBodies, ...pushBodies].join('\n');
      const logs = gw.logs.join('\n');
      for (const value of Object.values(CANARY).filter(
        (v) => v.length > 3 && v !== 'Asia/Riyadh',
      )) {
        expect(outgoing).not.toContain(value);
        expect(logs).not.toContain(value);
      }
      expect(logs).not.toContain(DEVICE_TOKEN);
      expect(logs).not.toContain(encodeURIComponent(DEVICE_TOKEN));
      const sealed = await gw.database.db
        .select()
        .from(notifications)
        .where(and(eq(notifications.eventId, eventId)));
      expect(JSON.stringify(sealed)).not.toContain(DEVICE_TOKEN);
    } finally {
      await partner.close();
    }
  });
});
