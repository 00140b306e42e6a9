import { eq, sql } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEventView, PatientExport } from '@tahoon/core';
import { markBookingAudited } from '../src/audit/operator.js';
import { createAuth } from '../src/auth.js';
import { auditEvents, bookings, patients } from '../src/db/schema.js';
import { UNKNOWN } from './acceptance.js';
import {
  createTestGateway,
  DB_KINDS,
  rest,
  TEST_NOW,
  trpc,
  type Answer,
  type Partner,
  type TestGateway,
} from './harness.js';

/** Asia/Riyadh psychologist: 50-minute sessions on the hour, 09–13 and 16–20, Sunday to Thursday. */
const PROVIDER = 'prv_sjnpfzd39nd2qv6w';
const CLIENT_IP = '203.0.113.7';
const HOURS = [9, 10, 11, 12, 16, 17, 18, 19];
const DAYS = ['2027-03-02', '2027-03-03', '2027-03-04', '2027-03-07', '2027-03-08', '2027-03-09'];

/** Values no audit column may ever hold, registered through the API. */
const CANARY = {
  externalId: 'crm-canary-7731',
  givenName: 'Zubaydah',
  familyName: 'Qaranfuli',
  birthDate: '1983-11-29',
  email: 'zubaydah.canary@example.org',
  phone: '+966555017731',
  reason: 'Canary reason: moving to Jeddah',
};
const CANARY_VALUES = Object.values(CANARY);

type Transport = 'rest' | 'trpc';

/** Every slot of the provider in order, so each booking of a run takes a fresh one. */
function* slotStarts(): Generator<string> {
  for (const day of DAYS) {
    for (const hour of HOURS) yield `${day}T${String(hour).padStart(2, '0')}:00:00+03:00`;
  }
}

function patientBody(externalId: string) {
  return {
    externalId,
    givenName: CANARY.givenName,
    familyName: CANARY.familyName,
    birthDate: CANARY.birthDate,
    email: CANARY.email,
    phone: CANARY.phone,
    country: 'SA',
    timeZone: 'Asia/Riyadh',
  };
}

const idOf = (answer: Answer) => (answer.body as { id: string }).id;
const requestIdOf = (answer: Answer) => answer.headers.get('x-request-id') ?? '';

