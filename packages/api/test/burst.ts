/**
 * Bursts of bookings against a gateway process, and the database invariants every fault test
 * checks afterwards.
 */
import { setTimeout as delay } from 'node:timers/promises';
import pg from 'pg';
import type { FakeRoom } from './fakes/videosdk-server.js';
import type { GatewayProcess } from './process.js';

export interface PlannedBooking {
  patientId: string;
  providerId: string;
  start: string;
  duration: number;
  idempotencyKey: string;
}

export interface BookingOutcome {
  planned: PlannedBooking;
  status?: number;
  code?: string;
  bookingId?: string;
  /** The request got no answer: a network error code. */
  error?: string;
  /** From sending the request to reading its answer, or its error. */
  elapsedMs: number;
}

interface ProviderSummary {
  id: string;
  acceptingNewPatients: boolean;
  licensedRegions: string[];
  sessionTypes: { duration: number }[];
}

async function getJson<T>(gateway: GatewayProcess, token: string, path: string): Promise<T> {
  const response = await fetch(gateway.baseUrl + path, {
    headers: { authorization: `Bearer ${token}` },
  });
  if (!response.ok)
    throw new Error(`${path} answered ${response.status}: ${await response.text()}`);
  return (await response.json()) as T;
}

async function postJson(
  gateway: GatewayProcess,
  token: string,
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
) {
  const response = await fetch(gateway.baseUrl + path, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** Runs `work` over `items`, at most `width` at a time. */
export async function inBatches<T, R>(items: T[], width: number, work: (item: T) => Promise<R>) {
  const results: R[] = [];
  for (let i = 0; i < items.length; i += width) {
    results.push(...(await Promise.all(items.slice(i, i + width).map(work))));
  }
  return results;
}

/** Runs `work` over `items` with `width` calls always in flight; results in input order. */
export async function inPool<T, R>(items: T[], width: number, work: (item: T) => Promise<R>) {
  const results: R[] = [];
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < items.length; i = next++) {
      results[i] = await work(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker));
  return results;
}

/**
 * Polls `check` until it finds no problems or `withinMs` has passed, and returns the problems
 * it found last: conditions reached eventually, with no assumption about how soon.
 */
export async function settled(check: () => Promise<string[]>, withinMs: number): Promise<string[]> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const problems = await check();
    if (problems.length === 0 || Date.now() > deadline) return problems;
    await delay(500);
  }
}

/**
 * The provider's buffer between sessions is not public; no demo provider keeps more than 15
 * minutes, so slots this far apart never touch each other's buffer.
 */
const ASSUMED_MAX_BUFFER_MS = 60 * 60_000;

/** Most slots taken from one provider, so a burst spreads over many providers' locks. */
const SLOTS_PER_PROVIDER = 10;

/** Offered starts of one provider that are far enough apart to be booked together. */
function spacedStarts(starts: string[], duration: number): string[] {
  const kept: string[] = [];
  let freeFromMs = -Infinity;
  for (const start of starts) {
    const startMs = Date.parse(start);
    if (startMs < freeFromMs) continue;
    kept.push(start);
    freeFromMs = startMs + duration * 60_000 + ASSUMED_MAX_BUFFER_MS;
  }
  return kept.slice(0, SLOTS_PER_PROVIDER);
}

/**
 * `count` bookings that would all succeed: distinct patients, each in a country where the
 * provider is licensed, on an offered slot within the next two weeks, no two slots of one
 * provider closer than a session plus any buffer.
 */
export async function planBookings(
  gateway: GatewayProcess,
  token: string,
  count: number,
  label: string,
): Promise<PlannedBooking[]> {
  const providers = await getJson<{ data: ProviderSummary[] }>(
    gateway,
    token,
    '/v1/providers?limit=50',
  );
  const from = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
  const to = new Date(Date.now() + 15 * 86_400_000).toISOString().slice(0, 10);
  const slots: { providerId: string; country: string; start: string; duration: number }[] = [];
  // Every planned patient is new to the provider.
  for (const provider of providers.data.filter((p) => p.acceptingNewPatients)) {
    const duration = provider.sessionTypes[0]?.duration ?? 50;
    const query = new URLSearchParams({
      duration: String(duration),
      from: `${from}T00:00:00Z`,
      to: `${to}T00:00:00Z`,
    });
    const found = await getJson<{ data: { start: string }[] }>(
      gateway,
      token,
      `/v1/providers/${provider.id}/slots?${query.toString()}`,
    );
    const starts = spacedStarts(
      found.data.map((slot) => slot.start),
      duration,
    );
    // A region is a country or one of its states (`US-NY`); a patient's country is the former.
    const country = provider.licensedRegions[0]?.split('-')[0] ?? 'SA';
    for (const start of starts) slots.push({ providerId: provider.id, country, start, duration });
    if (slots.length >= count) break;
  }
  if (slots.length < count)
    throw new Error(`only ${slots.length} free slots for ${count} bookings`);

  const numbered = slots.slice(0, count).map((slot, n) => ({ slot, n }));
  return inBatches(numbered, 10, async ({ slot: { country, ...slot }, n }) => {
    const created = await postJson(gateway, token, '/v1/patients', {
      externalId: `${label}-${n}`,
      givenName: 'Burst',
      familyName: 'Patient',
      birthDate: '1990-01-01',
      country,
      timeZone: 'Asia/Riyadh',
    });
    if (created.status !== 201) throw new Error(`patient: ${JSON.stringify(created.body)}`);
    return { ...slot, patientId: String(created.body.id), idempotencyKey: `${label}-${n}` };
  });
}

