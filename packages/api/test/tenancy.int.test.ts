import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bookings, patients } from '../src/db/schema.js';
import {
  callTrpc,
  expectProblemDocument,
  patientInput,
  problemShape,
  rowCounts,
  TRANSPORTS,
  UNKNOWN,
  type Transport,
} from './acceptance.js';
import { createTestGateway, DB_KINDS, rest, type Answer, type TestGateway } from './harness.js';

/** Asia/Riyadh psychologist, licensed in SA, 30 and 50 minutes, Sunday to Thursday. */
const PROVIDER = 'prv_sjnpfzd39nd2qv6w';
/** A's session: Tuesday morning in Riyadh. */
const A_START = '2027-03-02T10:00:00+03:00';
/** B's own session: Wednesday morning. */
const B_START = '2027-03-03T10:00:00+03:00';
/** Free and offered: had B's request been let through, it would have booked. */
const FREE_START = '2027-03-04T10:00:00+03:00';

/** Confirmed bookings of A's provider in A's week, A's session among them. */
const A_WEEK = {
  providerId: PROVIDER,
  status: 'confirmed',
  from: '2027-03-01T00:00:00Z',
  to: '2027-03-08T00:00:00Z',
};

/** The ids an operation is given: A's real ones, or unknown ones of the same kind. */
interface Ids {
  patientId: string;
  bookingId: string;
}

interface ForeignCall {
  name: string;
  procedure: string;
  /** Which of the ids the problem's detail names. */
  names: keyof Ids;
  rest: (ids: Ids) => { method: string; path: string; body?: unknown };
  trpc: (ids: Ids) => unknown;
}

/** Every operation that takes a patient or booking id, in its path or in its body. */
const ID_OPERATIONS: ForeignCall[] = [
  {
    name: 'reads the patient',
    procedure: 'patients.get',
    names: 'patientId',
    rest: (ids) => ({ method: 'GET', path: `/v1/patients/${ids.patientId}` }),
    trpc: (ids) => ({ id: ids.patientId }),
  },
  {
    name: 'changes the patient',
    procedure: 'patients.update',
    names: 'patientId',
    rest: (ids) => ({
      method: 'PATCH',
      path: `/v1/patients/${ids.patientId}`,
      body: { givenName: 'Mallory' },
    }),
    trpc: (ids) => ({ id: ids.patientId, givenName: 'Mallory' }),
  },
  {
    name: 'exports the patient',
    procedure: 'patients.export',
    names: 'patientId',
    rest: (ids) => ({ method: 'GET', path: `/v1/patients/${ids.patientId}/export` }),
    trpc: (ids) => ({ id: ids.patientId }),
  },
  {
    name: 'erases the patient',
    procedure: 'patients.erase',
    names: 'patientId',
    rest: (ids) => ({ method: 'DELETE', path: `/v1/patients/${ids.patientId}` }),
    trpc: (ids) => ({ id: ids.patientId }),
  },
  {
    name: 'reads the booking',
    procedure: 'bookings.get',
    names: 'bookingId',
    rest: (ids) => ({ method: 'GET', path: `/v1/bookings/${ids.bookingId}` }),
    trpc: (ids) => ({ id: ids.bookingId }),
  },
  {
    name: 'cancels the booking',
    procedure: 'bookings.cancel',
    names: 'bookingId',
    rest: (ids) => ({
      method: 'POST',
      path: `/v1/bookings/${ids.bookingId}/cancel`,
      body: { reason: 'Mine now' },
    }),
    trpc: (ids) => ({ id: ids.bookingId, reason: 'Mine now' }),
  },
  {
    name: 'books a session for the patient',
    procedure: 'bookings.create',
    names: 'patientId',
    rest: (ids) => ({
      method: 'POST',
      path: '/v1/bookings',
      body: { patientId: ids.patientId, providerId: PROVIDER, start: FREE_START, duration: 50 },
    }),
    trpc: (ids) => ({
      patientId: ids.patientId,
      providerId: PROVIDER,
      start: FREE_START,
      duration: 50,
    }),
  },
];

interface ListCall {
  name: string;
  procedure: string;
  rest: (a: Ids) => string;
  trpc: (a: Ids) => unknown;
}

/** B's lists, plain and filtered by A's ids and A's externalId. */
const LISTS: ListCall[] = [
  {
    name: 'all patients',
    procedure: 'patients.list',
    rest: () => '/v1/patients?limit=100',
    trpc: () => ({ limit: 100 }),
  },
  {
    name: "patients by A's externalId",
    procedure: 'patients.list',
    rest: () => '/v1/patients?externalId=tenant-a',
    trpc: () => ({ externalId: 'tenant-a' }),
  },
  {
    name: 'all bookings',
    procedure: 'bookings.list',
    rest: () => '/v1/bookings?limit=100',
    trpc: () => ({ limit: 100 }),
  },
  {
    name: "bookings of A's patient",
    procedure: 'bookings.list',
    rest: (a) => `/v1/bookings?patientId=${a.patientId}`,
    trpc: (a) => ({ patientId: a.patientId }),
  },
  {
    name: "bookings of A's provider in A's week",
    procedure: 'bookings.list',
    rest: () => `/v1/bookings?${new URLSearchParams(A_WEEK).toString()}`,
    trpc: () => A_WEEK,
  },
];

async function call(
  gw: TestGateway,
  transport: Transport,
  op: Pick<ForeignCall, 'procedure' | 'rest' | 'trpc'>,
  ids: Ids,
): Promise<Answer> {
  const token = gw.partnerB.token;
  if (transport === 'trpc') return callTrpc(gw, op.procedure, op.trpc(ids), token);
  const { method, path, body } = op.rest(ids);
  return rest(gw, method, path, { token, body });
}

