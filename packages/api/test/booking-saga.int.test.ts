import { and, eq, lt, sql } from 'drizzle-orm';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createVideoSdkRooms } from '../src/adapters/video/index.js';
import { resilientVideo } from '../src/adapters/video/resilient.js';
import { bookings, events, outbox } from '../src/db/schema.js';
import { createPolicy } from '../src/resilience/policies.js';
import { startFakeVideoSdk, type FailureMode, type FakeVideoSdk } from './fakes/videosdk-server.js';
import {
  ADMIN_URL,
  captureLogs,
  createTestGateway,
  DB_KINDS,
  rest,
  TEST_NOW,
  type DbKind,
  type TestGateway,
} from './harness.js';

/** Asia/Riyadh, 30 and 50 minutes, Sunday to Thursday 09–13 and 16–20, buffer 10. */
const PROVIDER = 'prv_sjnpfzd39nd2qv6w';
const HOLD_TTL_MS = 120_000;
const HOUR = 3_600_000;

interface BookingBody {
  id: string;
  status: string;
  start: string;
  video: { roomId: string } | null;
}

const FAKE = { apiKey: 'tahoon-test-key', secret: 'a-long-secret-for-the-fake-videosdk-account' };

/** A gateway whose outbox makes rooms on the fake VideoSDK, with no in-process retries. */
async function sagaGateway(kind: DbKind, fake: FakeVideoSdk): Promise<TestGateway> {
  const { logger } = captureLogs();
  const rooms = createVideoSdkRooms({ ...FAKE, apiBase: fake.url, timeoutMs: 1_500 });
  // Retries are left to the outbox here, so each fault is seen by the saga itself.
  const policy = createPolicy(
    'videosdk',
    {
      maxRetries: 0,
      attemptTimeoutMs: 2_000,
      breaker: { kind: 'consecutive', failures: 1_000, halfOpenAfterMs: 1_000 },
    },
    logger,
  );
  return createTestGateway(kind, { outboxVideo: resilientVideo(rooms, policy) });
}

