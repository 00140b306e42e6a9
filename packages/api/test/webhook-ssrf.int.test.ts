import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { webIds } from '../src/crypto.js';
import { webhookDeliveries, webhookEndpoints } from '../src/db/schema.js';
import { PermanentDeliveryError, type OutboxHandlers } from '../src/outbox/types.js';
import { createNotificationHandlers } from '../src/notifications/handlers.js';
import { createPush } from '../src/adapters/push/index.js';
import { createPinnedFetch } from '../src/webhooks/pinned-fetch.js';
import { createUrlGuard } from '../src/webhooks/ssrf.js';
import { fakeDns } from './fakes/dns.js';
import { createTestGateway, DB_KINDS, rest, type TestGateway } from './harness.js';
import { insertEvent, message, outboxContext, outboxRows, run } from './notifications-helpers.js';

const PUBLIC = '93.184.215.14';

/** Names the fake DNS answers: forbidden addresses behind innocent-looking names. */
const DNS_TABLE = {
  'public.partner.example': [PUBLIC],
  'private.partner.example': ['10.1.2.3'],
  'mixed.partner.example': [PUBLIC, '192.168.0.10'],
  'v6private.partner.example': ['fd12::1'],
  'mapped.partner.example': ['::ffff:169.254.169.254'],
  'loopback.partner.example': ['127.0.0.1'],
};

/** Every form a partner might use to aim the gateway inside a network, and one that is not a URL. */
const REFUSED_URLS = [
  'http://public.partner.example/hook',
  'https://127.0.0.1/hook',
  'https://127.1/hook',
  'https://2130706433/hook',
  'https://0x7f000001/hook',
  'https://017700000001/hook',
  'https://0177.0.0.1/hook',
  'https://0x7f.1/hook',
  'https://0/hook',
  'https://0.0.0.0/hook',
  'https://10.0.0.1/hook',
  'https://172.16.5.4/hook',
  'https://192.168.1.1/hook',
  'https://169.254.169.254/latest/meta-data/',
  'https://100.64.0.1/hook',
  'https://224.0.0.1/hook',
  'https://255.255.255.255/hook',
  'https://[::1]/hook',
  'https://[::]/hook',
  'https://[::ffff:127.0.0.1]/hook',
  'https://[::ffff:7f00:1]/hook',
  'https://[::ffff:a9fe:a9fe]/hook',
  'https://[fd00:ec2::254]/hook',
  'https://[fe80::1]/hook',
  'https://[fc00::1]/hook',
  'https://localhost/hook',
  'https://api.localhost/hook',
  'https://localhost./hook',
  'https://metadata.google.internal/computeMetadata/v1/',
  'https://printer.local/hook',
  'https://intranet/hook',
  'https://user:secret@public.partner.example/hook',
  'https://public.partner.example:22/hook',
  'https://private.partner.example/hook',
  'https://mixed.partner.example/hook',
  'https://v6private.partner.example/hook',
  'https://mapped.partner.example/hook',
  'https://loopback.partner.example/hook',
  'https://nxdomain.partner.example/hook',
  'file:///etc/passwd',
  'not a url',
];

describe.each(DB_KINDS)('webhook URLs the gateway refuses, on %s', (kind) => {
  let gw: TestGateway;
  const dns = fakeDns({
    ...DNS_TABLE,
    // Public when registered, private when delivered to: DNS rebinding.
    'rebind.partner.example': [[PUBLIC], ['10.9.8.7']],
    'rebind6.partner.example': [[PUBLIC], ['::1']],
    'rebindmeta.partner.example': [[PUBLIC], ['169.254.169.254']],
  });

  beforeAll(async () => {
    gw = await createTestGateway(kind, { webhookResolver: dns.resolve });
  });
  afterAll(() => gw?.close());

  const endpointCount = async () =>
    (
      await gw.database.db
        .select()
        .from(webhookEndpoints)
        .where(eq(webhookEndpoints.organizationId, gw.partnerA.organizationId))
    ).length;

  it('has a corpus of at least 25 forms', () => {
    expect(REFUSED_URLS.length).toBeGreaterThanOrEqual(25);
  });

  it.each(REFUSED_URLS)('refuses %s at registration with a 400 naming url', async (url) => {
    const before = await endpointCount();
    const answer = await rest(gw, 'POST', '/v1/webhook-endpoints', {
      token: gw.partnerA.token,
      body: { url },
    });
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({
      code: 'VALIDATION_FAILED',
      errors: [expect.objectContaining({ pointer: '/url' })],
    });
    expect(JSON.stringify(answer.body)).not.toMatch(/at .*\.ts:\d+/);
    expect(await endpointCount()).toBe(before);
  });

  it('accepts a public https URL, and refuses a private one in a change', async () => {
    const created = await rest(gw, 'POST', '/v1/webhook-endpoints', {
      token: gw.partnerA.token,
      body: { url: 'https://public.partner.example/hook' },
    });
    expect(created.status).toBe(201);
    const id = (created.body as { id: string }).id;
    const patched = await rest(gw, 'PATCH', `/v1/webhook-endpoints/${id}`, {
      token: gw.partnerA.token,
      body: { url: 'https://169.254.169.254/' },
    });
    expect(patched.status).toBe(400);
    expect(patched.body).toMatchObject({ errors: [expect.objectContaining({ pointer: '/url' })] });
    const [row] = await gw.database.db
      .select()
      .from(webhookEndpoints)
      .where(eq(webhookEndpoints.id, id));
    expect(row?.url).toBe('https://public.partner.example/hook');
  });

  describe('at delivery', () => {
    let handlers: OutboxHandlers;
    const requested: string[] = [];

    beforeAll(() => {
      const guard = createUrlGuard({ resolve: dns.resolve });
      const pinned = createPinnedFetch({ resolve: dns.resolve });
      handlers = createNotificationHandlers({
        store: gw.deps.store,
        ids: webIds,
        logger: gw.deps.logger,
        push: createPush({}),
        // Records any request that got past the guard; none may.
        fetch: (url, init) => {
          requested.push(url);
          return pinned(url, init);
        },
        guard,
        timeoutMs: 2_000,
      });
    });

    it.each(['rebind', 'rebind6', 'rebindmeta'])(
      'sends nothing when %s.partner.example now resolves inside the network',
      async (name) => {
        const created = await rest(gw, 'POST', '/v1/webhook-endpoints', {
          token: gw.partnerA.token,
          body: { url: `https://${name}.partner.example/hook` },
        });
        expect(created.status).toBe(201);
        const endpointId = (created.body as { id: string }).id;
        const eventId = await insertEvent(gw, gw.partnerA.organizationId, 'booking.confirmed', {
          bookingId: webIds.next('bkg'),
        });
        await run(handlers, message('event.publish', { eventId }), outboxContext(gw));
        const [queued] = (await outboxRows(gw, 'webhook.deliver')).filter(
          (row) => row.payload.endpointId === endpointId,
        );
        expect(queued).toBeDefined();

        await expect(run(handlers, queued!, outboxContext(gw))).rejects.toBeInstanceOf(
          PermanentDeliveryError,
        );
        expect(requested).toEqual([]);
        const attempts = await gw.database.db
          .select()
          .from(webhookDeliveries)
          .where(eq(webhookDeliveries.endpointId, endpointId));
        expect(attempts).toMatchObject([{ eventId, status: null, error: 'url_refused' }]);
      },
    );
  });
});
