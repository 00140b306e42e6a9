import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  type Booking,
  type Credential,
  type Patient,
  type PatientCreate,
  Tahoon,
  TahoonApiError,
  TahoonConnectionError,
  TahoonError,
  type TahoonEvent,
  type TahoonOptions,
  type WebhookDelivery,
  type WebhookEndpoint,
} from '../src/index.js';
import { parseRetryAfter } from '../src/transport.js';
import { CLIENT_ID, CLIENT_SECRET, FakeGateway, problem, type Received } from './gateway.js';

const OPENAPI = fileURLToPath(new URL('../../../docs/openapi.json', import.meta.url));

const PATIENT: Patient = {
  id: 'pat_k3m9q2x7w4n8p5rt',
  externalId: 'crm-1042',
  givenName: 'Sara',
  familyName: 'Ali',
  birthDate: '1990-04-21',
  country: 'SA',
  timeZone: 'Asia/Riyadh',
  email: null,
  phone: null,
  gender: null,
  language: 'ar-SA',
  createdAt: '2026-04-01T09:00:00Z',
  updatedAt: '2026-04-01T09:00:00Z',
};

const PATIENT_INPUT: PatientCreate = {
  externalId: 'crm-1042',
  givenName: 'Sara',
  familyName: 'Ali',
  birthDate: '1990-04-21',
  country: 'SA',
  timeZone: 'Asia/Riyadh',
  language: 'ar-SA',
};

const BOOKING_INPUT = {
  patientId: PATIENT.id,
  providerId: 'prv_k3m9q2x7w4n8p5rt',
  start: '2026-05-03T10:00:00+03:00',
  duration: 50,
};

function booking(id: string): Booking {
  return {
    id,
    status: 'confirmed',
    ...BOOKING_INPUT,
    end: '2026-05-03T10:50:00+03:00',
    price: { amount: 25000, currency: 'SAR' },
    video: null,
    cancellation: null,
    history: [],
    createdAt: '2026-04-01T09:00:00Z',
  };
}

const CATALOGUE = {
  specialties: ['anxiety'],
  languages: ['ar', 'en'],
  providerTypes: ['psychologist'],
  genders: ['female', 'male'],
  currencies: ['SAR'],
};

let gateway: FakeGateway;

function client(options: Partial<TahoonOptions> = {}): Tahoon {
  return new Tahoon({
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    ...options,
    baseUrl: options.baseUrl ?? gateway.url,
  });
}

/** The error a promise rejects with; fails the test when it resolves. */
async function failure(promise: PromiseLike<unknown>): Promise<TahoonError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof TahoonError) return error;
    throw error;
  }
  throw new Error('expected the call to fail');
}

beforeEach(async () => {
  gateway = await new FakeGateway().start();
  // Backoff waits become zero; tests that care about waits use Retry-After, which has no jitter.
  vi.spyOn(Math, 'random').mockReturnValue(0);
});

afterEach(async () => {
  vi.restoreAllMocks();
  vi.useRealTimers();
  await gateway.stop();
});

