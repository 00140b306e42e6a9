import { randomBytes } from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
import type { Booking, IdGenerator } from '@tahoon/core';
import { createBookingWrites } from '../src/db/booking-writes.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { webIds } from '../src/crypto.js';
import { createOutboxStore } from '../src/db/outbox.js';
import { bookings, events, outbox } from '../src/db/schema.js';
import { openPostgres } from '../src/node/database.js';
import { RETRY_POLICIES, UNKNOWN_TOPIC_DELAY_MS } from '../src/outbox/backoff.js';
import { createDispatcher } from '../src/outbox/dispatcher.js';
import { createOutboxRunner } from '../src/outbox/runner.js';
import {
  PermanentDeliveryError,
  RetryableDeliveryError,
  type OutboxHandler,
  type OutboxMessage,
  type OutboxTopic,
} from '../src/outbox/types.js';
import { createApp } from '../src/app.js';
import {
  captureLogs,
  createTestGateway,
  DB_KINDS,
  fixedClock,
  freshPostgres,
  rest,
  testConfig,
  testPhi,
  TEST_NOW,
  type TestGateway,
} from './harness.js';

const message = (topic: OutboxTopic, extra: Partial<OutboxMessage> = {}): OutboxMessage => ({
  id: webIds.next('obx'),
  topic,
  organizationId: null,
  payload: { n: 1 },
  ...extra,
});

/** A runner and dispatcher over a gateway's database, with handlers of the test's choosing. */
function harnessDispatcher(
  gw: TestGateway,
  handlers: Partial<Record<OutboxTopic, OutboxHandler>>,
  batchSize = 10,
) {
  const messages = gw.deps.outbox.messages;
  const runner = createOutboxRunner({
    messages,
    handlers,
    clock: gw.clock,
    log: gw.deps.logger,
    handlerTimeoutMs: 2_000,
    leaseMs: 60_000,
    // The longest backoff each time, so the test knows when a message is due again.
    random: () => 0.999_999,
  });
  const dispatcher = createDispatcher({
    messages,
    runner,
    clock: gw.clock,
    log: gw.deps.logger,
    batchSize,
    concurrency: 4,
    pollIntervalMs: 20,
  });
  return { messages, runner, dispatcher };
}

const rowOf = async (gw: TestGateway, id: string) => {
  const [row] = await gw.database.db.select().from(outbox).where(eq(outbox.id, id));
  if (!row) throw new Error(`no outbox row ${id}`);
  return row;
};