/** Sends one planned booking, with its Idempotency-Key, and records what came back. */
export async function book(
  gateway: GatewayProcess,
  token: string,
  planned: PlannedBooking,
): Promise<BookingOutcome> {
  const startedAt = performance.now();
  const elapsedMs = () => Math.round(performance.now() - startedAt);
  try {
    const { patientId, providerId, start, duration } = planned;
    const answer = await postJson(
      gateway,
      token,
      '/v1/bookings',
      { patientId, providerId, start, duration },
      { 'idempotency-key': planned.idempotencyKey },
    );
    return {
      planned,
      status: answer.status,
      code: typeof answer.body.code === 'string' ? answer.body.code : undefined,
      bookingId: typeof answer.body.id === 'string' ? answer.body.id : undefined,
      elapsedMs: elapsedMs(),
    };
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause;
    return { planned, error: cause?.code ?? String(error), elapsedMs: elapsedMs() };
  }
}

/** Reads rows with a short-lived connection. */
export async function query<T extends object>(url: string, text: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(text)).rows;
  } finally {
    await client.end();
  }
}

/** Active bookings that overlap another active booking of the same provider or patient. */
export const OVERLAPS = `
  select a.id, b.id as other from bookings a join bookings b on a.id < b.id
    and ((a.provider_id = b.provider_id
          and a.start_at < b.blocked_until and b.start_at < a.blocked_until)
      or (a.patient_id = b.patient_id and a.start_at < b.end_at and b.start_at < a.end_at))
  where a.status in ('pending', 'confirmed') and b.status in ('pending', 'confirmed')`;

/** Pending rows due and not leased: no dispatcher is working on them although they are due. */
const STUCK_MESSAGES = `
  select id, topic, state, attempts from outbox
  where state not in ('delivered', 'dead', 'cancelled')
    and not (state = 'pending' and (available_at > now() or leased_until > now()))`;

interface BookingRow {
  id: string;
  status: string;
  room_id: string | null;
  stale: boolean;
}

function roomProblems(rows: BookingRow[], rooms: FakeRoom[], removing: Set<string>): string[] {
  const problems: string[] = [];
  const byBooking = new Map<string, FakeRoom[]>();
  for (const room of rooms) {
    const key = room.customRoomId ?? '';
    byBooking.set(key, [...(byBooking.get(key) ?? []), room]);
  }
  for (const row of rows) {
    const made = byBooking.get(row.id) ?? [];
    const live = made.filter((room) => !room.disabled);
    if (row.status === 'confirmed') {
      const one = made.length === 1 && live[0]?.roomId === row.room_id && row.room_id !== null;
      if (!one)
        problems.push(`${row.id} confirmed with ${row.room_id}, VideoSDK has ${made.length}`);
    } else if (live.length > 0 && row.status !== 'pending' && !removing.has(row.id)) {
      problems.push(`${row.id} is ${row.status} and its room is live with no removal pending`);
    }
  }
  const known = new Set(rows.map((row) => row.id));
  for (const room of rooms) {
    if (!known.has(room.customRoomId ?? '')) problems.push(`room ${room.roomId} of no booking`);
  }
  return problems;
}

/**
 * What must hold in a gateway's database once the saga has run, as readable problems: no
 * overlapping active bookings; each confirmed booking has exactly one room on the video
 * service, the one it records; every other live room is on a pending booking or waits for its
 * `video.room.remove`; no hold is `pending` past its TTL; every outbox row is finished,
 * scheduled for later or leased to a live claim; nothing dead-lettered.
 */
export async function sagaProblems(
  url: string,
  rooms: FakeRoom[],
  holdTtlSeconds: number,
): Promise<string[]> {
  const overlaps = await query<{ id: string; other: string }>(url, OVERLAPS);
  const rows = await query<BookingRow>(
    url,
    `select id, status, room_id,
       status = 'pending' and created_at < now() - make_interval(secs => ${holdTtlSeconds}) as stale
     from bookings`,
  );
  const removals = await query<{ booking_id: string }>(
    url,
    `select payload->>'bookingId' as booking_id from outbox
     where topic = 'video.room.remove' and state = 'pending'`,
  );
  const stuck = await query<{ id: string; topic: string; state: string }>(url, STUCK_MESSAGES);
  const dead = await query<{ id: string; topic: string }>(
    url,
    `select id, topic from outbox where state = 'dead'`,
  );

  return [
    ...overlaps.map((o) => `${o.id} overlaps ${o.other}`),
    ...rows.filter((row) => row.stale).map((row) => `${row.id} pending past its TTL`),
    ...roomProblems(rows, rooms, new Set(removals.map((r) => r.booking_id))),
    ...stuck.map((m) => `${m.id} ${m.topic} ${m.state}: due and not claimed`),
    ...dead.map((m) => `${m.id} ${m.topic} dead-lettered`),
  ];
}
