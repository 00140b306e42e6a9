import { eq } from 'drizzle-orm';
import { Webhook } from 'standardwebhooks';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { webIds } from '../src/crypto.js';
import { webhookDeliveries, webhookEndpoints } from '../src/db/schema.js';
import type { OutboxHandlers } from '../src/outbox/types.js';
import { PermanentDeliveryError, RetryableDeliveryError } from '../src/outbox/types.js';
import { signWebhook } from '../src/webhooks/signing.js';
import { fakeDns } from './fakes/dns.js';
import { startFakePartnerEndpoint, type FakePartnerEndpoint } from './fakes/partner-endpoint.js';
import { createTestGateway, DB_KINDS, rest, TEST_NOW, type TestGateway } from './harness.js';
import {
  insertEvent,
  message,
  outboxContext,
  outboxRows,
  run,
  testHandlers,
} from './notifications-helpers.js';

interface Created {
  id: string;
  secret: string;
  enabled: boolean;
  disabledReason: string | null;
}

const HOUR = 3_600_000;

const ids = () => ({
  bookingId: webIds.next('bkg'),
  patientId: webIds.next('pat'),
  providerId: webIds.next('prv'),
});

describe.each(DB_KINDS)('webhooks on %s', (kind) => {
  let gw: TestGateway;
  let handlers: OutboxHandlers;
  let partner: FakePartnerEndpoint | undefined;
  const dns = fakeDns({
    'hooks.partner.example': ['127.0.0.1'],
    // Public-looking at registration, then a private address: a DNS-rebinding endpoint.
    'rebind.partner.example': [['127.0.0.1'], ['10.0.0.7']],
  });

  beforeAll(async () => {
    gw = await createTestGateway(kind, {
      config: { TAHOON_WEBHOOK_ALLOW_LOCAL: 'true' },
      webhookResolver: dns.resolve,
    });
    handlers = testHandlers(gw, { resolve: dns.resolve });
  });
  afterAll(() => gw?.close());
  afterEach(async () => {
    await partner?.close();
    partner = undefined;
    // Tests that move time move it back, so the partners' access tokens stay valid.
    gw.clock.set(TEST_NOW);
  });

  async function register(body: Record<string, unknown>, token = gw.partnerA.token) {
    const answer = await rest(gw, 'POST', '/v1/webhook-endpoints', { token, body });
    expect(answer.status, JSON.stringify(answer.body)).toBe(201);
    return answer.body as Created;
  }

  async function partnerWithEndpoint(body: Record<string, unknown> = {}) {
    const started = await startFakePartnerEndpoint({ secrets: [] });
    partner = started;
    const endpoint = await register({ url: started.url, ...body });
    started.useSecrets([endpoint.secret]);
    return { endpoint, partner: started };
  }

  /** Publishes an event and runs the deliveries it queued for one endpoint, once each. */
  async function publishAndDeliver(endpointId: string, type = 'booking.confirmed' as const) {
    const eventId = await insertEvent(gw, gw.partnerA.organizationId, type, ids());
    await run(handlers, message('event.publish', { eventId }), outboxContext(gw));
    const queued = (await outboxRows(gw, 'webhook.deliver')).filter(
      (row) => row.payload.eventId === eventId && row.payload.endpointId === endpointId,
    );
    expect(queued).toHaveLength(1);
    return { eventId, deliver: () => run(handlers, queued[0]!, outboxContext(gw)) };
  }

  async function attemptsOf(endpointId: string) {
    return gw.database.db
      .select()
      .from(webhookDeliveries)
      .where(eq(webhookDeliveries.endpointId, endpointId))
      .orderBy(webhookDeliveries.attempt);
  }

  it('registers, reads, lists, changes and removes an endpoint; the secret is shown once', async () => {
    const created = await register({
      url: 'https://hooks.partner.example:8443/tahoon',
      description: 'CRM sync',
      eventTypes: ['booking.confirmed', 'booking.cancelled'],
    });
    expect(created.secret).toMatch(/^whsec_/);
    const read = await rest(gw, 'GET', `/v1/webhook-endpoints/${created.id}`, {
      token: gw.partnerA.token,
    });
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ id: created.id, enabled: true, description: 'CRM sync' });
    expect(JSON.stringify(read.body)).not.toContain('whsec_');

    // At rest the secret is sealed, never the plain whsec_ value.
    const [row] = await gw.database.db
      .select()
      .from(webhookEndpoints)
      .where(eq(webhookEndpoints.id, created.id));
    expect(row?.secret).toMatch(/^v1\./);
    expect(row?.secret).not.toContain(created.secret.slice(6));

    const patched = await rest(gw, 'PATCH', `/v1/webhook-endpoints/${created.id}`, {
      token: gw.partnerA.token,
      body: { enabled: false, eventTypes: null },
    });
    expect(patched.body).toMatchObject({
      enabled: false,
      disabledReason: 'manual',
      eventTypes: null,
    });

    const listed = await rest(gw, 'GET', '/v1/webhook-endpoints', { token: gw.partnerA.token });
    expect((listed.body as { data: { id: string }[] }).data.map((e) => e.id)).toContain(created.id);

    const removed = await rest(gw, 'DELETE', `/v1/webhook-endpoints/${created.id}`, {
      token: gw.partnerA.token,
    });
    expect(removed.status).toBe(200);
    const gone = await gw.database.db
      .select()
      .from(webhookEndpoints)
      .where(eq(webhookEndpoints.id, created.id));
    expect(gone).toHaveLength(0);
  });

  it("answers 404 for another organization's endpoint, whatever the operation", async () => {
    const theirs = await register({ url: 'https://hooks.partner.example/b' }, gw.partnerB.token);
    const token = gw.partnerA.token;
    const calls = [
      rest(gw, 'GET', `/v1/webhook-endpoints/${theirs.id}`, { token }),
      rest(gw, 'PATCH', `/v1/webhook-endpoints/${theirs.id}`, { token, body: { enabled: false } }),
      rest(gw, 'DELETE', `/v1/webhook-endpoints/${theirs.id}`, { token }),
      rest(gw, 'POST', `/v1/webhook-endpoints/${theirs.id}/rotate-secret`, { token, body: {} }),
      rest(gw, 'GET', `/v1/webhook-endpoints/${theirs.id}/deliveries`, { token }),
    ];
    for (const answer of await Promise.all(calls)) {
      expect(answer.status).toBe(404);
      expect(answer.body).toMatchObject({ code: 'NOT_FOUND' });
    }
    const listed = await rest(gw, 'GET', '/v1/webhook-endpoints', { token });
    expect(JSON.stringify(listed.body)).not.toContain(theirs.id);
    const [row] = await gw.database.db
      .select()
      .from(webhookEndpoints)
      .where(eq(webhookEndpoints.id, theirs.id));
    expect(row?.disabledReason).toBeNull();
  });

  it('delivers a thin payload that verifies with standardwebhooks, and records the attempt', async () => {
    const { endpoint, partner } = await partnerWithEndpoint();
    const { eventId, deliver } = await publishAndDeliver(endpoint.id);
    await deliver();

    const [received] = partner.deliveries();
    expect(received?.verified).toBe(true);
    expect(received?.id).toBe(eventId);
    const body = JSON.parse(received?.body ?? '{}');
    expect(Object.keys(body).sort()).toEqual(['data', 'timestamp', 'type']);
    expect(Object.keys(body.data).sort()).toEqual(['bookingId', 'patientId', 'providerId']);

    const verifier = new Webhook(endpoint.secret);
    const headers = received?.headers ?? {};
    expect(() => verifier.verify(received?.body ?? '', headers)).not.toThrow();
    expect(() => verifier.verify(`${received?.body} `, headers)).toThrow();
    const staleS = Math.floor(Date.now() / 1000) - 600;
    const stale = signWebhook({
      id: eventId,
      timestampS: staleS,
      body: received?.body ?? '',
      secrets: [endpoint.secret],
    });
    expect(() => verifier.verify(received?.body ?? '', stale)).toThrow(/too old/i);

    const attempts = await attemptsOf(endpoint.id);
    expect(attempts).toMatchObject([{ eventId, attempt: 1, status: 204, error: null }]);
  });

  it('sends only the event types an endpoint asked for, and nothing to a disabled one', async () => {
    const picky = await register({
      url: 'https://hooks.partner.example/picky',
      eventTypes: ['booking.cancelled'],
    });
    const off = await register({ url: 'https://hooks.partner.example/off' });
    await rest(gw, 'PATCH', `/v1/webhook-endpoints/${off.id}`, {
      token: gw.partnerA.token,
      body: { enabled: false },
    });
    const eventId = await insertEvent(gw, gw.partnerA.organizationId, 'booking.confirmed', ids());
    const context = outboxContext(gw);
    await run(handlers, message('event.publish', { eventId }), context);
    // Published twice (a dispatcher crash and retry): the dedupe key keeps one row per endpoint.
    await run(handlers, message('event.publish', { eventId }), context);

    const queued = (await outboxRows(gw, 'webhook.deliver')).filter(
      (row) => row.payload.eventId === eventId,
    );
    const targets = queued.map((row) => row.payload.endpointId);
    expect(targets).not.toContain(picky.id);
    expect(targets).not.toContain(off.id);
    expect(new Set(targets).size).toBe(targets.length);
  });

  it('signs with both secrets during a rotation, then with the new one only', async () => {
    const { endpoint, partner } = await partnerWithEndpoint();
    const rotated = await rest(gw, 'POST', `/v1/webhook-endpoints/${endpoint.id}/rotate-secret`, {
      token: gw.partnerA.token,
      body: { overlapSeconds: 3600 },
    });
    expect(rotated.status).toBe(200);
    const fresh = (rotated.body as Created).secret;
    expect(fresh).not.toBe(endpoint.secret);

    // A partner still on the old secret verifies during the overlap…
    partner.useSecrets([endpoint.secret]);
    const first = await publishAndDeliver(endpoint.id);
    await first.deliver();
    const during = partner.deliveries().at(-1);
    expect(during?.verified).toBe(true);
    expect(during?.signature?.split(' ')).toHaveLength(2);
    expect(() =>
      new Webhook(fresh).verify(during?.body ?? '', during?.headers ?? {}),
    ).not.toThrow();

    // …and after it only the new secret signs.
    gw.clock.advance(HOUR + 1);
    partner.useSecrets([fresh]);
    const second = await publishAndDeliver(endpoint.id);
    await second.deliver();
    const after = partner.deliveries().at(-1);
    expect(after?.verified).toBe(true);
    expect(after?.signature?.split(' ')).toHaveLength(1);
    expect(() =>
      new Webhook(endpoint.secret).verify(after?.body ?? '', after?.headers ?? {}),
    ).toThrow();
  });

  it('retries through an hour of 500s and delivers once the partner recovers, same webhook-id', async () => {
    const { endpoint, partner } = await partnerWithEndpoint();
    partner.answerAlways({ status: 500 });
    const { eventId, deliver } = await publishAndDeliver(endpoint.id);
    const outageEndsAt = gw.clock.nowMs() + HOUR;

    let delivered = false;
    for (let attempt = 1; attempt <= 10 && !delivered; attempt++) {
      if (gw.clock.nowMs() >= outageEndsAt) partner.answerAlways('ok');
      try {
        await deliver();
        delivered = true;
      } catch (error) {
        expect(error).toBeInstanceOf(RetryableDeliveryError);
        gw.clock.advance((error as RetryableDeliveryError).retryAfterMs ?? 0);
      }
    }

    expect(delivered).toBe(true);
    const received = partner.deliveries();
    expect(received.length).toBeGreaterThanOrEqual(4);
    expect(new Set(received.map((d) => d.id))).toEqual(new Set([eventId]));
    expect(received.at(-1)?.verified).toBe(true);
    const attempts = await attemptsOf(endpoint.id);
    expect(attempts.map((a) => a.status)).toEqual([...received.slice(0, -1).map(() => 500), 204]);
    const [row] = await gw.database.db
      .select()
      .from(webhookEndpoints)
      .where(eq(webhookEndpoints.id, endpoint.id));
    expect(row).toMatchObject({ consecutiveFailures: 0, failingSince: null, disabledReason: null });
  });

  it('honours Retry-After when the partner asks for a longer wait', async () => {
    const { endpoint, partner } = await partnerWithEndpoint();
    partner.answerNext(1, { status: 429, retryAfterS: 7200 });
    const { deliver } = await publishAndDeliver(endpoint.id);
    const error = await deliver().catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(RetryableDeliveryError);
    expect((error as RetryableDeliveryError).retryAfterMs).toBe(7_200_000);
  });

  it('disables an endpoint that answers 410 and sends it nothing more until re-enabled', async () => {
    const { endpoint, partner } = await partnerWithEndpoint();
    partner.answerNext(1, { status: 410 });
    const first = await publishAndDeliver(endpoint.id);
    await expect(first.deliver()).rejects.toBeInstanceOf(PermanentDeliveryError);

    const read = await rest(gw, 'GET', `/v1/webhook-endpoints/${endpoint.id}`, {
      token: gw.partnerA.token,
    });
    expect(read.body).toMatchObject({ enabled: false, disabledReason: 'gone' });

    const eventId = await insertEvent(gw, gw.partnerA.organizationId, 'booking.confirmed', ids());
    await run(handlers, message('event.publish', { eventId }), outboxContext(gw));
    const queued = (await outboxRows(gw, 'webhook.deliver')).filter(
      (row) => row.payload.eventId === eventId && row.payload.endpointId === endpoint.id,
    );
    expect(queued).toHaveLength(0);
    expect(partner.deliveries()).toHaveLength(1);

    const enabled = await rest(gw, 'PATCH', `/v1/webhook-endpoints/${endpoint.id}`, {
      token: gw.partnerA.token,
      body: { enabled: true },
    });
    expect(enabled.body).toMatchObject({ enabled: true, consecutiveFailures: 0 });
    const again = await publishAndDeliver(endpoint.id);
    await again.deliver();
    expect(partner.deliveries().at(-1)?.id).toBe(again.eventId);
  });

  it('disables an endpoint after days of continuous failures', async () => {
    const { endpoint, partner } = await partnerWithEndpoint();
    partner.answerAlways({ status: 503 });
    let last: unknown;
    for (let i = 0; i < 12 && !(last instanceof PermanentDeliveryError); i++) {
      const { deliver } = await publishAndDeliver(endpoint.id);
      last = await deliver().catch((thrown: unknown) => thrown);
      gw.clock.advance(12 * HOUR);
    }
    expect(last).toBeInstanceOf(PermanentDeliveryError);
    const [row] = await gw.database.db
      .select()
      .from(webhookEndpoints)
      .where(eq(webhookEndpoints.id, endpoint.id));
    expect(row?.disabledReason).toBe('sustained_failure');
    expect(row?.consecutiveFailures).toBeGreaterThanOrEqual(10);
  });

  it('makes no request when the name now resolves to a private address, and logs the attempt', async () => {
    const started = await startFakePartnerEndpoint({ secrets: [] });
    partner = started;
    const endpoint = await register({ url: `http://rebind.partner.example:${started.port}/hook` });
    started.useSecrets([endpoint.secret]);
    const { deliver } = await publishAndDeliver(endpoint.id);

    await expect(deliver()).rejects.toBeInstanceOf(PermanentDeliveryError);
    expect(started.deliveries()).toHaveLength(0);
    const attempts = await attemptsOf(endpoint.id);
    expect(attempts).toMatchObject([{ attempt: 1, status: null, error: 'url_refused' }]);
  });

  it('redelivers one event on request, and lists the attempts newest first', async () => {
    const { endpoint, partner } = await partnerWithEndpoint();
    const { eventId, deliver } = await publishAndDeliver(endpoint.id);
    await deliver();
    gw.clock.advance(60_000);

    const answer = await rest(gw, 'POST', `/v1/events/${eventId}/redeliver`, {
      token: gw.partnerA.token,
      body: { endpointId: endpoint.id },
    });
    expect(answer.body).toEqual({ queued: 1 });
    const queued = (await outboxRows(gw, 'webhook.deliver')).filter(
      (row) => row.payload.eventId === eventId && row.payload.endpointId === endpoint.id,
    );
    expect(queued).toHaveLength(2);
    await run(handlers, queued[1]!, outboxContext(gw));
    expect(partner.deliveries().map((d) => d.id)).toEqual([eventId, eventId]);

    const page = await rest(gw, 'GET', `/v1/webhook-endpoints/${endpoint.id}/deliveries?limit=1`, {
      token: gw.partnerA.token,
    });
    const body = page.body as { data: { attempt: number }[]; nextCursor: string };
    expect(body.data).toMatchObject([{ attempt: 2 }]);
    const next = await rest(
      gw,
      'GET',
      `/v1/webhook-endpoints/${endpoint.id}/deliveries?limit=1&cursor=${body.nextCursor}`,
      { token: gw.partnerA.token },
    );
    expect((next.body as typeof body).data).toMatchObject([{ attempt: 1 }]);

    const foreign = await rest(gw, 'POST', `/v1/events/${eventId}/redeliver`, {
      token: gw.partnerB.token,
      body: {},
    });
    expect(foreign.status).toBe(404);
  });

  it('replays a range of events to one endpoint', async () => {
    const endpoint = await register({ url: 'https://hooks.partner.example/replay' });
    const org = gw.partnerA.organizationId;
    const first = await insertEvent(gw, org, 'booking.confirmed', ids());
    const second = await insertEvent(gw, org, 'booking.cancelled', ids());
    const third = await insertEvent(gw, org, 'booking.rescheduled', ids());
    const fourth = await insertEvent(gw, org, 'booking.completed', ids());

    const answer = await rest(gw, 'POST', `/v1/webhook-endpoints/${endpoint.id}/replay`, {
      token: gw.partnerA.token,
      body: { after: first, before: fourth },
    });
    expect(answer.body).toEqual({ queued: 2 });
    const replayed = (await outboxRows(gw, 'webhook.deliver'))
      .filter((row) => row.payload.endpointId === endpoint.id)
      .map((row) => String(row.payload.eventId));
    expect(replayed.sort()).toEqual([second, third].sort());
  });
});