describe.each(DB_KINDS)('the outbox on %s', (kind) => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await createTestGateway(kind);
  });
  afterAll(() => gw?.close());

  it('retries with capped exponential backoff honouring Retry-After, then dead-letters', async () => {
    const failing = message('push.send');
    await gw.deps.outbox.messages.enqueue([failing], gw.clock.nowMs());
    const { dispatcher } = harnessDispatcher(gw, {
      'push.send': async () => {
        throw new RetryableDeliveryError('push service answered 503', { retryAfterMs: 45_000 });
      },
    });
    const policy = RETRY_POLICIES['push.send'];

    for (let attempt = 1; attempt <= policy.maxAttempts; attempt++) {
      const startedAt = gw.clock.nowMs();
      expect(await dispatcher.runOnce()).toBe(1);
      const row = await rowOf(gw, failing.id);
      expect(row.attempts).toBe(attempt);
      expect(row.leasedUntil).toBeNull();
      if (attempt === policy.maxAttempts) {
        expect(row.state).toBe('dead');
        break;
      }
      const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
      const waitMs = row.availableAt.getTime() - startedAt;
      expect(row.state).toBe('pending');
      expect(row.lastError).toContain('503');
      expect(waitMs).toBeGreaterThanOrEqual(45_000);
      expect(waitMs).toBeLessThanOrEqual(Math.max(ceiling, 45_000));
      // Not due before its backoff has passed.
      gw.clock.set(row.availableAt.getTime() - 1);
      expect(await dispatcher.runOnce()).toBe(0);
      gw.clock.set(row.availableAt.getTime());
    }
    gw.clock.set(TEST_NOW);
  });

  it('dead-letters a permanent failure at once, and replays it with attempts reset', async () => {
    const doomed = message('video.room.remove');
    await gw.deps.outbox.messages.enqueue([doomed], gw.clock.nowMs());
    let succeed = false;
    const calls: string[] = [];
    const { dispatcher, messages } = harnessDispatcher(gw, {
      'video.room.remove': async (record) => {
        calls.push(record.id);
        if (!succeed) throw new PermanentDeliveryError('room id unknown to the video service');
      },
    });

    await dispatcher.runOnce();
    const dead = await rowOf(gw, doomed.id);
    expect(dead).toMatchObject({ state: 'dead', attempts: 1 });
    expect((await messages.list({ state: 'dead', limit: 10 })).map((m) => m.id)).toContain(
      doomed.id,
    );
    expect(await dispatcher.runOnce()).toBe(0);

    succeed = true;
    const replayed = await messages.replay(doomed.id, gw.clock.nowMs());
    expect(replayed).toMatchObject({ state: 'pending', attempts: 0 });
    expect(await messages.replay(doomed.id, gw.clock.nowMs())).toBeNull();
    await dispatcher.runOnce();
    expect(await rowOf(gw, doomed.id)).toMatchObject({ state: 'delivered', attempts: 1 });
    expect(calls).toEqual([doomed.id, doomed.id]);
  });

  it('keeps a message with no handler pending, without counting the attempt', async () => {
    const orphan = message('webhook.deliver');
    await gw.deps.outbox.messages.enqueue([orphan], gw.clock.nowMs());
    const { dispatcher } = harnessDispatcher(gw, {});

    await dispatcher.runOnce();
    const row = await rowOf(gw, orphan.id);
    expect(row).toMatchObject({ state: 'pending', attempts: 0 });
    expect(row.availableAt.getTime()).toBe(gw.clock.nowMs() + UNKNOWN_TOPIC_DELAY_MS);
    expect(gw.logs.join('')).toContain('outbox topic has no handler');
    await gw.database.db.delete(outbox).where(eq(outbox.id, orphan.id));
  });

  it('does not let a failing topic hold up the others', async () => {
    const failing = Array.from({ length: 6 }, () => message('push.send'));
    await gw.deps.outbox.messages.enqueue(failing, gw.clock.nowMs() - 1000);
    const healthy = Array.from({ length: 3 }, () => message('booking.reminder'));
    await gw.deps.outbox.messages.enqueue(healthy, gw.clock.nowMs());
    const delivered: string[] = [];
    const { dispatcher } = harnessDispatcher(
      gw,
      {
        'push.send': async () => {
          throw new Error('push service down');
        },
        'booking.reminder': async (record) => void delivered.push(record.id),
      },
      3,
    );

    // Three batches of three: the failing six are pushed back, then the healthy three run.
    for (let i = 0; i < 3; i++) await dispatcher.runOnce();
    expect(delivered.sort()).toEqual(healthy.map((m) => m.id).sort());
    for (const m of failing) expect(await rowOf(gw, m.id)).toMatchObject({ state: 'pending' });
    await gw.database.db.delete(outbox).where(eq(outbox.topic, 'push.send'));
  });

  it('keeps one live message per dedupe key and revives a cancelled one', async () => {
    const key = `test:${webIds.next('req')}`;
    const first = message('booking.reminder', { dedupeKey: key, availableAtMs: TEST_NOW + 1 });
    await gw.deps.outbox.messages.enqueue([first], TEST_NOW);
    await gw.deps.outbox.messages.enqueue([{ ...message('booking.reminder'), dedupeKey: key }], 0);
    expect(
      await gw.database.db.select().from(outbox).where(eq(outbox.dedupeKey, key)),
    ).toHaveLength(1);

    expect(await gw.deps.outbox.messages.cancelByKeys([key], TEST_NOW)).toEqual([first.id]);
    expect((await rowOf(gw, first.id)).state).toBe('cancelled');
    const later = message('booking.reminder', { dedupeKey: key, availableAtMs: TEST_NOW + 5000 });
    await gw.deps.outbox.messages.enqueue([later], TEST_NOW);
    const revived = await rowOf(gw, first.id);
    expect(revived.state).toBe('pending');
    expect(revived.availableAt.getTime()).toBe(TEST_NOW + 5000);
  });

  it('rolls a booking back with its event and messages when any of its writes fails', async () => {
    // An event id already taken makes the transaction fail after the booking row is written.
    const takenEventId = webIds.next('evt');
    await gw.database.db.insert(events).values({
      id: takenEventId,
      organizationId: gw.partnerA.organizationId,
      type: 'booking.created',
      data: {},
      occurredAt: new Date(TEST_NOW),
    });
    const ids: IdGenerator = {
      next: (prefix) => (prefix === 'evt' ? takenEventId : webIds.next(prefix)),
    };
    const writes = createBookingWrites(gw.database.db, ids, () => undefined);
    const patient = await rest(gw, 'POST', '/v1/patients', {
      token: gw.partnerA.token,
      body: {
        externalId: `rollback-${kind}`,
        givenName: 'Dana',
        familyName: 'Aziz',
        birthDate: '1990-01-01',
        country: 'SA',
        timeZone: 'Asia/Riyadh',
      },
    });
    const booking: Booking = {
      id: webIds.next('bkg'),
      organizationId: gw.partnerA.organizationId,
      patientId: (patient.body as { id: string }).id,
      providerId: 'prv_sjnpfzd39nd2qv6w',
      status: 'pending',
      startMs: Date.parse('2027-03-15T09:00:00+03:00'),
      endMs: Date.parse('2027-03-15T09:30:00+03:00'),
      blockedUntilMs: Date.parse('2027-03-15T09:40:00+03:00'),
      duration: 30,
      price: { amount: 25000, currency: 'SAR' },
      video: null,
      cancellation: null,
      history: [],
      createdAtMs: TEST_NOW,
    };

    await expect(writes.hold(booking)).rejects.toThrow();

    expect(await gw.database.db.select().from(bookings).where(eq(bookings.id, booking.id))).toEqual(
      [],
    );
    const mentions = sql`${outbox.payload}->>'bookingId' = ${booking.id}`;
    expect(await gw.database.db.select().from(outbox).where(mentions)).toEqual([]);
    expect((await gw.database.db.select().from(events)).map((e) => e.id)).toEqual([takenEventId]);
    await gw.database.db.delete(events).where(eq(events.id, takenEventId));
  });

  it('finishes the batch in hand when stopped', async () => {
    const batch = Array.from({ length: 3 }, () => message('booking.reminder'));
    await gw.deps.outbox.messages.enqueue(batch, gw.clock.nowMs());
    let started = 0;
    let finished = 0;
    const { dispatcher } = harnessDispatcher(gw, {
      'booking.reminder': async () => {
        started++;
        await new Promise((resolve) => setTimeout(resolve, 200));
        finished++;
      },
    });

    dispatcher.start();
    while (started === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    await dispatcher.stop();

    expect(started).toBe(3);
    expect(finished).toBe(3);
    for (const m of batch) expect((await rowOf(gw, m.id)).state).toBe('delivered');
  });

  it('lets operators list and replay dead messages with their token only', async () => {
    const token = randomBytes(48).toString('base64url');
    const ops = createApp({ ...gw.deps, config: testConfig({ TAHOON_OPERATOR_TOKEN: token }) });
    const dead = message('video.room.remove');
    await gw.deps.outbox.messages.enqueue([dead], gw.clock.nowMs());
    await harnessDispatcher(gw, {
      'video.room.remove': async () => {
        throw new PermanentDeliveryError('refused');
      },
    }).dispatcher.runOnce();
    const auth = { authorization: `Bearer ${token}` };

    expect((await rest(gw, 'GET', '/ops/outbox?state=dead')).status).toBe(404);
    expect((await rest({ app: ops }, 'GET', '/ops/outbox?state=dead')).status).toBe(401);
    const partner = await rest({ app: ops }, 'GET', '/ops/outbox', { token: gw.partnerA.token });
    expect(partner.status).toBe(401);
    const bad = await rest({ app: ops }, 'GET', '/ops/outbox?state=nope', { headers: auth });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ errors: [{ pointer: '/state' }] });

    const list = await rest({ app: ops }, 'GET', '/ops/outbox?state=dead&limit=50', {
      headers: auth,
    });
    expect(list.status).toBe(200);
    const ids = (list.body as { data: { id: string; state: string }[] }).data.map((m) => m.id);
    expect(ids).toContain(dead.id);

    const replay = await rest({ app: ops }, 'POST', `/ops/outbox/${dead.id}/replay`, {
      headers: auth,
    });
    expect(replay.status).toBe(200);
    expect(replay.body).toMatchObject({ id: dead.id, state: 'pending', attempts: 0 });
    const again = await rest({ app: ops }, 'POST', `/ops/outbox/${dead.id}/replay`, {
      headers: auth,
    });
    expect(again.status).toBe(409);
    const missing = await rest({ app: ops }, 'POST', `/ops/outbox/obx_aaaaaaaaaaaaaaaa/replay`, {
      headers: auth,
    });
    expect(missing.status).toBe(404);
  });
});