describe('authentication', () => {
  it('fetches a client-credentials token on the first call and sends it as a bearer', async () => {
    gateway.on('GET /v1/catalogue', { json: CATALOGUE });

    const catalogue = await client().catalogue.get();

    expect(catalogue).toEqual(CATALOGUE);
    const [tokenRequest] = gateway.tokenRequests;
    expect(tokenRequest?.method).toBe('POST');
    expect(tokenRequest?.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(tokenRequest?.headers.authorization).toMatch(/^Basic /);
    expect(new URLSearchParams(tokenRequest?.body).get('grant_type')).toBe('client_credentials');
    expect(gateway.requestsTo('/v1/catalogue')[0]?.headers.authorization).toBe('Bearer tok_1');
  });

  it('shares one token request between concurrent calls', async () => {
    gateway.tokenDelayMs = 50;
    gateway.on('GET /v1/catalogue', { json: CATALOGUE });
    const tahoon = client();

    await Promise.all(Array.from({ length: 5 }, () => tahoon.catalogue.get()));

    expect(gateway.tokenRequests).toHaveLength(1);
    expect(gateway.requestsTo('/v1/catalogue')).toHaveLength(5);
  });

  it('reuses a token until a minute before it expires, then fetches a new one', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2026-05-01T09:00:00Z'));
    gateway.on('GET /v1/catalogue', { json: CATALOGUE });
    const tahoon = client();

    await tahoon.catalogue.get();
    vi.setSystemTime(new Date('2026-05-01T09:58:59Z'));
    await tahoon.catalogue.get();
    expect(gateway.tokenRequests).toHaveLength(1);

    vi.setSystemTime(new Date('2026-05-01T09:59:01Z'));
    await tahoon.catalogue.get();
    expect(gateway.tokenRequests).toHaveLength(2);
    expect(gateway.requestsTo('/v1/catalogue')[2]?.headers.authorization).toBe('Bearer tok_2');
  });

  it('replaces a refused token once and repeats the call with its idempotency key', async () => {
    gateway.on('POST /v1/bookings', { status: 201, json: booking('bkg_k3m9q2x7w4n8p5rt') });
    gateway.on('GET /v1/catalogue', { json: CATALOGUE });
    const tahoon = client();
    await tahoon.catalogue.get();
    gateway.tokens.clear(); // the server revokes every token it issued

    const created = await tahoon.bookings.create(BOOKING_INPUT);

    expect(created.id).toBe('bkg_k3m9q2x7w4n8p5rt');
    expect(gateway.tokenRequests).toHaveLength(2);
    const attempts = gateway.requestsTo('/v1/bookings');
    expect(attempts.map((r) => r.headers.authorization)).toEqual(['Bearer tok_1', 'Bearer tok_2']);
    expect(attempts[0]?.headers['idempotency-key']).toBe(attempts[1]?.headers['idempotency-key']);
  });

  it('gives up after one fresh token is refused too', async () => {
    gateway.on('GET /v1/catalogue', problem(401, 'UNAUTHENTICATED', 'Token revoked'));

    const error = await failure(client().catalogue.get());

    expect(error.code).toBe('UNAUTHENTICATED');
    expect(gateway.tokenRequests).toHaveLength(2);
    expect(gateway.requestsTo('/v1/catalogue')).toHaveLength(2);
  });

  it('reports refused credentials with the OAuth error and does not retry them', async () => {
    const tahoon = client({ clientSecret: 'wrong' });

    const error = await failure(tahoon.catalogue.get());

    expect(error).toBeInstanceOf(TahoonApiError);
    expect(error).toMatchObject({
      code: 'UNAUTHENTICATED',
      status: 401,
      oauthError: 'invalid_client',
    });
    expect(error.requestId).toBe('req_tokenfailure');
    expect(gateway.tokenRequests).toHaveLength(1);
    expect(gateway.requestsTo('/v1/catalogue')).toHaveLength(0);
  });

  it('retries a token request the server could not serve, then shares the token', async () => {
    gateway.tokenFailures.push(problem(503, 'UNAVAILABLE', 'Key store is restarting'));
    gateway.on('GET /v1/catalogue', { json: CATALOGUE });

    await client().catalogue.get();

    expect(gateway.tokenRequests).toHaveLength(2);
  });
});