/** A problem with the id it names replaced, so answers about different ids can be compared. */
function withoutId(body: unknown, id: string) {
  const shape = problemShape(body);
  return { ...shape, detail: shape.detail.replaceAll(id, '<id>') };
}

async function rowsOf(gw: TestGateway, a: Ids) {
  const { db } = gw.database;
  const [patient] = await db.select().from(patients).where(eq(patients.id, a.patientId));
  const [booking] = await db.select().from(bookings).where(eq(bookings.id, a.bookingId));
  return { patient, booking };
}

describe.each(DB_KINDS)('organization B and the rows of organization A on %s', (kind) => {
  let gw: TestGateway;
  let a: Ids;
  let b: Ids;
  let before: {
    rows: Awaited<ReturnType<typeof rowsOf>>;
    counts: Awaited<ReturnType<typeof rowCounts>>;
  };

  async function register(
    token: string,
    externalId: string,
    givenName: string,
    start: string,
  ): Promise<Ids> {
    const patient = await rest(gw, 'POST', '/v1/patients', {
      token,
      body: { ...patientInput(externalId), givenName },
    });
    expect(patient.status).toBe(201);
    const patientId = (patient.body as { id: string }).id;
    const booked = await rest(gw, 'POST', '/v1/bookings', {
      token,
      body: { patientId, providerId: PROVIDER, start, duration: 50 },
    });
    expect(booked.status).toBe(201);
    return { patientId, bookingId: (booked.body as { id: string }).id };
  }

  beforeAll(async () => {
    gw = await createTestGateway(kind);
    a = await register(gw.partnerA.token, 'tenant-a', 'Amal', A_START);
    b = await register(gw.partnerB.token, 'tenant-b', 'Basma', B_START);
    before = { rows: await rowsOf(gw, a), counts: await rowCounts(gw) };
  });
  afterAll(() => gw?.close());

  describe.each(ID_OPERATIONS)('when B $name of A', (op) => {
    it.each(TRANSPORTS)('answers 404 over %s exactly as for an unknown id', async (transport) => {
      const unknown: Ids = { patientId: UNKNOWN.patient, bookingId: UNKNOWN.booking };

      const foreign = await call(gw, transport, op, a);
      const missing = await call(gw, transport, op, unknown);

      expectProblemDocument(foreign, 404, 'NOT_FOUND');
      expectProblemDocument(missing, 404, 'NOT_FOUND');
      expect(withoutId(foreign.body, a[op.names])).toEqual(
        withoutId(missing.body, unknown[op.names]),
      );
      expect(JSON.stringify(foreign.body)).not.toMatch(/Amal|tenant-a/);
    });
  });

  describe.each(LISTS)("B's list of $name", (list) => {
    it.each(TRANSPORTS)('holds none of A’s rows over %s', async (transport) => {
      const answer = await call(
        gw,
        transport,
        { ...list, rest: (ids) => ({ method: 'GET', path: list.rest(ids) }) },
        a,
      );

      expect(answer.status).toBe(200);
      const { data } = answer.body as { data: { id: string; patientId?: string }[] };
      const ids = data.flatMap((row) => [row.id, row.patientId]);
      expect(ids).not.toContain(a.patientId);
      expect(ids).not.toContain(a.bookingId);
      expect(JSON.stringify(answer.body)).not.toMatch(/Amal|tenant-a/);
    });
  });

  it("lists B's own rows, so the lists above were filtered rather than broken", async () => {
    const listedPatients = await rest(gw, 'GET', '/v1/patients', { token: gw.partnerB.token });
    const listedBookings = await rest(gw, 'GET', '/v1/bookings', { token: gw.partnerB.token });

    expect((listedPatients.body as { data: { id: string }[] }).data.map((p) => p.id)).toEqual([
      b.patientId,
    ]);
    expect((listedBookings.body as { data: { id: string }[] }).data.map((x) => x.id)).toEqual([
      b.bookingId,
    ]);
  });

  it("leaves A's rows exactly as they were, and writes nothing", async () => {
    const after = await rowsOf(gw, a);

    expect(after).toEqual(before.rows);
    expect(after.booking?.status).toBe('confirmed');
    expect(await rowCounts(gw)).toEqual(before.counts);
    const aRoom = after.booking?.roomId;
    expect(aRoom).toBeTruthy();
    expect(gw.video.live()).toContain(aRoom);
  });

  it("still answers A's own reads, unchanged, over both transports", async () => {
    const token = gw.partnerA.token;
    const patient = await rest(gw, 'GET', `/v1/patients/${a.patientId}`, { token });
    const viaRest = await rest(gw, 'GET', `/v1/bookings/${a.bookingId}`, { token });
    const viaTrpc = await callTrpc(gw, 'bookings.get', { id: a.bookingId }, token);

    expect(patient.body).toMatchObject({ id: a.patientId, givenName: 'Amal' });
    expect(viaRest.status).toBe(200);
    expect(viaTrpc.body).toEqual(viaRest.body);
    expect(viaRest.body).toMatchObject({
      id: a.bookingId,
      status: 'confirmed',
      cancellation: null,
    });
  });

  // Run last: it writes B's own row. A refusal here would tell B that A has such a patient.
  it("lets B register a patient under A's externalId, so the answer reveals nothing", async () => {
    const answer = await rest(gw, 'POST', '/v1/patients', {
      token: gw.partnerB.token,
      body: patientInput('tenant-a'),
    });

    expect(answer.status).toBe(201);
    expect(await rowsOf(gw, a)).toEqual(before.rows);
  });
});