describe('two dispatchers on one PostgreSQL', () => {
  it('deliver 1,000 messages, each exactly once', async () => {
    const { url, drop } = await freshPostgres();
    const phi = await testPhi();
    const first = openPostgres(url, phi, 5);
    await first.migrate();
    const second = openPostgres(url, phi, 5);
    const clock = fixedClock();
    const { logger } = captureLogs();
    const handled = new Map<string, string[]>();
    const record =
      (name: string): OutboxHandler =>
      async (m) => {
        handled.set(m.id, [...(handled.get(m.id) ?? []), name]);
        // A little work, so that both dispatchers have batches in flight together.
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 3));
      };
    const dispatcherOn = (db: typeof first.db, name: string) => {
      const messages = createOutboxStore(db);
      const runner = createOutboxRunner({
        messages,
        handlers: { 'event.publish': record(name) },
        clock,
        log: logger,
        handlerTimeoutMs: 5_000,
        leaseMs: 60_000,
      });
      return createDispatcher({
        messages,
        runner,
        clock,
        log: logger,
        batchSize: 25,
        concurrency: 5,
        pollIntervalMs: 10,
      });
    };
    try {
      const all = Array.from({ length: 1000 }, () => message('event.publish'));
      await createOutboxStore(first.db).enqueue(all, clock.nowMs());
      const a = dispatcherOn(first.db, 'a');
      const b = dispatcherOn(second.db, 'b');
      a.start();
      b.start();
      const deadline = Date.now() + 60_000;
      while (handled.size < 1000 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      await Promise.all([a.stop(), b.stop()]);

      expect(handled.size).toBe(1000);
      const twice = [...handled.values()].filter((names) => names.length > 1);
      expect(twice).toEqual([]);
      const by = [...handled.values()].map((names) => names[0]);
      expect(by.filter((n) => n === 'a').length).toBeGreaterThan(0);
      expect(by.filter((n) => n === 'b').length).toBeGreaterThan(0);
      const rows = await first.db.select().from(outbox);
      expect(rows.filter((r) => r.state === 'delivered')).toHaveLength(1000);
      expect(rows.every((r) => r.attempts === 1 && r.leasedUntil === null)).toBe(true);
    } finally {
      await second.close();
      await first.close();
      await drop();
    }
  }, 120_000);

  it("takes back a crashed dispatcher's rows once their lease runs out", async () => {
    const { url, drop } = await freshPostgres();
    const database = openPostgres(url, await testPhi(), 3);
    await database.migrate();
    const clock = fixedClock();
    try {
      const messages = createOutboxStore(database.db);
      const m = message('event.publish');
      await messages.enqueue([m], clock.nowMs());
      const [claimed] = await messages.claim({ limit: 10, leaseMs: 30_000, nowMs: clock.nowMs() });
      expect(claimed?.id).toBe(m.id);
      // The claimer "crashes": nobody else may take the row while its lease lasts.
      expect(await messages.claim({ limit: 10, leaseMs: 30_000, nowMs: clock.nowMs() })).toEqual(
        [],
      );
      clock.advance(30_000);
      const [again] = await messages.claim({ limit: 10, leaseMs: 30_000, nowMs: clock.nowMs() });
      expect(again).toMatchObject({ id: m.id, attempts: 2 });
      // The first claimer's late result is fenced off by the attempt count.
      if (!claimed || !again) throw new Error('unclaimed');
      expect(await messages.markDelivered(claimed, clock.nowMs())).toBe(false);
      expect(await messages.markDelivered(again, clock.nowMs())).toBe(true);
    } finally {
      await database.close();
      await drop();
    }
  });
});