describe('retries', () => {
  it('waits as long as Retry-After says, in seconds', async () => {
    gateway.on('GET /v1/catalogue', { json: CATALOGUE });
    const tahoon = client();
    await tahoon.catalogue.get(); // the token is fetched by now; only the retry is timed

    gateway.on(
      'GET /v1/catalogue',
      { ...problem(429, 'RATE_LIMITED', 'Slow down'), headers: { 'retry-after': '1' } },
      { json: CATALOGUE },
    );
    const started = performance.now();
    const result = await tahoon.catalogue.get();

    expect(performance.now() - started).toBeGreaterThanOrEqual(950);
    expect(result).toEqual(CATALOGUE);
    expect(gateway.requestsTo('/v1/catalogue')).toHaveLength(3);
  });

  it('reads Retry-After as an HTTP date too', () => {
    const now = Date.parse('2026-05-01T09:00:00Z');
    expect(parseRetryAfter('Fri, 01 May 2026 09:00:02 GMT', now)).toBe(2000);
    expect(parseRetryAfter('Fri, 01 May 2026 08:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('3', now)).toBe(3000);
    expect(parseRetryAfter('1.5', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });

  it('retries 5xx answers up to maxRetries, then throws the last one', async () => {
    gateway.on('GET /v1/catalogue', problem(500, 'INTERNAL', 'Something went wrong on our side'));

    const error = await failure(client({ maxRetries: 3 }).catalogue.get());

    expect(error.code).toBe('INTERNAL');
    expect(gateway.requestsTo('/v1/catalogue')).toHaveLength(4);
  });

  it('lets one call turn retries off', async () => {
    gateway.on('GET /v1/catalogue', problem(503, 'UNAVAILABLE', 'Down'), { json: CATALOGUE });

    await failure(client().catalogue.get({ maxRetries: 0 }));

    expect(gateway.requestsTo('/v1/catalogue')).toHaveLength(1);
  });

  it('does not retry 501 or a Retry-After longer than a minute', async () => {
    gateway.on('GET /v1/catalogue', {
      status: 501,
      raw: 'Not Implemented',
      contentType: 'text/plain',
    });
    const tahoon = client();
    expect((await failure(tahoon.catalogue.get())).status).toBe(501);
    expect(gateway.requestsTo('/v1/catalogue')).toHaveLength(1);

    gateway.on('GET /v1/catalogue', {
      ...problem(429, 'RATE_LIMITED', 'Daily quota used'),
      headers: { 'retry-after': '3600' },
    });
    const error = await failure(tahoon.catalogue.get());
    expect(error).toMatchObject({ code: 'RATE_LIMITED', retryAfterMs: 3_600_000 });
    expect(gateway.requestsTo('/v1/catalogue')).toHaveLength(2);
  });

  it('never retries a conflict, and says which one it was', async () => {
    gateway.on(
      'POST /v1/bookings',
      problem(409, 'SLOT_UNAVAILABLE', 'That slot was booked a moment ago'),
    );

    const error = await failure(client().bookings.create(BOOKING_INPUT));

    expect(gateway.requestsTo('/v1/bookings')).toHaveLength(1);
    expect(error).toBeInstanceOf(TahoonApiError);
    expect(error).toMatchObject({
      code: 'SLOT_UNAVAILABLE',
      status: 409,
      detail: 'That slot was booked a moment ago',
      type: 'https://docs.tahoon.example/problems/slot_unavailable',
      title: 'Problem SLOT_UNAVAILABLE',
      requestId: 'req_bodyslot_unavail',
      errors: [],
    });
    expect(error.message).toContain('SLOT_UNAVAILABLE');
    expect(error.message).toContain('req_bodyslot_unavail');
  });

  it('sends one idempotency key for every attempt of a write, a new one per call', async () => {
    gateway.on(
      'POST /v1/patients',
      problem(503, 'UNAVAILABLE', 'Database failover'),
      { status: 502, raw: '<html>Bad gateway</html>', contentType: 'text/html' },
      { status: 201, json: PATIENT },
    );
    const tahoon = client();

    await tahoon.patients.create(PATIENT_INPUT);
    await tahoon.patients.create(PATIENT_INPUT);

    const keys = gateway.requestsTo('/v1/patients').map((r) => r.headers['idempotency-key']);
    expect(keys).toHaveLength(4);
    expect(keys[0]).toMatch(/^[0-9a-f-]{36}$/);
    expect(new Set(keys.slice(0, 3)).size).toBe(1);
    expect(keys[3]).not.toBe(keys[0]);
  });

  it('sends the caller’s idempotency key as given, and none on reads', async () => {
    gateway.on('POST /v1/bookings/bkg_k3m9q2x7w4n8p5rt/cancel', { json: booking('bkg_1') });
    gateway.on('GET /v1/catalogue', { json: CATALOGUE });
    const tahoon = client();

    await tahoon.bookings.cancel('bkg_k3m9q2x7w4n8p5rt', {}, { idempotencyKey: 'cancel-77' });
    await tahoon.catalogue.get();

    const [cancel] = gateway.requestsTo('/v1/bookings/bkg_k3m9q2x7w4n8p5rt/cancel');
    expect(cancel?.headers['idempotency-key']).toBe('cancel-77');
    expect(gateway.requestsTo('/v1/catalogue')[0]?.headers['idempotency-key']).toBeUndefined();
  });
});

describe('errors', () => {
  it('carries per-field problems of a validation failure', async () => {
    gateway.on(
      'POST /v1/patients',
      problem(400, 'VALIDATION_FAILED', 'The request is not valid', {
        errors: [{ pointer: '/birthDate', message: 'must be a date as YYYY-MM-DD' }],
      }),
    );

    const error = await failure(
      client().patients.create({ ...PATIENT_INPUT, birthDate: '21/04/1990' }),
    );

    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.errors).toEqual([
      { pointer: '/birthDate', message: 'must be a date as YYYY-MM-DD' },
    ]);
  });

  it('makes sense of answers that are not problem documents', async () => {
    gateway.on('GET /v1/patients/pat_missing', {
      status: 404,
      raw: '<html>Not found</html>',
      contentType: 'text/html',
    });
    gateway.on('GET /v1/patients/pat_conflict', {
      status: 409,
      raw: 'conflict',
      contentType: 'text/plain',
    });
    gateway.on('GET /v1/patients/pat_gateway', { status: 502, raw: '', contentType: 'text/plain' });
    const tahoon = client({ maxRetries: 0 });

    const missing = await failure(tahoon.patients.get('pat_missing'));
    expect(missing).toMatchObject({ code: 'NOT_FOUND', status: 404, title: undefined });
    expect(missing.detail).toContain('not JSON');
    expect(missing.requestId).toMatch(/^req_/);

    expect((await failure(tahoon.patients.get('pat_conflict'))).code).toBe('UNEXPECTED_RESPONSE');
    expect((await failure(tahoon.patients.get('pat_gateway'))).code).toBe('UNAVAILABLE');
  });

  it('refuses a success whose body is not JSON', async () => {
    gateway.on('GET /v1/catalogue', { status: 200, raw: 'OK', contentType: 'text/plain' });

    const error = await failure(client().catalogue.get());

    expect(error).toMatchObject({ code: 'UNEXPECTED_RESPONSE', status: 200 });
  });

  it('tells a connection failure from a server answer, after retrying it', async () => {
    const closed = gateway.url;
    await gateway.stop();

    const error = await failure(client({ baseUrl: closed, maxRetries: 1 }).catalogue.get());

    expect(error).toBeInstanceOf(TahoonConnectionError);
    expect(error).toMatchObject({ code: 'CONNECTION_FAILED', status: undefined });
    expect(error.requestId).toBeUndefined();
  });

  it('times out an attempt that takes longer than timeoutMs, and retries it', async () => {
    gateway.on('GET /v1/catalogue', { json: CATALOGUE, delayMs: 400 }, { json: CATALOGUE });
    const tahoon = client({ timeoutMs: 150 });

    await expect(tahoon.catalogue.get()).resolves.toEqual(CATALOGUE);
    gateway.on('GET /v1/catalogue', { json: CATALOGUE, delayMs: 400 });
    const error = await failure(tahoon.catalogue.get({ maxRetries: 0 }));

    expect(error.code).toBe('TIMEOUT');
  });

  it('stops a call, even between attempts, when its signal aborts', async () => {
    gateway.on('GET /v1/catalogue', {
      ...problem(503, 'UNAVAILABLE', 'Down'),
      headers: { 'retry-after': '30' },
    });
    const controller = new AbortController();
    const pending = client().catalogue.get({ signal: controller.signal });
    setTimeout(() => controller.abort(new Error('user left')), 200);

    const error = await failure(pending);

    expect(error.code).toBe('ABORTED');
    expect(gateway.requestsTo('/v1/catalogue')).toHaveLength(1);
  });
});

describe('results', () => {
  it('carries the request id without adding it to the data', async () => {
    gateway.on('GET /v1/patients/pat_k3m9q2x7w4n8p5rt', { json: PATIENT });

    const patient = await client().patients.get(PATIENT.id);

    expect(patient.requestId).toMatch(/^req_/);
    expect(Object.keys(patient)).not.toContain('requestId');
    expect(JSON.parse(JSON.stringify(patient))).toEqual(PATIENT);
    expect({ ...patient }).toEqual(PATIENT);
  });

  it('sends bodies and queries the way the contract spells them', async () => {
    gateway.on('PATCH /v1/patients/pat_k3m9q2x7w4n8p5rt', { json: PATIENT });
    gateway.on('GET /v1/providers/prv_a%2Fb/slots', {
      json: { data: [], timeZone: 'Asia/Riyadh' },
    });
    gateway.on('GET /v1/providers', { json: { data: [], nextCursor: null } });
    const tahoon = client();

    await tahoon.patients.update(PATIENT.id, { phone: '+966501234567' });
    const slots = await tahoon.providers.slots('prv_a/b', {
      from: '2026-05-03T00:00:00+03:00',
      to: '2026-05-04T00:00:00+03:00',
      duration: 50,
    });
    await tahoon.providers.search({ acceptingNewPatients: false, maxPrice: 30000, q: undefined });

    const [update] = gateway.requestsTo('/v1/patients/pat_k3m9q2x7w4n8p5rt');
    expect(update?.headers['content-type']).toBe('application/json');
    expect(JSON.parse(update?.body ?? '')).toEqual({ phone: '+966501234567' });
    expect(slots).toEqual({ data: [], timeZone: 'Asia/Riyadh' });
    const [slotRequest] = gateway.requestsTo('/v1/providers/prv_a%2Fb/slots');
    expect(slotRequest?.query.get('from')).toBe('2026-05-03T00:00:00+03:00');
    expect(slotRequest?.query.get('duration')).toBe('50');
    const [search] = gateway.requestsTo('/v1/providers');
    expect(search?.query.toString()).toBe('acceptingNewPatients=false&maxPrice=30000');
  });
});

describe('pagination', () => {
  const PAGES: Record<string, { ids: string[]; next: string | null }> = {
    first: { ids: ['bkg_1', 'bkg_2'], next: 'c2' },
    c2: { ids: ['bkg_3', 'bkg_4'], next: 'c3' },
    c3: { ids: ['bkg_5'], next: null },
  };

  function bookingPages(request: Received) {
    const page = PAGES[request.query.get('cursor') ?? 'first'] ?? { ids: [], next: null };
    return { json: { data: page.ids.map(booking), nextCursor: page.next } };
  }

  it('iterates every item across pages, keeping the filters', async () => {
    gateway.on('GET /v1/bookings', bookingPages);
    const ids: string[] = [];

    for await (const item of client().bookings.list({ patientId: PATIENT.id, limit: 2 })) {
      ids.push(item.id);
    }

    expect(ids).toEqual(['bkg_1', 'bkg_2', 'bkg_3', 'bkg_4', 'bkg_5']);
    const requests = gateway.requestsTo('/v1/bookings');
    expect(requests.map((r) => r.query.get('cursor'))).toEqual([null, 'c2', 'c3']);
    expect(requests.every((r) => r.query.get('patientId') === PATIENT.id)).toBe(true);
    expect(requests.every((r) => r.query.get('limit') === '2')).toBe(true);
  });

  it('gives one page when awaited, and the next on request', async () => {
    gateway.on('GET /v1/bookings', bookingPages);

    const first = await client().bookings.list({ limit: 2 });
    expect(first).toEqual({ data: [booking('bkg_1'), booking('bkg_2')], nextCursor: 'c2' });
    expect(first.requestId).toMatch(/^req_/);
    expect(Object.keys(first)).toEqual(['data', 'nextCursor']);

    const second = await first.nextPage();
    expect(second?.data.map((b) => b.id)).toEqual(['bkg_3', 'bkg_4']);
    const third = await second?.nextPage();
    expect(await third?.nextPage()).toBeNull();
    expect(gateway.requestsTo('/v1/bookings')).toHaveLength(3);
  });

  it('requests nothing until the list is awaited or iterated', async () => {
    gateway.on('GET /v1/bookings', bookingPages);

    const list = client().bookings.list();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(gateway.requestsTo('/v1/bookings')).toHaveLength(0);

    await list;
    await list;
    expect(gateway.requestsTo('/v1/bookings')).toHaveLength(1);
  });

  it('stops a server that hands back the same cursor forever', async () => {
    gateway.on('GET /v1/bookings', { json: { data: [booking('bkg_1')], nextCursor: 'loop' } });

    const error = await failure(
      (async () => {
        for await (const item of client().bookings.list()) void item;
      })(),
    );

    expect(error.code).toBe('UNEXPECTED_RESPONSE');
    expect(gateway.requestsTo('/v1/bookings')).toHaveLength(2);
  });
});

describe('options', () => {
  const valid = { baseUrl: 'https://gateway.tahoon.example', clientId: 'id', clientSecret: 's' };

  it('refuses unknown constructor options by name', () => {
    const misspelt = { ...valid, timeout: 5000, retries: 1 } as unknown as TahoonOptions;
    expect(() => new Tahoon(misspelt)).toThrow(TypeError);
    expect(() => new Tahoon(misspelt)).toThrow(/unknown option timeout, retries/);
  });

  it('names every missing or malformed option at once', () => {
    const bad = { baseUrl: 'gateway', clientId: '', maxRetries: -1 } as unknown as TahoonOptions;
    const message = (() => {
      try {
        new Tahoon(bad);
      } catch (error) {
        return String(error);
      }
      return '';
    })();

    expect(message).toContain('baseUrl');
    expect(message).toContain('clientId');
    expect(message).toContain('clientSecret');
    expect(message).toContain('maxRetries');
  });

  it('refuses a base URL that already ends in /v1', () => {
    expect(() => new Tahoon({ ...valid, baseUrl: 'https://gateway.tahoon.example/v1/' })).toThrow(
      /must not end in \/v1/,
    );
    expect(
      () => new Tahoon({ ...valid, baseUrl: 'https://gateway.tahoon.example/' }),
    ).not.toThrow();
  });

  it('refuses unknown per-call options, and an idempotency key on a read', async () => {
    const tahoon = new Tahoon(valid);
    const typo = { timeout: 5 } as unknown as { timeoutMs: number };

    await expect(tahoon.catalogue.get(typo)).rejects.toThrow(/unknown option timeout/);
    const readKey = { idempotencyKey: 'k' } as unknown as { timeoutMs: number };
    await expect(tahoon.patients.get('pat_1', readKey)).rejects.toThrow(/idempotencyKey/);
    await expect(tahoon.bookings.list({}, typo)).rejects.toThrow(TypeError);
  });

  it('refuses an empty id before anything is sent', async () => {
    await expect(new Tahoon(valid).bookings.get('')).rejects.toThrow(TypeError);
  });

  it('uses the fetch it is given', async () => {
    const calls: string[] = [];
    const fetch = async (url: string) => {
      calls.push(url);
      const body = url.endsWith('/token')
        ? { access_token: 't', token_type: 'Bearer', expires_in: 60 }
        : CATALOGUE;
      return new Response(JSON.stringify(body), { headers: { 'x-request-id': 'req_given' } });
    };

    const result = await new Tahoon({ ...valid, fetch }).catalogue.get();

    expect(result.requestId).toBe('req_given');
    expect(calls).toEqual([
      'https://gateway.tahoon.example/v1/oauth/token',
      'https://gateway.tahoon.example/v1/catalogue',
    ]);
  });
});

describe('data-subject rights and the audit trail', () => {
  const ERASURE = {
    id: PATIENT.id,
    erasedAt: '2026-05-01T09:00:00Z',
    cancelledBookingIds: ['bkg_1'],
  };

  it('exports a patient and erases one with DELETE and an idempotency key', async () => {
    gateway.on('GET /v1/patients/pat_k3m9q2x7w4n8p5rt/export', {
      json: { patient: PATIENT, bookings: [booking('bkg_1')], auditEvents: [], exportedAt: 'x' },
    });
    gateway.on('DELETE /v1/patients/pat_k3m9q2x7w4n8p5rt', { json: ERASURE });
    const tahoon = client();

    const exported = await tahoon.patients.export(PATIENT.id);
    const erased = await tahoon.patients.erase(PATIENT.id, { idempotencyKey: 'erase-1042' });

    expect(exported.bookings.map((b) => b.id)).toEqual(['bkg_1']);
    expect(erased).toEqual(ERASURE);
    const [request] = gateway.requestsTo('/v1/patients/pat_k3m9q2x7w4n8p5rt');
    expect(request?.method).toBe('DELETE');
    expect(request?.headers['idempotency-key']).toBe('erase-1042');
    expect(request?.body).toBe('');
  });

  it('lists the audit trail with its filters', async () => {
    gateway.on('GET /v1/audit-events', { json: { data: [], nextCursor: null } });

    await client().auditEvents.list({ action: 'patient.read', resourceId: PATIENT.id });

    const [request] = gateway.requestsTo('/v1/audit-events');
    expect(request?.query.get('action')).toBe('patient.read');
    expect(request?.query.get('resourceId')).toBe(PATIENT.id);
  });
});

describe('webhooks, events, devices and credentials', () => {
  const ENDPOINT: WebhookEndpoint = {
    id: 'wep_k3m9q2x7w4n8p5rt',
    url: 'https://hooks.clinic.example/tahoon',
    description: null,
    eventTypes: null,
    enabled: true,
    disabledReason: null,
    disabledAt: null,
    previousSecretExpiresAt: null,
    consecutiveFailures: 0,
    failingSince: null,
    createdAt: '2026-04-01T09:00:00Z',
    updatedAt: '2026-04-01T09:00:00Z',
  };
  const WITH_SECRET = { ...ENDPOINT, secret: 'whsec_c2VjcmV0' };
  const EP = `/v1/webhook-endpoints/${ENDPOINT.id}`;
  /** An FCM token has a colon, which travels percent-encoded in the path. */
  const FCM_TOKEN = 'fcm:APA91b-x_y.z';
  const DEVICE_PATH = `/v1/patients/${PATIENT.id}/devices/fcm%3AAPA91b-x_y.z`;

  function event(n: number): TahoonEvent {
    return {
      id: `evt_${n}`,
      type: 'booking.created',
      occurredAt: '2026-04-01T09:00:00Z',
      data: { bookingId: `bkg_${n}` },
    };
  }

  function eventPages(request: Received) {
    const after = Number(request.query.get('after')?.slice('evt_'.length) ?? 0);
    const ids = [after + 1, after + 2].filter((n) => n <= 5);
    return {
      json: { data: ids.map(event), nextCursor: ids.length === 2 ? `evt_${ids[1]}` : null },
    };
  }

  it('iterates events after a given one, passing each page’s cursor back as `after`', async () => {
    gateway.on('GET /v1/events', eventPages);
    const ids: string[] = [];

    for await (const item of client().events.list({ after: 'evt_1', limit: 2 })) ids.push(item.id);

    expect(ids).toEqual(['evt_2', 'evt_3', 'evt_4', 'evt_5']);
    const requests = gateway.requestsTo('/v1/events');
    expect(requests.map((r) => r.query.get('after'))).toEqual(['evt_1', 'evt_3', 'evt_5']);
    expect(requests.every((r) => r.query.get('limit') === '2' && !r.query.has('cursor'))).toBe(
      true,
    );
  });

  it('lists from the first event when `after` is left out or undefined', async () => {
    gateway.on('GET /v1/events', eventPages);

    const page = await client().events.list({ after: undefined });

    expect(page.data.map((e) => e.id)).toEqual(['evt_1', 'evt_2']);
    expect(page.nextCursor).toBe('evt_2');
    expect(gateway.requestsTo('/v1/events')[0]?.query.toString()).toBe('');
  });

  it('redelivers an event to one endpoint with an idempotency key', async () => {
    gateway.on('POST /v1/events/evt_7/redeliver', { json: { queued: 1 } });

    const result = await client().events.redeliver('evt_7', { endpointId: ENDPOINT.id });

    expect(result).toEqual({ queued: 1 });
    const [request] = gateway.requestsTo('/v1/events/evt_7/redeliver');
    expect(JSON.parse(request?.body ?? '')).toEqual({ endpointId: ENDPOINT.id });
    expect(request?.headers['idempotency-key']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('manages webhook endpoints with the contract’s methods, bodies and keys', async () => {
    gateway.on('POST /v1/webhook-endpoints', { status: 201, json: WITH_SECRET });
    gateway.on('GET /v1/webhook-endpoints', { json: { data: [ENDPOINT] } });
    gateway.on(`GET ${EP}`, { json: ENDPOINT });
    gateway.on(`PATCH ${EP}`, { json: { ...ENDPOINT, enabled: false } });
    gateway.on(`DELETE ${EP}`, { json: { id: ENDPOINT.id, deleted: true } });
    gateway.on(`POST ${EP}/rotate-secret`, { json: WITH_SECRET });
    gateway.on(`POST ${EP}/replay`, { json: { queued: 3 } });
    const endpoints = client().webhookEndpoints;

    const created = await endpoints.create({ url: ENDPOINT.url }, { idempotencyKey: 'wh-1' });
    await endpoints.list();
    await endpoints.get(ENDPOINT.id);
    await endpoints.update(ENDPOINT.id, { enabled: false, description: null });
    await endpoints.rotateSecret(ENDPOINT.id, { overlapSeconds: 60 });
    const replayed = await endpoints.replay(ENDPOINT.id, { after: 'evt_1' });
    const deleted = await endpoints.delete(ENDPOINT.id);

    expect(created.secret).toBe('whsec_c2VjcmV0');
    expect(replayed.queued).toBe(3);
    expect(deleted).toEqual({ id: ENDPOINT.id, deleted: true });
    const sent = gateway.received.filter((r) => r.path.startsWith('/v1/webhook-endpoints'));
    expect(sent.map((r) => [r.method, r.path, r.body])).toEqual([
      ['POST', '/v1/webhook-endpoints', JSON.stringify({ url: ENDPOINT.url })],
      ['GET', '/v1/webhook-endpoints', ''],
      ['GET', EP, ''],
      ['PATCH', EP, JSON.stringify({ enabled: false, description: null })],
      ['POST', `${EP}/rotate-secret`, JSON.stringify({ overlapSeconds: 60 })],
      ['POST', `${EP}/replay`, JSON.stringify({ after: 'evt_1' })],
      ['DELETE', EP, ''],
    ]);
    const keys = sent.map((r) => r.headers['idempotency-key']);
    expect(keys[0]).toBe('wh-1');
    expect(keys.filter((k) => k === undefined)).toHaveLength(2);
    expect(new Set(keys.filter((k) => k !== undefined)).size).toBe(5);
  });

  it('pages through an endpoint’s deliveries, and checks its id only when used', async () => {
    const attempt = (id: string): WebhookDelivery => ({
      id,
      eventId: 'evt_1',
      endpointId: ENDPOINT.id,
      attempt: 1,
      status: 500,
      error: 'http_status',
      durationMs: 12,
      attemptedAt: '2026-04-01T09:00:00Z',
    });
    gateway.on(
      `GET ${EP}/deliveries`,
      { json: { data: [attempt('wdl_1')], nextCursor: 'c2' } },
      { json: { data: [attempt('wdl_2')], nextCursor: null } },
    );

    const ids: string[] = [];
    for await (const item of client().webhookEndpoints.deliveries(ENDPOINT.id, { limit: 1 })) {
      ids.push(item.id);
    }
    const unused = client().webhookEndpoints.deliveries('');

    expect(ids).toEqual(['wdl_1', 'wdl_2']);
    expect(gateway.requestsTo(`${EP}/deliveries`).map((r) => r.query.get('cursor'))).toEqual([
      null,
      'c2',
    ]);
    await expect(unused).rejects.toThrow(TypeError);
  });

  it('registers a device with PUT and removes it with DELETE, the token encoded', async () => {
    const device = { id: 'dev_1', patientId: PATIENT.id, platform: 'ios', createdAt: 'x' };
    gateway.on(`PUT ${DEVICE_PATH}`, { json: device });
    gateway.on(`DELETE ${DEVICE_PATH}`, { json: { deleted: true } });
    const tahoon = client();

    const registered = await tahoon.devices.register(PATIENT.id, FCM_TOKEN, { platform: 'ios' });
    const removed = await tahoon.devices.remove(PATIENT.id, FCM_TOKEN);

    expect(registered).toEqual(device);
    expect(removed).toEqual({ deleted: true });
    const [put, del] = gateway.requestsTo(DEVICE_PATH);
    expect([put?.method, put?.body, del?.method, del?.body]).toEqual([
      'PUT',
      JSON.stringify({ platform: 'ios' }),
      'DELETE',
      '',
    ]);
    expect(put?.headers['idempotency-key']).toBeDefined();
    expect(del?.headers['idempotency-key']).toBeDefined();
    await expect(tahoon.devices.register(PATIENT.id, '')).rejects.toThrow(TypeError);
  });

  it('administers credentials; secrets come back only from create and rotate', async () => {
    const credential: Credential = {
      id: 'cred_a2b3c4d5e6f7g8h9',
      label: 'Reminders',
      scopes: ['events:read'],
      status: 'active',
      createdAt: '2026-04-01T09:00:00Z',
      expiresAt: null,
      revokedAt: null,
      lastUsedAt: null,
      secrets: [],
    };
    const path = `/v1/credentials/${credential.id}`;
    const rotation = {
      clientId: credential.id,
      clientSecret: 'tk_test_new',
      secretId: 'csec_1',
      previousSecretsExpireAt: '2026-04-01T10:00:00Z',
      credential,
    };
    gateway.on('POST /v1/credentials', { status: 201, json: { ...credential, clientSecret: 's' } });
    gateway.on('GET /v1/credentials', { json: { data: [credential] } });
    gateway.on(`GET ${path}`, { json: credential });
    gateway.on(`POST ${path}/rotate`, { json: rotation });
    gateway.on(`DELETE ${path}`, { json: { ...credential, status: 'revoked' } });
    const credentials = client().credentials;

    const created = await credentials.create({ label: 'Reminders', scopes: ['events:read'] });
    await credentials.list();
    await credentials.get(credential.id);
    const rotated = await credentials.rotate(credential.id, { previousSecretExpiresInSeconds: 0 });
    const revoked = await credentials.revoke(credential.id);

    expect(created.clientSecret).toBe('s');
    expect(rotated.clientSecret).toBe('tk_test_new');
    expect(revoked.status).toBe('revoked');
    const sent = gateway.received.filter((r) => r.path.startsWith('/v1/credentials'));
    expect(sent.map((r) => [r.method, r.path, r.headers['idempotency-key'] !== undefined])).toEqual(
      [
        ['POST', '/v1/credentials', true],
        ['GET', '/v1/credentials', false],
        ['GET', path, false],
        ['POST', `${path}/rotate`, true],
        ['DELETE', path, true],
      ],
    );
    expect(JSON.parse(sent[3]?.body ?? '')).toEqual({ previousSecretExpiresInSeconds: 0 });
  });

  it('only calls operations the OpenAPI document describes', async () => {
    const document = JSON.parse(await readFile(OPENAPI, 'utf8')) as {
      paths: Record<string, Record<string, unknown>>;
    };
    const operations = Object.entries(document.paths).flatMap(([template, methods]) =>
      Object.keys(methods).map((method) => ({
        method: method.toUpperCase(),
        pattern: new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`),
      })),
    );
    const sent = [
      ['POST', '/v1/webhook-endpoints'],
      ['GET', '/v1/webhook-endpoints'],
      ['GET', EP],
      ['PATCH', EP],
      ['DELETE', EP],
      ['POST', `${EP}/rotate-secret`],
      ['GET', `${EP}/deliveries`],
      ['POST', `${EP}/replay`],
      ['GET', '/v1/events'],
      ['POST', '/v1/events/evt_7/redeliver'],
      ['PUT', DEVICE_PATH],
      ['DELETE', DEVICE_PATH],
      ['POST', '/v1/credentials'],
      ['GET', '/v1/credentials'],
      ['GET', '/v1/credentials/cred_1'],
      ['POST', '/v1/credentials/cred_1/rotate'],
      ['DELETE', '/v1/credentials/cred_1'],
    ];

    const unknown = sent.filter(
      ([method, path]) =>
        !operations.some((op) => op.method === method && op.pattern.test(path ?? '')),
    );
    expect(unknown).toEqual([]);
  });
});