describe.each(DB_KINDS)('the booking saga on %s', (kind) => {
  let gw: TestGateway;
  let fake: FakeVideoSdk;
  let patientId: string;

  beforeAll(async () => {
    fake = await startFakeVideoSdk(FAKE);
    gw = await sagaGateway(kind, fake);
    const patient = await rest(gw, 'POST', '/v1/patients', {
      token: gw.partnerA.token,
      body: {
        externalId: 'saga-1',
        givenName: 'Lama',
        familyName: 'Harbi',
        birthDate: '1990-02-02',
        country: 'SA',
        timeZone: 'Asia/Riyadh',
      },
    });
    patientId = (patient.body as { id: string }).id;
  });
  afterAll(async () => {
    await gw?.close();
    await fake?.close();
  });
  afterEach(async () => {
    await drain();
    await assertInvariants();
    gw.clock.set(TEST_NOW);
  });

  const book = async (start: string) =>
    (await rest(gw, 'POST', '/v1/bookings', {
      token: gw.partnerA.token,
      body: { patientId, providerId: PROVIDER, start, duration: 30 },
    })) as { status: number; body: BookingBody };

  /** Runs the dispatcher until nothing is due. */
  const drain = async () => {
    while ((await gw.deps.outbox.dispatcher.runOnce()) > 0);
  };

  const rowOf = async (id: string) => {
    const [row] = await gw.database.db.select().from(bookings).where(eq(bookings.id, id));
    if (!row) throw new Error(`no booking ${id}`);
    return row;
  };
  const eventTypes = async (bookingId: string) =>
    (
      await gw.database.db
        .select()
        .from(events)
        .where(sql`${events.data}->>'bookingId' = ${bookingId}`)
        .orderBy(events.sequence)
    ).map((e) => e.type);
  const messagesOf = async (bookingId: string) =>
    gw.database.db
      .select()
      .from(outbox)
      .where(sql`${outbox.payload}->>'bookingId' = ${bookingId}`);
  const roomsOf = (bookingId: string) => fake.rooms().filter((r) => r.customRoomId === bookingId);
  const liveRoomsOf = (bookingId: string) => roomsOf(bookingId).filter((r) => !r.disabled);

  /**
   * Once the outbox is drained: every confirmed booking has exactly one live room, the one it
   * records; no other booking has a live room; no hold is older than its TTL.
   */
  async function assertInvariants() {
    const rows = await gw.database.db.select().from(bookings);
    for (const row of rows) {
      const live = liveRoomsOf(row.id);
      if (row.status === 'confirmed') {
        expect(live.map((r) => r.roomId)).toEqual([row.roomId]);
      } else {
        expect(live).toEqual([]);
      }
    }
    const staleHolds = await gw.database.db
      .select()
      .from(bookings)
      .where(
        and(
          eq(bookings.status, 'pending'),
          lt(bookings.createdAt, new Date(gw.clock.nowMs() - HOLD_TTL_MS)),
        ),
      );
    expect(staleHolds).toEqual([]);
  }

  it('confirms at once with a healthy video service, with events and reminders in the outbox', async () => {
    const created = await book('2027-03-08T09:00:00+03:00');
    expect(created.status).toBe(201);
    expect(created.body.status).toBe('confirmed');
    expect(liveRoomsOf(created.body.id)).toHaveLength(1);
    expect(await eventTypes(created.body.id)).toEqual(['booking.created', 'booking.confirmed']);

    const messages = await messagesOf(created.body.id);
    const startMs = Date.parse('2027-03-08T09:00:00+03:00');
    expect(messages.find((m) => m.topic === 'video.room.create')?.state).toBe('delivered');
    const reminders = messages.filter((m) => m.topic === 'booking.reminder');
    expect(reminders.map((m) => [m.state, m.availableAt.getTime()]).sort()).toEqual(
      [
        ['pending', startMs - 24 * HOUR],
        ['pending', startMs - HOUR],
      ].sort(),
    );
  });

  for (const mode of ['503', 'timeout', 'reset', 'lost'] as FailureMode[]) {
    it(`answers 202 on a ${mode} from VideoSDK, then the dispatcher confirms with one room`, async () => {
      const start = {
        '503': '2027-03-08T10:00:00+03:00',
        timeout: '2027-03-08T11:00:00+03:00',
        reset: '2027-03-08T12:00:00+03:00',
        lost: '2027-03-08T16:00:00+03:00',
      }[mode as '503'];
      fake.failNext(1, mode);
      const accepted = await book(start);

      expect(accepted.status).toBe(202);
      expect(accepted.body).toMatchObject({ status: 'pending', video: null });
      const id = accepted.body.id;
      const [creation] = (await messagesOf(id)).filter((m) => m.topic === 'video.room.create');
      expect(creation).toMatchObject({ state: 'pending', attempts: 1 });
      expect(creation?.lastError).toBeTruthy();
      expect(await eventTypes(id)).toEqual(['booking.created']);

      gw.clock.advance(30_000);
      await drain();

      const row = await rowOf(id);
      expect(row.status).toBe('confirmed');
      expect(roomsOf(id)).toHaveLength(1);
      expect(row.roomId).toBe(roomsOf(id)[0]?.roomId);
      expect(await eventTypes(id)).toEqual(['booking.created', 'booking.confirmed']);
    });
  }

  it('fails a hold past its TTL after a lost answer, and removes the unseen room', async () => {
    fake.failNext(1, 'lost');
    const accepted = await book('2027-03-08T17:00:00+03:00');
    expect(accepted.status).toBe(202);
    const id = accepted.body.id;
    expect(liveRoomsOf(id)).toHaveLength(1);

    gw.clock.advance(HOLD_TTL_MS + 1);
    const now = gw.clock.nowMs();
    expect(await gw.deps.outbox.bookings.expireHolds(now - HOLD_TTL_MS, now)).toEqual([id]);
    expect((await rowOf(id)).status).toBe('failed');
    const messages = await messagesOf(id);
    expect(messages.find((m) => m.topic === 'video.room.create')?.state).toBe('cancelled');
    expect(messages.find((m) => m.topic === 'video.room.remove')?.payload).toEqual({
      bookingId: id,
      roomId: null,
    });
    expect(await eventTypes(id)).toEqual(['booking.created', 'booking.failed']);

    await drain();
    expect(roomsOf(id)).toHaveLength(1);
    expect(liveRoomsOf(id)).toEqual([]);
    // The slot is free again.
    expect((await book('2027-03-08T17:00:00+03:00')).status).toBe(201);
  });

  it('fails the booking when room creation dead-letters, releasing the slot', async () => {
    fake.failNext(8, '503');
    const accepted = await book('2027-03-08T18:00:00+03:00');
    expect(accepted.status).toBe(202);
    const id = accepted.body.id;
    for (let i = 0; i < 10 && (await rowOf(id)).status === 'pending'; i++) {
      gw.clock.advance(25_000);
      await gw.deps.outbox.dispatcher.runOnce();
    }

    expect((await rowOf(id)).status).toBe('failed');
    const [creation] = (await messagesOf(id)).filter((m) => m.topic === 'video.room.create');
    expect(creation).toMatchObject({ state: 'dead', attempts: 8 });
    expect(await eventTypes(id)).toEqual(['booking.created', 'booking.failed']);
    const busy = await gw.deps.store.bookings.busy(
      PROVIDER,
      Date.parse('2027-03-08T18:00:00+03:00'),
      Date.parse('2027-03-08T18:30:00+03:00'),
    );
    expect(busy).toEqual([]);
  });

  it('removes the room of a booking cancelled while its room was being made', async () => {
    fake.failNext(1, 'lost');
    const accepted = await book('2027-03-08T19:00:00+03:00');
    expect(accepted.status).toBe(202);
    const id = accepted.body.id;
    const cancelled = await rest(gw, 'POST', `/v1/bookings/${id}/cancel`, {
      token: gw.partnerA.token,
      body: {},
    });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toMatchObject({ status: 'cancelled' });
    expect(await eventTypes(id)).toEqual(['booking.created', 'booking.cancelled']);
    expect(liveRoomsOf(id)).toEqual([]);
  });

  it('schedules, moves and cancels reminders with the booking, and sends a due one', async () => {
    const created = await book('2027-03-09T09:00:00+03:00');
    expect(created.status).toBe(201);
    const id = created.body.id;
    const moved = await rest(gw, 'POST', `/v1/bookings/${id}/reschedule`, {
      token: gw.partnerA.token,
      body: { start: '2027-03-10T10:00:00+03:00' },
    });
    expect(moved.status).toBe(200);

    const newStart = Date.parse('2027-03-10T10:00:00+03:00');
    const reminders = (await messagesOf(id)).filter((m) => m.topic === 'booking.reminder');
    const byState = (state: string) =>
      reminders
        .filter((m) => m.state === state)
        .map((m) => m.availableAt.getTime())
        .sort();
    const oldStart = Date.parse('2027-03-09T09:00:00+03:00');
    expect(byState('cancelled')).toEqual([oldStart - 24 * HOUR, oldStart - HOUR]);
    expect(byState('pending')).toEqual([newStart - 24 * HOUR, newStart - HOUR]);
    expect(await eventTypes(id)).toEqual([
      'booking.created',
      'booking.confirmed',
      'booking.rescheduled',
    ]);

    gw.clock.set(newStart - 24 * HOUR);
    await drain();
    expect((await eventTypes(id)).at(-1)).toBe('booking.reminder');
    // Back to a time at which the partner's token is valid.
    gw.clock.set(TEST_NOW);

    const cancelled = await rest(gw, 'POST', `/v1/bookings/${id}/cancel`, {
      token: gw.partnerA.token,
      body: {},
    });
    expect(cancelled.status).toBe(200);
    const after = (await messagesOf(id)).filter((m) => m.topic === 'booking.reminder');
    expect(after.filter((m) => m.state === 'pending')).toEqual([]);
    expect(after.filter((m) => m.state === 'delivered')).toHaveLength(1);
    expect(await eventTypes(id)).toEqual([
      'booking.created',
      'booking.confirmed',
      'booking.rescheduled',
      'booking.reminder',
      'booking.cancelled',
    ]);
  });

  it('skips a reminder whose time has passed', async () => {
    // Exactly 24 hours ahead: the 24-hour reminder is due now, so only the 1-hour one is kept.
    const created = await book('2027-03-02T09:00:00+03:00');
    expect(created.status).toBe(201);
    const reminders = (await messagesOf(created.body.id)).filter(
      (m) => m.topic === 'booking.reminder',
    );
    expect(reminders.map((m) => m.payload.lead)).toEqual(['1h']);
  });
});

