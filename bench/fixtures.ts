import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DEMO_ROSTER, mapPool } from './shared.js';

const DAY_MS = 86_400_000;
const MINUTE_MS = 60_000;

/** The widest window the slots endpoint accepts. */
const SLOT_WINDOW_DAYS = 31;

/** Past the longest booking horizon in the demo roster (90 days). */
const SLOT_LOOKAHEAD_DAYS = 100;

/**
 * Slots start two UTC days out: past every notice period in the roster (at most a day), so no
 * slot stops being offered while the run goes on.
 */
const SLOT_LEAD_DAYS = 2;

export interface Provider {
  id: string;
  active: boolean;
  acceptingNewPatients: boolean;
  licensedRegions: string[];
  timeZone: string;
  sessionTypes: { duration: number }[];
}

export interface BookingBody {
  patientId: string;
  providerId: string;
  start: string;
  duration: number;
}

export class ApiClient {
  constructor(
    readonly base: string,
    private token = '',
  ) {}

  async call<T>(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; json: T }> {
    const response = await fetch(this.base + path, {
      method,
      headers: {
        authorization: `Bearer ${this.token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? null : JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
    return { status: response.status, json: (await response.json()) as T };
  }

  async expect<T>(status: number, method: string, path: string, body?: unknown): Promise<T> {
    const answer = await this.call<T>(method, path, body);
    if (answer.status !== status) {
      throw new Error(
        `${method} ${path} answered ${answer.status}: ${JSON.stringify(answer.json)}`,
      );
    }
    return answer.json;
  }

  /** Exchanges the demo organization's client credentials for an access token. */
  async authenticate(dataDir: string): Promise<string> {
    const credentials = JSON.parse(
      await readFile(join(dataDir, 'demo-credentials.json'), 'utf8'),
    ) as {
      clientId: string;
      clientSecret: string;
    };
    const response = await fetch(this.base + '/v1/oauth/token', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: credentials.clientId,
        client_secret: credentials.clientSecret,
      }),
      signal: AbortSignal.timeout(30_000),
    });
    const json = (await response.json()) as { access_token?: string };
    if (response.status !== 200 || !json.access_token) {
      throw new Error(`the token endpoint answered ${response.status}: ${JSON.stringify(json)}`);
    }
    this.token = json.access_token;
    return this.token;
  }

  get bearer(): string {
    return this.token;
  }
}

/** Every active provider, through the search endpoint. */
export async function listProviders(api: ApiClient): Promise<Provider[]> {
  const providers: Provider[] = [];
  let cursor: string | null = null;
  do {
    const query: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
    const page: { data: Provider[]; nextCursor: string | null } = await api.expect(
      200,
      'GET',
      `/v1/providers?limit=100${query}`,
    );
    providers.push(...page.data);
    cursor = page.nextCursor;
  } while (cursor);
  return providers;
}

export const bookable = (p: Provider) => p.active && p.acceptingNewPatients;
export const shortestDuration = (p: Provider) => Math.min(...p.sessionTypes.map((s) => s.duration));

/** A 7-day window starting at a UTC midnight two days from now. */
export function weekWindow(nowMs: number): { from: string; to: string } {
  const fromMs = startOfUtcDay(nowMs) + SLOT_LEAD_DAYS * DAY_MS;
  return { from: new Date(fromMs).toISOString(), to: new Date(fromMs + 7 * DAY_MS).toISOString() };
}

function startOfUtcDay(ms: number): number {
  return Math.floor(ms / DAY_MS) * DAY_MS;
}

/** Buffers from the roster that `serve --demo` loads: the API keeps schedules to itself. */
async function rosterBuffers(): Promise<Map<string, number>> {
  const roster = JSON.parse(await readFile(DEMO_ROSTER, 'utf8')) as {
    providers: { id: string; schedule: { bufferMinutes: number } }[];
  };
  return new Map(roster.providers.map((p) => [p.id, p.schedule.bufferMinutes]));
}

/**
 * Registers `perProvider` patients for each bookable provider, in a country the provider is
 * licensed for. Each patient only ever books that provider, so their sessions never overlap.
 */
export async function registerPatients(
  api: ApiClient,
  providers: Provider[],
  perProvider: number,
): Promise<Map<string, string[]>> {
  const jobs = providers.flatMap((provider) =>
    Array.from({ length: perProvider }, (_, n) => ({ provider, n })),
  );
  // A data folder can outlive a run; a fresh tag keeps this run's externalIds its own.
  const tag = Date.now().toString(36);
  const ids = await mapPool(jobs, 8, async ({ provider, n }) => {
    const country = (provider.licensedRegions[0] ?? 'SA').slice(0, 2);
    const patient = await api.expect<{ id: string }>(201, 'POST', '/v1/patients', {
      externalId: `bench-${tag}-${provider.id}-${n}`,
      givenName: 'Bench',
      familyName: `Patient ${n}`,
      birthDate: '1990-01-01',
      country,
      timeZone: provider.timeZone,
    });
    return { providerId: provider.id, patientId: patient.id };
  });
  const byProvider = new Map<string, string[]>();
  for (const { providerId, patientId } of ids) {
    const owned = byProvider.get(providerId) ?? [];
    owned.push(patientId);
    byProvider.set(providerId, owned);
  }
  return byProvider;
}

async function freeStarts(api: ApiClient, provider: Provider, duration: number, nowMs: number) {
  const starts: number[] = [];
  const firstMs = startOfUtcDay(nowMs) + SLOT_LEAD_DAYS * DAY_MS;
  const endMs = nowMs + SLOT_LOOKAHEAD_DAYS * DAY_MS;
  for (let fromMs = firstMs; fromMs < endMs; fromMs += SLOT_WINDOW_DAYS * DAY_MS) {
    const from = new Date(fromMs).toISOString();
    const to = new Date(Math.min(fromMs + SLOT_WINDOW_DAYS * DAY_MS, endMs)).toISOString();
    const page = await api.expect<{ data: { start: string }[] }>(
      200,
      'GET',
      `/v1/providers/${provider.id}/slots?from=${from}&to=${to}&duration=${duration}`,
    );
    starts.push(...page.data.map((slot) => Date.parse(slot.start)));
  }
  return starts;
}

/**
 * One booking request per free slot, none of which can collide with another: per provider the
 * slots are taken greedily so that each starts after the previous one's session and buffer.
 * Providers are interleaved, so concurrent requests spread over providers like real traffic.
 */
export async function planBookings(
  api: ApiClient,
  providers: Provider[],
  patients: Map<string, string[]>,
  nowMs: number,
): Promise<BookingBody[]> {
  const buffers = await rosterBuffers();
  const perProvider = await mapPool(providers, 4, async (provider) => {
    const duration = shortestDuration(provider);
    // An unknown provider gets an hour of margin, more than any buffer in the roster.
    const gapMs = (duration + (buffers.get(provider.id) ?? 60)) * MINUTE_MS;
    const owners = patients.get(provider.id) ?? [];
    const bodies: BookingBody[] = [];
    let nextFreeMs = 0;
    for (const startMs of await freeStarts(api, provider, duration, nowMs)) {
      if (startMs < nextFreeMs || owners.length === 0) continue;
      const patientId = owners[bodies.length % owners.length] as string;
      const start = new Date(startMs).toISOString();
      bodies.push({ patientId, providerId: provider.id, start, duration });
      nextFreeMs = startMs + gapMs;
    }
    return bodies;
  });
  return interleave(perProvider);
}

function interleave<T>(lists: T[][]): T[] {
  const out: T[] = [];
  const longest = Math.max(0, ...lists.map((list) => list.length));
  for (let i = 0; i < longest; i++) {
    for (const list of lists) {
      const item = list[i];
      if (item !== undefined) out.push(item);
    }
  }
  return out;
}

interface BookingView {
  providerId: string;
  patientId: string;
  start: string;
  end: string;
  status: string;
}

/**
 * Reads every booking back through the API and counts pairs that overlap for one provider or
 * one patient: a double booking under load would show here.
 */
export async function auditBookings(
  api: ApiClient,
): Promise<{ confirmed: number; overlaps: number }> {
  const all: BookingView[] = [];
  let cursor: string | null = null;
  do {
    const query: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
    const page: { data: BookingView[]; nextCursor: string | null } = await api.expect(
      200,
      'GET',
      `/v1/bookings?status=confirmed&limit=100${query}`,
    );
    all.push(...page.data);
    cursor = page.nextCursor;
  } while (cursor);
  return {
    confirmed: all.length,
    overlaps: overlapsBy(all, 'providerId') + overlapsBy(all, 'patientId'),
  };
}

function overlapsBy(bookings: BookingView[], key: 'providerId' | 'patientId'): number {
  const groups = new Map<string, BookingView[]>();
  for (const b of bookings) {
    const group = groups.get(b[key]) ?? [];
    group.push(b);
    groups.set(b[key], group);
  }
  let overlaps = 0;
  for (const group of groups.values()) {
    group.sort((a, b) => Date.parse(a.start) - Date.parse(b.start));
    let latestEndMs = Number.NEGATIVE_INFINITY;
    for (const b of group) {
      if (Date.parse(b.start) < latestEndMs) overlaps++;
      latestEndMs = Math.max(latestEndMs, Date.parse(b.end));
    }
  }
  return overlaps;
}