describe.each(DB_KINDS)('the audit trail and data-subject rights on %s', (kind) => {
  let gw: TestGateway;
  const slots = slotStarts();
  const nextSlot = () => {
    const next = slots.next();
    if (next.done) throw new Error('the test ran out of slots');
    return next.value;
  };

  beforeAll(async () => {
    gw = await createTestGateway(kind);
    // The in-process app has no socket; the Node server reports the peer the same way.
    gw.deps.peerAddress = () => CLIENT_IP;
  });
  afterAll(() => gw?.close());
  const tokensAtStart = new Map<Partner, string>();
  afterEach(() => {
    gw.clock.set(TEST_NOW);
    for (const [partner, token] of tokensAtStart) partner.token = token;
  });

  /** Moves the clock, with fresh tokens for both partners: the first ones last 15 minutes. */
  async function moveClockTo(ms: number) {
    gw.clock.set(ms);
    const auth = createAuth(gw.deps);
    for (const partner of [gw.partnerA, gw.partnerB]) {
      if (!tokensAtStart.has(partner)) tokensAtStart.set(partner, partner.token);
      const credential = await gw.deps.store.credentials.get(partner.clientId);
      if (!credential) throw new Error('credential vanished');
      partner.token = (await auth.issueToken(credential)).accessToken;
    }
  }

  /** One call of a procedure over either transport, as partner A unless told otherwise. */
  async function call(
    transport: Transport,
    procedure: string,
    restCall: { method: string; path: string; body?: unknown },
    input: unknown,
    partner: Partner = gw.partnerA,
  ): Promise<Answer> {
    if (transport === 'rest') {
      return rest(gw, restCall.method, restCall.path, {
        token: partner.token,
        body: restCall.body,
      });
    }
    const type = restCall.method === 'GET' ? 'query' : 'mutation';
    return trpc(gw, type, procedure, input, partner.token);
  }

  async function register(transport: Transport, externalId: string, partner = gw.partnerA) {
    const body = patientBody(externalId);
    const answer = await call(
      transport,
      'patients.create',
      { method: 'POST', path: '/v1/patients', body },
      body,
      partner,
    );
    expect(answer.status, JSON.stringify(answer.body)).toBe(201);
    return answer;
  }

  async function book(transport: Transport, patientId: string, start = nextSlot()) {
    const body = { patientId, providerId: PROVIDER, start, duration: 50 };
    const answer = await call(
      transport,
      'bookings.create',
      { method: 'POST', path: '/v1/bookings', body },
      body,
    );
    expect(answer.status, JSON.stringify(answer.body)).toBe(201);
    return answer;
  }

  async function rowsFor(requestId: string) {
    return gw.database.db.select().from(auditEvents).where(eq(auditEvents.requestId, requestId));
  }

  /** The one entry a request left, checked for the caller's identity and address. */
  async function entryOf(answer: Answer, partner: Partner = gw.partnerA) {
    const rows = await rowsFor(requestIdOf(answer));
    expect(rows, `one audit entry for ${requestIdOf(answer)}`).toHaveLength(1);
    const row = rows[0];
    if (!row) throw new Error('no audit entry');
    expect(row).toMatchObject({
      organizationId: partner.organizationId,
      actorType: 'partner',
      credentialId: partner.clientId,
      clientIp: CLIENT_IP,
    });
    expect(row.tokenId).toMatch(/^[0-9a-f]{32}$/);
    return row;
  }

  async function auditTableText(): Promise<string> {
    const result = await gw.database.db.execute(sql`select t::text as line from audit_events t`);
    return (result as unknown as { rows: { line: string }[] }).rows.map((r) => r.line).join('\n');
  }

  it.each<Transport>(['rest', 'trpc'])(
    'records every patient access and booking change over %s, with no patient data',
    async (transport) => {
      const created = await register(transport, `${CANARY.externalId}-${transport}`);
      const patientId = idOf(created);
      expect(await entryOf(created)).toMatchObject({
        action: 'patient.create',
        resourceType: 'patient',
        resourceIds: [patientId],
        patientId,
        outcome: 'success',
        problemCode: null,
      });

      const read = await call(
        transport,
        'patients.get',
        { method: 'GET', path: `/v1/patients/${patientId}` },
        { id: patientId },
      );
      expect(await entryOf(read)).toMatchObject({ action: 'patient.read', patientId });

      const patch = { phone: '+966555017732' };
      const updated = await call(
        transport,
        'patients.update',
        { method: 'PATCH', path: `/v1/patients/${patientId}`, body: patch },
        { id: patientId, ...patch },
      );
      expect(updated.status).toBe(200);
      expect(await entryOf(updated)).toMatchObject({
        action: 'patient.update',
        resourceIds: [patientId],
      });

      const listed = await call(
        transport,
        'patients.list',
        { method: 'GET', path: '/v1/patients?limit=3' },
        { limit: 3 },
      );
      const listedIds = (listed.body as { data: { id: string }[] }).data.map((p) => p.id);
      expect(await entryOf(listed)).toMatchObject({
        action: 'patient.list',
        resourceIds: listedIds,
        resultCount: listedIds.length,
        patientId: null,
      });

      const booked = await book(transport, patientId);
      const bookingId = idOf(booked);
      expect(await entryOf(booked)).toMatchObject({
        action: 'booking.create',
        resourceType: 'booking',
        resourceIds: [bookingId],
        patientId,
        outcome: 'success',
      });

      const bookingRead = await call(
        transport,
        'bookings.get',
        { method: 'GET', path: `/v1/bookings/${bookingId}` },
        { id: bookingId },
      );
      expect(await entryOf(bookingRead)).toMatchObject({ action: 'booking.read', patientId });

      const bookingList = await call(
        transport,
        'bookings.list',
        { method: 'GET', path: `/v1/bookings?patientId=${patientId}` },
        { patientId },
      );
      expect(await entryOf(bookingList)).toMatchObject({
        action: 'booking.list',
        resourceIds: [bookingId],
        resultCount: 1,
        patientId,
      });

      const moveTo = { start: nextSlot() };
      const moved = await call(
        transport,
        'bookings.reschedule',
        { method: 'POST', path: `/v1/bookings/${bookingId}/reschedule`, body: moveTo },
        { id: bookingId, ...moveTo },
      );
      expect(moved.status, JSON.stringify(moved.body)).toBe(200);
      expect(await entryOf(moved)).toMatchObject({
        action: 'booking.reschedule',
        resourceIds: [bookingId],
        patientId,
      });

      const reason = { reason: CANARY.reason };
      const cancelled = await call(
        transport,
        'bookings.cancel',
        { method: 'POST', path: `/v1/bookings/${bookingId}/cancel`, body: reason },
        { id: bookingId, ...reason },
      );
      expect(cancelled.status).toBe(200);
      expect(await entryOf(cancelled)).toMatchObject({
        action: 'booking.cancel',
        resourceIds: [bookingId],
        patientId,
        outcome: 'success',
      });

      const text = await auditTableText();
      expect(text).toContain(patientId);
      for (const canary of [...CANARY_VALUES, patch.phone]) expect(text).not.toContain(canary);
    },
  );

  it.each<Transport>(['rest', 'trpc'])(
    "records refusals over %s: another organization's id as not_found for the caller",
    async (transport) => {
      const patientId = idOf(await register(transport, `foreign-${transport}`));
      const before = await gw.database.db
        .select()
        .from(auditEvents)
        .where(eq(auditEvents.organizationId, gw.partnerA.organizationId));

      const foreign = await call(
        transport,
        'patients.get',
        { method: 'GET', path: `/v1/patients/${patientId}` },
        { id: patientId },
        gw.partnerB,
      );
      expect(foreign.status).toBe(404);
      expect(await entryOf(foreign, gw.partnerB)).toMatchObject({
        action: 'patient.read',
        outcome: 'not_found',
        problemCode: 'NOT_FOUND',
        resourceIds: [patientId],
      });

      const body = { patientId, providerId: PROVIDER, start: nextSlot(), duration: 50 };
      const foreignBooking = await call(
        transport,
        'bookings.create',
        { method: 'POST', path: '/v1/bookings', body },
        body,
        gw.partnerB,
      );
      expect(foreignBooking.status).toBe(404);
      expect(await entryOf(foreignBooking, gw.partnerB)).toMatchObject({
        action: 'booking.create',
        outcome: 'not_found',
        resourceIds: [],
        patientId,
      });

      // Text in an id field is refused and never copied into the trail.
      const invalid = await call(
        transport,
        'patients.get',
        { method: 'GET', path: `/v1/patients/${encodeURIComponent(CANARY.givenName)}` },
        { id: CANARY.givenName },
      );
      expect(invalid.status).toBe(400);
      expect(await entryOf(invalid)).toMatchObject({
        outcome: 'failed',
        problemCode: 'VALIDATION_FAILED',
        resourceIds: [],
        patientId: null,
      });

      const after = await gw.database.db
        .select()
        .from(auditEvents)
        .where(eq(auditEvents.organizationId, gw.partnerA.organizationId));
      // Partner A's trail gained only its own refused read, nothing of partner B's attempts.
      expect(after.length).toBe(before.length + 1);
      expect(await auditTableText()).not.toContain(CANARY.givenName);
    },
  );

  it('refuses UPDATE, DELETE and TRUNCATE of audit entries in the database', async () => {
    await register('rest', 'append-only');
    const count = async () =>
      (await gw.database.db.select({ id: auditEvents.id }).from(auditEvents)).length;
    const before = await count();
    expect(before).toBeGreaterThan(0);

    await expect(
      gw.database.db.execute(sql`update audit_events set outcome = 'success'`),
    ).rejects.toThrow();
    await expect(gw.database.db.execute(sql`delete from audit_events`)).rejects.toThrow();
    await expect(gw.database.db.execute(sql`truncate audit_events`)).rejects.toThrow();
    expect(await count()).toBe(before);
  });

  it('pages the trail newest first, filters it and keeps each organization to its own', async () => {
    const partner = await gw.newPartner('Audit reader');
    const other = await gw.newPartner('Other reader');
    const patientId = idOf(await register('rest', 'pager', partner));
    const otherPatient = idOf(await register('rest', 'pager', other));
    for (let i = 0; i < 4; i++) {
      await rest(gw, 'GET', `/v1/patients/${patientId}`, { token: partner.token });
    }
    gw.clock.advance(60_000);
    await rest(gw, 'GET', `/v1/patients/${patientId}`, { token: partner.token });

    const seen: AuditEventView[] = [];
    let cursor: string | null = '';
    while (cursor !== null) {
      const query: string = cursor ? `limit=2&cursor=${cursor}` : 'limit=2';
      const page = await rest(gw, 'GET', `/v1/audit-events?${query}`, { token: partner.token });
      expect(page.status).toBe(200);
      const body = page.body as { data: AuditEventView[]; nextCursor: string | null };
      expect(body.data.length).toBeLessThanOrEqual(2);
      seen.push(...body.data);
      cursor = body.nextCursor;
    }
    expect(seen.map((e) => e.action)).toEqual([
      'patient.read',
      'patient.read',
      'patient.read',
      'patient.read',
      'patient.read',
      'patient.create',
    ]);
    expect(new Set(seen.map((e) => e.id)).size).toBe(6);
    expect(seen[0]).toMatchObject({
      outcome: 'success',
      actor: { type: 'partner', credentialId: partner.clientId },
      clientIp: CLIENT_IP,
      patientId,
    });

    const byAction = await rest(gw, 'GET', '/v1/audit-events?action=patient.create', {
      token: partner.token,
    });
    expect((byAction.body as { data: AuditEventView[] }).data).toHaveLength(1);
    const later = new Date(TEST_NOW + 30_000).toISOString();
    const fromLater = await rest(gw, 'GET', `/v1/audit-events?from=${later}`, {
      token: partner.token,
    });
    expect((fromLater.body as { data: AuditEventView[] }).data).toHaveLength(1);
    const beforeLater = await rest(gw, 'GET', `/v1/audit-events?to=${later}`, {
      token: partner.token,
    });
    expect((beforeLater.body as { data: AuditEventView[] }).data).toHaveLength(5);

    const foreign = await rest(gw, 'GET', `/v1/audit-events?resourceId=${patientId}`, {
      token: other.token,
    });
    expect(foreign.status).toBe(200);
    expect((foreign.body as { data: AuditEventView[] }).data).toEqual([]);
    const own = await trpc(gw, 'query', 'auditEvents.list', {}, other.token);
    const ownEvents = (own.body as { data: AuditEventView[] }).data;
    expect(ownEvents.map((e) => e.resourceIds)).toEqual([[otherPatient]]);

    const forged = await rest(gw, 'GET', '/v1/audit-events?cursor=abc', { token: partner.token });
    expect(forged.status).toBe(400);
    const badAction = await rest(gw, 'GET', '/v1/audit-events?action=patient.delete', {
      token: partner.token,
    });
    expect(badAction.status).toBe(400);
    expect(JSON.stringify(badAction.body)).toContain('/action');
  });

  it.each<Transport>(['rest', 'trpc'])(
    'exports everything held about a patient over %s',
    async (transport) => {
      const patientId = idOf(await register(transport, `export-${transport}`));
      const first = idOf(await book(transport, patientId));
      await rest(gw, 'POST', `/v1/bookings/${first}/reschedule`, {
        token: gw.partnerA.token,
        body: { start: nextSlot() },
      });
      const second = idOf(await book(transport, patientId));
      await rest(gw, 'POST', `/v1/bookings/${second}/cancel`, {
        token: gw.partnerA.token,
        body: { reason: CANARY.reason },
      });

      const exported = await call(
        transport,
        'patients.export',
        { method: 'GET', path: `/v1/patients/${patientId}/export` },
        { id: patientId },
      );
      expect(exported.status, JSON.stringify(exported.body)).toBe(200);
      const body = exported.body as PatientExport;
      expect(body.patient).toMatchObject({ id: patientId, givenName: CANARY.givenName });
      const byId = new Map(body.bookings.map((b) => [b.id, b]));
      expect([...byId.keys()].sort()).toEqual([first, second].sort());
      expect(byId.get(first)?.history).toHaveLength(1);
      expect(byId.get(second)?.cancellation).toMatchObject({ reason: CANARY.reason });
      expect(body.auditEvents.map((e) => e.action).sort()).toEqual(
        [
          'booking.cancel',
          'booking.create',
          'booking.create',
          'booking.reschedule',
          'patient.create',
        ].sort(),
      );
      expect(await entryOf(exported)).toMatchObject({
        action: 'patient.export',
        resourceIds: [patientId],
      });

      const foreign = await call(
        transport,
        'patients.export',
        { method: 'GET', path: `/v1/patients/${patientId}/export` },
        { id: patientId },
        gw.partnerB,
      );
      expect(foreign.status).toBe(404);
      expect(await entryOf(foreign, gw.partnerB)).toMatchObject({ outcome: 'not_found' });
    },
  );

  it.each<Transport>(['rest', 'trpc'])(
    'erases a patient over %s: details gone, future sessions cancelled, past ones kept',
    async (transport) => {
      const externalId = `${CANARY.externalId}-erase-${transport}`;
      const patientId = idOf(await register(transport, externalId));
      const past = await book(transport, patientId);
      const future = await book(transport, patientId);
      const pastId = idOf(past);
      const futureId = idOf(future);
      const futureRoom = (future.body as { video: { roomId: string } }).video.roomId;
      // The first session is over by now; the second is still to come.
      const pastEnd = Date.parse((past.body as { end: string }).end);
      await moveClockTo(pastEnd + 60_000);

      const foreign = await call(
        transport,
        'patients.erase',
        { method: 'DELETE', path: `/v1/patients/${patientId}` },
        { id: patientId },
        gw.partnerB,
      );
      expect(foreign.status).toBe(404);
      const [untouched] = await gw.database.db
        .select()
        .from(patients)
        .where(eq(patients.id, patientId));
      expect(untouched?.erasedAt).toBeNull();

      const erased = await call(
        transport,
        'patients.erase',
        { method: 'DELETE', path: `/v1/patients/${patientId}` },
        { id: patientId },
      );
      expect(erased.status, JSON.stringify(erased.body)).toBe(200);
      expect(erased.body).toMatchObject({ id: patientId, cancelledBookingIds: [futureId] });
      expect(await entryOf(erased)).toMatchObject({
        action: 'patient.erase',
        outcome: 'success',
        resourceIds: [patientId],
      });

      const [row] = await gw.database.db.select().from(patients).where(eq(patients.id, patientId));
      expect(row?.erasedAt).not.toBeNull();
      const rowText = JSON.stringify(row);
      for (const canary of CANARY_VALUES) expect(rowText).not.toContain(canary);
      expect(row).toMatchObject({ givenName: '', familyName: '', email: null, phone: null });

      const kept = await gw.database.db
        .select()
        .from(bookings)
        .where(eq(bookings.patientId, patientId));
      const status = new Map(kept.map((b) => [b.id, b]));
      expect(status.get(pastId)?.status).toBe('confirmed');
      expect(status.get(futureId)?.status).toBe('cancelled');
      expect(kept.every((b) => b.cancelReason === null)).toBe(true);
      expect(gw.video.removed).toContain(futureRoom);

      const token = gw.partnerA.token;
      const gone = [
        await rest(gw, 'GET', `/v1/patients/${patientId}`, { token }),
        await rest(gw, 'PATCH', `/v1/patients/${patientId}`, {
          token,
          body: { language: 'ar' },
        }),
        await rest(gw, 'GET', `/v1/patients/${patientId}/export`, { token }),
        await rest(gw, 'DELETE', `/v1/patients/${patientId}`, { token }),
        await trpc(gw, 'query', 'patients.get', { id: patientId }, token),
        await rest(gw, 'POST', '/v1/bookings', {
          token,
          body: { patientId, providerId: PROVIDER, start: nextSlot(), duration: 50 },
        }),
      ];
      expect(gone.map((a) => a.status)).toEqual([404, 404, 404, 404, 404, 404]);
      const listed = await rest(gw, 'GET', `/v1/patients?limit=100`, { token });
      const listedIds = (listed.body as { data: { id: string }[] }).data.map((p) => p.id);
      expect(listedIds).not.toContain(patientId);

      const again = await register(transport, externalId);
      expect(idOf(again)).not.toBe(patientId);
      expect(await auditTableText()).not.toContain(CANARY.givenName);
    },
  );

  it('lets no booking through for a patient erased while it waited for the lock', async () => {
    const patientId = idOf(await register('rest', 'erase-race'));
    const erased = await rest(gw, 'DELETE', `/v1/patients/${patientId}`, {
      token: gw.partnerA.token,
    });
    expect(erased.status).toBe(200);

    // What a booking that passed its checks before the erasure committed does next.
    const startMs = Date.parse(nextSlot());
    const result = await gw.deps.store.bookings.insertIfFree({
      id: gw.deps.ids.next('bkg'),
      organizationId: gw.partnerA.organizationId,
      patientId,
      providerId: PROVIDER,
      status: 'pending',
      startMs,
      endMs: startMs + 50 * 60_000,
      blockedUntilMs: startMs + 60 * 60_000,
      duration: 50,
      price: { amount: 40000, currency: 'SAR' },
      video: null,
      cancellation: null,
      history: [],
      createdAtMs: TEST_NOW,
    });
    expect(result.ok ? 'inserted' : result.failure.code).toBe('NOT_FOUND');
    const rows = await gw.database.db
      .select()
      .from(bookings)
      .where(eq(bookings.patientId, patientId));
    expect(rows).toEqual([]);
  });

  it('refuses a read it cannot record, and keeps a change whose entry it could not write', async () => {
    const patientId = idOf(await register('rest', 'audit-outage'));
    const bookingId = idOf(await book('rest', patientId));
    const { db } = gw.database;
    await db.execute(sql`alter table audit_events rename to audit_events_away`);
    try {
      const read = await rest(gw, 'GET', `/v1/patients/${patientId}`, {
        token: gw.partnerA.token,
      });
      expect(read.status).toBe(503);
      expect(JSON.stringify(read.body)).not.toContain(CANARY.givenName);

      const cancelled = await rest(gw, 'POST', `/v1/bookings/${bookingId}/cancel`, {
        token: gw.partnerA.token,
      });
      expect(cancelled.status).toBe(200);
      const logged = gw.logs.filter(
        (line) => line.includes('audit entry not written') && line.includes(bookingId),
      );
      expect(logged.length).toBeGreaterThan(0);
      for (const canary of CANARY_VALUES) expect(logged.join('')).not.toContain(canary);
    } finally {
      await db.execute(sql`alter table audit_events_away rename to audit_events`);
    }
  });

  it("records an operator's mark in the booking organization's trail", async () => {
    const patientId = idOf(await register('rest', 'operator-mark'));
    const booked = await book('rest', patientId);
    const bookingId = idOf(booked);
    gw.clock.set(Date.parse((booked.body as { end: string }).end) + 60_000);

    const deps = { ...gw.deps, log: gw.deps.logger };
    await markBookingAudited(deps, bookingId, 'completed');
    await expect(markBookingAudited(deps, bookingId, 'no_show')).rejects.toThrow();
    await expect(markBookingAudited(deps, UNKNOWN.booking, 'completed')).rejects.toThrow();

    const rows = await gw.database.db
      .select()
      .from(auditEvents)
      .where(eq(auditEvents.action, 'booking.mark'));
    const marks = rows.filter((r) => r.resourceIds.includes(bookingId));
    expect(marks.map((r) => [r.outcome, r.problemCode])).toEqual([
      ['success', null],
      ['failed', 'INVALID_STATE'],
    ]);
    expect(marks[0]).toMatchObject({
      organizationId: gw.partnerA.organizationId,
      actorType: 'operator',
      credentialId: null,
      patientId,
    });
  });
});
