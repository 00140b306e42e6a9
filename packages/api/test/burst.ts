/**
 * Bursts of bookings against a gateway process, and the database invariants every fault test
 * checks afterwards.
 */
import pg from 'pg';
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
 * `count` bookings that would all succeed: distinct patients, each on an offered slot of a
 * provider licensed in Saudi Arabia within the next two weeks, no two slots of one provider
 * closer than a session plus any buffer.
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
    '/v1/providers?region=SA&limit=50',
  );
  const from = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
  const to = new Date(Date.now() + 15 * 86_400_000).toISOString().slice(0, 10);
  const slots: { providerId: string; start: string; duration: number }[] = [];
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
    for (const start of starts) slots.push({ providerId: provider.id, start, duration });
    if (slots.length >= count) break;
  }
  if (slots.length < count)
    throw new Error(`only ${slots.length} free slots for ${count} bookings`);

  const numbered = slots.slice(0, count).map((slot, n) => ({ slot, n }));
  return inBatches(numbered, 10, async ({ slot, n }) => {
    const created = await postJson(gateway, token, '/v1/patients', {
      externalId: `${label}-${n}`,
      givenName: 'Burst',
      familyName: 'Patient',
      birthDate: '1990-01-01',
      country: 'SA',
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