describe('a booking transaction cut off by pg_terminate_backend', () => {
  let gw: TestGateway;
  let fake: FakeVideoSdk;
  beforeAll(async () => {
    fake = await startFakeVideoSdk(FAKE);
    gw = await sagaGateway('postgres', fake);
  });
  afterAll(async () => {
    await gw?.close();
    await fake?.close();
  });

  it('writes nothing, and the retry succeeds', async () => {
    const patient = await rest(gw, 'POST', '/v1/patients', {
      token: gw.partnerA.token,
      body: {
        externalId: 'cut-1',
        givenName: 'Hind',
        familyName: 'Qahtani',
        birthDate: '1985-05-05',
        country: 'SA',
        timeZone: 'Asia/Riyadh',
      },
    });
    const patientId = (patient.body as { id: string }).id;
    const start = '2027-03-11T09:00:00+03:00';
    const result = await gw.database.db.execute<{ name: string }>(
      sql`select current_database() as name`,
    );
    const dbName = (result as unknown as { rows: { name: string }[] }).rows[0]?.name;
    const url = new URL(ADMIN_URL);
    url.pathname = `/${dbName}`;
    const admin = new pg.Client({ connectionString: url.toString() });
    await admin.connect();
    try {
      // Holding the events table makes the booking transaction wait after its booking insert.
      await admin.query('begin');
      await admin.query('lock table events in exclusive mode');
      const attempt = rest(gw, 'POST', '/v1/bookings', {
        token: gw.partnerA.token,
        body: { patientId, providerId: PROVIDER, start, duration: 30 },
      });
      const pid = await waitForBlockedInsert(admin, dbName ?? '');
      await admin.query('select pg_terminate_backend($1)', [pid]);
      await admin.query('commit');
      const answer = await attempt;

      expect(answer.status).toBeGreaterThanOrEqual(500);
      expect(answer.body).toMatchObject({ requestId: expect.any(String) });
      const startAt = new Date(Date.parse(start));
      expect(
        await gw.database.db.select().from(bookings).where(eq(bookings.startAt, startAt)),
      ).toEqual([]);
      expect(await gw.database.db.select().from(events)).toEqual([]);
      expect(await gw.database.db.select().from(outbox)).toEqual([]);

      const retried = await rest(gw, 'POST', '/v1/bookings', {
        token: gw.partnerA.token,
        body: { patientId, providerId: PROVIDER, start, duration: 30 },
      });
      expect(retried.status).toBe(201);
      expect(retried.body).toMatchObject({ status: 'confirmed' });
    } finally {
      await admin.query('rollback').catch(() => undefined);
      await admin.end();
    }
  });
});

/**
 * The backend of the booking transaction, once it waits for the lock on `events`. It is found
 * by its wait rather than its text: a statement blocked while being parsed still shows the
 * connection's previous query.
 */
async function waitForBlockedInsert(admin: pg.Client, dbName: string): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const { rows } = await admin.query<{ pid: number }>(
      `select pid from pg_stat_activity
        where datname = $1 and wait_event_type = 'Lock' and pid <> pg_backend_pid()`,
      [dbName],
    );
    if (rows[0]) return rows[0].pid;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error('the booking transaction never waited for the events table');
}
