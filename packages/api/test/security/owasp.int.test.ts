/**
 * The security suite, organised by the OWASP API Security Top 10 (2023). Every case runs on
 * both databases and on both transports (REST and tRPC) unless it concerns plain HTTP (the
 * token endpoint, headers, paths), and each refusal is checked against the database: a refused
 * request changes nothing. The last test prints how many cases each category holds and fails if
 * any category is empty.
 */
import { createSecretKey, generateKeyPairSync } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { and, eq } from 'drizzle-orm';
import { decodeJwt, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { createVideoSdkRooms } from '../../src/adapters/video/index.js';
import { bookings } from '../../src/db/schema.js';
import { createRateLimiter } from '../../src/ratelimit/index.js';
import {
  expectNoLeak,
  patientInput,
  procedureNames,
  restRoute,
  TRANSPORTS,
  type Transport,
} from '../acceptance.js';
import { appRouter } from '../../src/routers/index.js';
import openApiDocument from '../../../../docs/openapi.json' with { type: 'json' };
import {
  createTestGateway,
  DB_KINDS,
  rest,
  testConfig,
  type Answer,
  type TestGateway,
} from '../harness.js';
import { databaseDigest, invoke, OWASP, type OwaspCategory } from './support.js';

/** Asia/Riyadh psychologist, licensed in SA, 30 and 50 minutes, Sunday to Thursday. */
const PROVIDER = 'prv_sjnpfzd39nd2qv6w';
/** Riyadh, 14:00 to 20:00 Sunday to Thursday: the slot ten partners race for. */
const RACE_PROVIDER = 'prv_4ht6ixesieijfqrb';
/** Dubai, 10:00 to 18:00: free when A's patient is already in a session with PROVIDER. */
const DUBAI_PROVIDER = 'prv_h8325wrgqu3jykur';
const A_START = '2027-03-02T10:00:00+03:00';
const FREE_START = '2027-03-04T10:00:00+03:00';
const OTHER_FREE_START = '2027-03-04T12:00:00+03:00';

/** Organization A's objects, which organization B's calls aim at. */
interface Fixtures {
  patientId: string;
  bookingId: string;
}

interface CaseContext {
  gw: TestGateway;
  /** Absent for cases about plain HTTP, which run once per database. */
  transport: Transport | undefined;
  a: Fixtures;
  /** Calls a procedure as organization B, on the case's transport. */
  asB(procedure: string, input: Record<string, unknown>): Promise<Answer>;
  /** Calls a procedure with any token (or none), on the case's transport. */
  call(procedure: string, input: Record<string, unknown>, token?: string): Promise<Answer>;
}

interface SecurityCase {
  category: OwaspCategory;
  name: string;
  /** 'http' cases concern the HTTP layer only and run once per database. */
  scope: 'transports' | 'http';
  run(context: CaseContext): Promise<void>;
}

const CASES: SecurityCase[] = [];

function securityCase(
  category: OwaspCategory,
  name: string,
  run: SecurityCase['run'],
  scope: SecurityCase['scope'] = 'transports',
): void {
  CASES.push({ category, name, run, scope });
}

/** Runs `act` and checks the database is exactly as before. */
async function unchanged<T>(gw: TestGateway, act: () => Promise<T>): Promise<T> {
  const before = await databaseDigest(gw);
  const result = await act();
  expect(await databaseDigest(gw)).toEqual(before);
  return result;
}

function expectStatus(answer: Answer, status: number | number[]): void {
  const allowed = Array.isArray(status) ? status : [status];
  expect(allowed, JSON.stringify(answer.body)).toContain(answer.status);
  if (answer.status >= 400) {
    expect(answer.body).toMatchObject({ status: answer.status });
    expectNoLeak(JSON.stringify(answer.body));
  }
}

// ---------------------------------------------------------------------------------------------
// API1: Broken Object Level Authorization. Every operation that names an organization's object
// answers 404 to another organization and changes nothing.

/** Procedures whose ids name platform data every partner may read (the provider roster). */
const PLATFORM_ID_PROCEDURES = new Set(['providers.get', 'providers.slots']);

/** Organization B's call on each of A's objects, per procedure that takes an object id. */
const FOREIGN_OBJECT_CALLS: Record<string, (a: Fixtures) => Record<string, unknown>> = {
  'patients.get': (a) => ({ id: a.patientId }),
  'patients.update': (a) => ({ id: a.patientId, givenName: 'Mallory' }),
  'bookings.get': (a) => ({ id: a.bookingId }),
  'bookings.cancel': (a) => ({ id: a.bookingId, reason: 'Mine now' }),
  'bookings.reschedule': (a) => ({ id: a.bookingId, start: FREE_START }),
  'bookings.create': (a) => ({
    patientId: a.patientId,
    providerId: PROVIDER,
    start: FREE_START,
    duration: 50,
  }),
  'bookings.list': (a) => ({ patientId: a.patientId }),
};

/** The names of a procedure's input fields. */
function inputKeys(procedure: string): string[] {
  const flat = appRouter._def.procedures as unknown as Record<
    string,
    { _def: { inputs: { shape?: Record<string, unknown> }[] } }
  >;
  return (flat[procedure]?._def.inputs ?? []).flatMap((input) => Object.keys(input.shape ?? {}));
}

securityCase(
  'API1',
  'every procedure taking an object id is in the cross-organization matrix',
  async () => {
    const missing = procedureNames().filter(
      (name) =>
        !PLATFORM_ID_PROCEDURES.has(name) &&
        !(name in FOREIGN_OBJECT_CALLS) &&
        inputKeys(name).some((key) => key === 'id' || (key.endsWith('Id') && key !== 'externalId')),
    );
    expect(missing).toEqual([]);
  },
  'http',
);

for (const [procedure, input] of Object.entries(FOREIGN_OBJECT_CALLS)) {
  securityCase('API1', `${procedure} on organization A's object answers B 404`, async (c) => {
    const answer = await unchanged(c.gw, () => c.asB(procedure, input(c.a)));
    // A list filtered by a foreign id is empty or refuses the id; it never shows A's rows.
    if (procedure === 'bookings.list' && answer.status === 200) {
      expect((answer.body as { data: unknown[] }).data).toEqual([]);
      return;
    }
    expectStatus(answer, 404);
  });
}

securityCase('API1', "B's unfiltered lists never hold A's objects", async (c) => {
  for (const procedure of ['patients.list', 'bookings.list']) {
    const answer = await c.asB(procedure, { limit: 100 });
    expectStatus(answer, 200);
    const text = JSON.stringify(answer.body);
    expect(text).not.toContain(c.a.patientId);
    expect(text).not.toContain(c.a.bookingId);
  }
});

// ---------------------------------------------------------------------------------------------
// API2: Broken Authentication.

securityCase('API2', 'every partner procedure refuses a call without a token', async (c) => {
  for (const procedure of procedureNames()) {
    const input = FOREIGN_OBJECT_CALLS[procedure]?.(c.a) ?? {};
    const answer = await unchanged(c.gw, () => c.call(procedure, input));
    expectStatus(answer, 401);
  }
});

/** Tokens an attacker can make without the server's signing key, from B's real token. */
async function forgedTokens(gw: TestGateway): Promise<Record<string, string>> {
  const real = gw.partnerB.token;
  const [header, payload, signature] = real.split('.') as [string, string, string];
  const claims = decodeJwt(real);
  const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const asA = { ...claims, org: gw.partnerA.organizationId };
  const nowS = Math.floor(gw.clock.nowMs() / 1000);
  const { privateKey: strangerKey, publicKey: strangerPublic } = generateKeyPairSync('ed25519');
  const sign = (alg: string, key: Parameters<SignJWT['sign']>[0], extra: object = {}) =>
    new SignJWT({ ...claims, ...extra })
      .setProtectedHeader({ ...JSON.parse(Buffer.from(header, 'base64url').toString()), alg })
      .sign(key);
  return {
    'alg none': `${b64({ alg: 'none', typ: 'at+jwt' })}.${b64(asA)}.`,
    'tampered payload (organization swapped)': `${header}.${b64(asA)}.${signature}`,
    'signature stripped': `${header}.${payload}.`,
    'HS256 signed with a guessed secret': await sign('HS256', createSecretKey(Buffer.alloc(32))),
    'HS256 signed with the public key bytes (algorithm confusion)': await sign(
      'HS256',
      createSecretKey(strangerPublic.export({ format: 'der', type: 'spki' })),
    ),
    'EdDSA signed by a stranger key': await sign('EdDSA', strangerKey),
    'expired an hour ago': await sign('EdDSA', strangerKey, { exp: nowS - 3600 }),
    garbage: 'not-a-token',
  };
}

securityCase('API2', 'forged and tampered tokens answer 401', async (c) => {
  for (const [attack, token] of Object.entries(await forgedTokens(c.gw))) {
    const answer = await unchanged(c.gw, () =>
      c.call('patients.create', patientInput(`forged-${attack.length}`), token),
    );
    expect(answer.status, attack).toBe(401);
  }
});

securityCase('API2', 'a token past its expiry answers 401', async (c) => {
  const { exp } = decodeJwt(c.gw.partnerB.token);
  const saved = c.gw.clock.nowMs();
  c.gw.clock.set(((exp ?? 0) + 120) * 1000);
  try {
    expectStatus(await c.asB('patients.list', {}), 401);
  } finally {
    c.gw.clock.set(saved);
  }
});

securityCase(
  'API2',
  'the token endpoint answers 429 after 10 failed attempts from one address',
  async (c) => {
    const app = createApp({ ...c.gw.deps, limiter: createRateLimiter() });
    const attempt = () =>
      app.fetch(
        new Request('http://tahoon.test/v1/oauth/token', {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({
            grant_type: 'client_credentials',
            client_id: c.gw.partnerB.clientId,
            client_secret: `${c.gw.partnerB.clientSecret.slice(0, -4)}0000`,
          }),
        }),
      );
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) statuses.push((await attempt()).status);
    expect(statuses.slice(0, 10).every((s) => s === 401 || s === 400)).toBe(true);
    const refused = await attempt();
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
  },
  'http',
);

// ---------------------------------------------------------------------------------------------
// API3: Broken Object Property Level Authorization: fields a partner may not set are refused,
// and answers carry nothing internal.

const MASS_ASSIGNMENT: [string, (a: Fixtures) => Record<string, unknown>][] = [
  ['patients.create', () => ({ ...patientInput('mass-1'), organizationId: 'org_other' })],
  ['patients.create', () => ({ ...patientInput('mass-2'), orgId: 'org_other' })],
  ['patients.create', () => ({ ...patientInput('mass-3'), id: 'pat_k3m9q2x7w4n8p5rt' })],
  ['patients.create', () => ({ ...patientInput('mass-4'), createdAt: '2020-01-01T00:00:00Z' })],
  ['patients.update', (a) => ({ id: a.patientId, organizationId: 'org_other' })],
  ['patients.update', (a) => ({ id: a.patientId, externalIdIndex: 'x' })],
  ...(['status', 'price', 'id', 'orgId', 'organizationId', 'video'] as const).map(
    (field) =>
      [
        'bookings.create',
        (a: Fixtures) => ({
          patientId: a.patientId,
          providerId: PROVIDER,
          start: OTHER_FREE_START,
          duration: 50,
          [field]:
            field === 'price'
              ? { amount: 0, currency: 'SAR' }
              : field === 'video'
                ? { roomId: 'x' }
                : 'confirmed',
        }),
      ] as [string, (a: Fixtures) => Record<string, unknown>],
  ),
  ['bookings.cancel', (a) => ({ id: a.bookingId, status: 'completed' })],
  ['bookings.reschedule', (a) => ({ id: a.bookingId, start: FREE_START, price: 0 })],
];

for (const [procedure, input] of MASS_ASSIGNMENT) {
  const field = Object.keys(input({ patientId: 'p', bookingId: 'b' })).at(-1);
  securityCase('API3', `${procedure} refuses the field ${field} with 400`, async (c) => {
    const answer = await unchanged(c.gw, () => c.call(procedure, input(c.a), c.gw.partnerA.token));
    expectStatus(answer, 400);
  });
}

securityCase('API3', 'answers carry no blind indexes, hashes, key ids or ciphertext', async (c) => {
  const answers = [
    await c.call('patients.get', { id: c.a.patientId }, c.gw.partnerA.token),
    await c.call('patients.list', {}, c.gw.partnerA.token),
    await c.call('bookings.get', { id: c.a.bookingId }, c.gw.partnerA.token),
  ];
  for (const answer of answers) {
    expectStatus(answer, 200);
    const text = JSON.stringify(answer.body);
    expect(text).not.toMatch(/Index"|secretHash|keyId|"organizationId"/);
    expect(text).not.toMatch(/v\d+\.[A-Za-z0-9_-]{20,}\./);
  }
});

// ---------------------------------------------------------------------------------------------
// API4: Unrestricted Resource Consumption.

/** A raw request through the app on the case's transport. */
async function raw(
  c: CaseContext,
  procedure: string,
  body: string,
  token = c.gw.partnerA.token,
): Promise<Response> {
  const url =
    c.transport === 'trpc'
      ? `http://tahoon.test/trpc/${procedure}`
      : `http://tahoon.test${restRoute(procedure).path}`;
  return c.gw.app.fetch(
    new Request(url, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body,
    }),
  );
}

securityCase('API4', 'a body over the limit answers 413 and writes nothing', async (c) => {
  const huge = JSON.stringify({ ...patientInput('huge'), givenName: 'x'.repeat(200_000) });
  const response = await unchanged(c.gw, () => raw(c, 'patients.create', huge));
  expect(response.status).toBe(413);
});

securityCase('API4', 'a deeply nested body answers 400, not a crash', async (c) => {
  const nested = '{"a":'.repeat(5_000) + '1' + '}'.repeat(5_000);
  const response = await unchanged(c.gw, () => raw(c, 'patients.create', nested));
  expect([400, 413]).toContain(response.status);
  expectNoLeak(await response.text());
});

securityCase('API4', 'a string over its field limit answers 400', async (c) => {
  const answer = await unchanged(c.gw, () =>
    c.call(
      'patients.create',
      { ...patientInput('long'), givenName: 'x'.repeat(5_000) },
      c.gw.partnerA.token,
    ),
  );
  expectStatus(answer, 400);
});

securityCase('API4', 'a page size over the maximum answers 400', async (c) => {
  expectStatus(await c.call('patients.list', { limit: 100_000 }, c.gw.partnerA.token), 400);
});

securityCase('API4', 'a slot search over too long a range answers 400', async (c) => {
  const answer = await c.call(
    'providers.slots',
    {
      id: PROVIDER,
      duration: 50,
      from: '2027-03-01T00:00:00Z',
      to: '2028-03-01T00:00:00Z',
    },
    c.gw.partnerA.token,
  );
  expectStatus(answer, 400);
});

securityCase(
  'API4',
  'a tRPC batch of 1,000 calls is refused whole',
  async (c) => {
    const names = Array.from({ length: 1_000 }, () => 'patients.list').join(',');
    const input = JSON.stringify(Object.fromEntries(names.split(',').map((_, i) => [i, {}])));
    const response = await unchanged(c.gw, async () =>
      c.gw.app.fetch(
        new Request(`http://tahoon.test/trpc/${names}?batch=1&input=${encodeURIComponent(input)}`, {
          headers: { authorization: `Bearer ${c.gw.partnerA.token}` },
        }),
      ),
    );
    expect([400, 413, 414]).toContain(response.status);
    expectNoLeak(await response.text());
  },
  'http',
);

securityCase('API4', 'a credential over its quota answers 429 with Retry-After', async (c) => {
  const app = createApp({
    ...c.gw.deps,
    limiter: createRateLimiter({
      config: {
        perCredential: { limit: 3, windowSeconds: 60 },
        tokenFailuresPerIp: { limit: 10, windowSeconds: 60 },
      },
    }),
  });
  let last: Answer | undefined;
  for (let i = 0; i < 5; i++) {
    last = await invoke({ app }, c.transport ?? 'rest', 'patients.list', {}, c.gw.partnerA.token);
  }
  expect(last?.status).toBe(429);
  expect(Number(last?.headers.get('retry-after'))).toBeGreaterThan(0);
  expect(last?.headers.get('ratelimit')).toBeTruthy();
});

// ---------------------------------------------------------------------------------------------
// API5: Broken Function Level Authorization.

securityCase(
  'API5',
  'operator actions are not reachable with a partner token',
  async (c) => {
    for (const [method, path] of [
      ['POST', `/v1/bookings/${c.a.bookingId}/complete`],
      ['POST', `/v1/bookings/${c.a.bookingId}/no-show`],
      ['POST', '/v1/organizations'],
      ['POST', '/v1/providers'],
      ['DELETE', `/v1/providers/${PROVIDER}`],
      ['GET', '/ops/outbox'],
    ] as const) {
      const answer = await unchanged(c.gw, () =>
        rest(c.gw, method, path, {
          token: c.gw.partnerA.token,
          ...(method === 'GET' ? {} : { body: {} }),
        }),
      );
      expect([401, 403, 404, 405], `${method} ${path}`).toContain(answer.status);
    }
  },
  'http',
);

securityCase(
  'API5',
  'a method-override header does not turn a read into a write',
  async (c) => {
    const answer = await unchanged(c.gw, () =>
      rest(c.gw, 'GET', `/v1/bookings/${c.a.bookingId}`, {
        token: c.gw.partnerA.token,
        headers: { 'x-http-method-override': 'POST', 'x-method-override': 'DELETE' },
      }),
    );
    expectStatus(answer, 200);
    expect((answer.body as { status: string }).status).toBe('confirmed');
  },
  'http',
);

// ---------------------------------------------------------------------------------------------
// API6: Unrestricted Access to Sensitive Business Flows: one slot, one booking; one patient,
// one session at a time; a retried request cannot book twice.

securityCase('API6', 'ten concurrent bookings of one slot: exactly one succeeds', async (c) => {
  const { token } = c.gw.partnerA;
  const patients: string[] = [];
  for (let i = 0; i < 10; i++) {
    const created = await c.call(
      'patients.create',
      patientInput(`race-${c.transport}-${c.gw.kind}-${i}`),
      token,
    );
    patients.push((created.body as { id: string }).id);
  }
  const start = c.transport === 'trpc' ? '2027-03-08T14:00:00+03:00' : '2027-03-08T16:00:00+03:00';
  const answers = await Promise.all(
    patients.map((patientId) =>
      c.call(
        'bookings.create',
        { patientId, providerId: RACE_PROVIDER, start, duration: 50 },
        token,
      ),
    ),
  );
  expect(answers.filter((a) => a.status === 201)).toHaveLength(1);
  expect(answers.filter((a) => a.status === 409)).toHaveLength(9);
});

securityCase('API6', 'a patient cannot hold two overlapping sessions', async (c) => {
  const answer = await unchanged(c.gw, () =>
    c.call(
      'bookings.create',
      {
        patientId: c.a.patientId,
        providerId: DUBAI_PROVIDER,
        start: A_START,
        duration: 50,
      },
      c.gw.partnerA.token,
    ),
  );
  expectStatus(answer, 409);
  expect(answer.body).toMatchObject({ code: 'PATIENT_BUSY' });
});

securityCase(
  'API6',
  'an Idempotency-Key reused for another booking answers 422',
  async (c) => {
    const key = `owasp-${c.gw.kind}-reuse`;
    const body = (start: string) => ({
      patientId: c.a.patientId,
      providerId: PROVIDER,
      start,
      duration: 50,
    });
    const headers = { 'idempotency-key': key };
    const first = await rest(c.gw, 'POST', '/v1/bookings', {
      token: c.gw.partnerA.token,
      body: body('2027-03-08T10:00:00+03:00'),
      headers,
    });
    expect(first.status).toBe(201);
    const reused = await unchanged(c.gw, () =>
      rest(c.gw, 'POST', '/v1/bookings', {
        token: c.gw.partnerA.token,
        body: body('2027-03-08T12:00:00+03:00'),
        headers,
      }),
    );
    expectStatus(reused, 422);
  },
  'http',
);

// ---------------------------------------------------------------------------------------------
// API8: Security Misconfiguration.

securityCase(
  'API8',
  'secure headers on successes, refusals and unknown routes',
  async (c) => {
    for (const answer of [
      await rest(c.gw, 'GET', '/v1/catalogue', { token: c.gw.partnerA.token }),
      await rest(c.gw, 'GET', '/v1/patients'),
      await rest(c.gw, 'GET', '/v1/nowhere', { token: c.gw.partnerA.token }),
    ]) {
      expect(answer.headers.get('strict-transport-security')).toMatch(/max-age=\d+/);
      expect(answer.headers.get('x-content-type-options')).toBe('nosniff');
      expect(answer.headers.get('x-frame-options')).toBe('DENY');
      expect(answer.headers.get('content-security-policy')).toContain("default-src 'none'");
    }
  },
  'http',
);

securityCase(
  'API8',
  'a hostile Origin is never reflected, with or without an allow-list',
  async (c) => {
    const listed = createApp({
      ...c.gw.deps,
      config: testConfig({ TAHOON_CORS_ORIGINS: 'https://partner.example' }),
    });
    for (const app of [c.gw.app, listed]) {
      for (const method of ['GET', 'OPTIONS']) {
        const response = await app.fetch(
          new Request('http://tahoon.test/v1/patients', {
            method,
            headers: {
              origin: 'https://evil.example',
              authorization: `Bearer ${c.gw.partnerA.token}`,
              'access-control-request-method': 'GET',
            },
          }),
        );
        expect(response.headers.get('access-control-allow-origin')).toBeNull();
        expect(response.headers.get('access-control-allow-credentials')).toBeNull();
      }
    }
  },
  'http',
);

securityCase(
  'API8',
  'path tricks never reach a procedure without authentication',
  async (c) => {
    for (const path of [
      '//v1/patients',
      '/v1//patients',
      '/%76%31/patients',
      '/v1/%70atients',
      '/v1/./patients',
      '/v1/x/../patients',
      '/V1/patients',
      '/v1/patients/',
      '/v1/patients;x',
      '/trpc//patients.list',
    ]) {
      const answer = await c.gw.app.fetch(new Request(`http://tahoon.test${path}`));
      expect([401, 404], path).toContain(answer.status);
    }
  },
  'http',
);

securityCase('API8', 'malformed requests get a problem document without internals', async (c) => {
  const response = await raw(c, 'patients.create', '{"externalId": ');
  expect(response.status).toBe(400);
  expectNoLeak(await response.text());
});

securityCase(
  'API8',
  'the API reference can be switched off',
  async (c) => {
    const closed = createApp({ ...c.gw.deps, config: testConfig({ TAHOON_DOCS: 'off' }) });
    for (const path of ['/docs', '/openapi.json']) {
      expect((await closed.fetch(new Request(`http://tahoon.test${path}`))).status).toBe(404);
    }
  },
  'http',
);

// ---------------------------------------------------------------------------------------------
// API9: Improper Inventory Management: everything served is documented, and nothing else is.

securityCase(
  'API9',
  'every procedure is in the published OpenAPI document with security declared',
  async () => {
    const paths = openApiDocument.paths as Record<
      string,
      Record<string, { security?: unknown[] } | undefined>
    >;
    for (const procedure of procedureNames()) {
      const { method, path } = restRoute(procedure);
      const operation = paths[path]?.[method.toLowerCase()];
      expect(operation, `${method} ${path}`).toBeDefined();
      expect(operation?.security?.length ?? 0, `${method} ${path}`).toBeGreaterThan(0);
    }
  },
  'http',
);

securityCase(
  'API9',
  'unversioned and unknown API versions answer 404',
  async (c) => {
    for (const path of ['/patients', '/v2/patients', '/v0/patients', '/api/patients']) {
      const answer = await rest(c.gw, 'GET', path, { token: c.gw.partnerA.token });
      expect(answer.status, path).toBe(404);
    }
  },
  'http',
);

// ---------------------------------------------------------------------------------------------
// API10: Unsafe Consumption of APIs: what the video service answers is checked, not trusted.

/** A video service on a loopback port that answers every call with `answer`. */
async function misbehavingVideoService(answer: { status: number; type: string; body: string }) {
  const server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      response.writeHead(answer.status, { 'content-type': answer.type });
      response.end(answer.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const MISBEHAVIOURS = [
  { what: 'an HTML page', status: 200, type: 'text/html', body: '<html><body>hi</body></html>' },
  { what: 'JSON without a room id', status: 200, type: 'application/json', body: '{"ok":true}' },
  {
    what: 'a room id of the wrong type',
    status: 200,
    type: 'application/json',
    body: '{"roomId":{"$ne":null}}',
  },
  { what: 'a truncated body', status: 200, type: 'application/json', body: '{"roomId":"ab' },
];

for (const misbehaviour of MISBEHAVIOURS) {
  securityCase(
    'API10',
    `a video service answering ${misbehaviour.what} confirms no booking`,
    async (c) => {
      const service = await misbehavingVideoService(misbehaviour);
      try {
        const app = createApp({
          ...c.gw.deps,
          video: createVideoSdkRooms({
            apiKey: 'test-key',
            secret: 'test-secret-test-secret-test-secret',
            apiBase: service.url,
          }),
        });
        const patient = await invoke(
          { app },
          c.transport ?? 'rest',
          'patients.create',
          patientInput(`api10-${c.transport}-${misbehaviour.what.length}`),
          c.gw.partnerA.token,
        );
        const patientId = (patient.body as { id: string }).id;
        const answer = await invoke(
          { app },
          c.transport ?? 'rest',
          'bookings.create',
          { patientId, providerId: DUBAI_PROVIDER, start: FREE_START, duration: 50 },
          c.gw.partnerA.token,
        );
        // Refused as unavailable, or accepted with the room still to come; never a crash.
        expect([201, 202, 503]).toContain(answer.status);
        expectNoLeak(JSON.stringify(answer.body));
        const confirmed = await c.gw.database.db
          .select()
          .from(bookings)
          .where(and(eq(bookings.patientId, patientId), eq(bookings.status, 'confirmed')));
        expect(confirmed).toEqual([]);
      } finally {
        await service.close();
      }
    },
  );
}

// ---------------------------------------------------------------------------------------------

describe.each(DB_KINDS)('OWASP API Security Top 10 on %s', (kind) => {
  let gw: TestGateway;
  let a: Fixtures;

  beforeAll(async () => {
    gw = await createTestGateway(kind);
    const patient = await rest(gw, 'POST', '/v1/patients', {
      token: gw.partnerA.token,
      body: patientInput('owasp-a'),
    });
    const patientId = (patient.body as { id: string }).id;
    const booking = await rest(gw, 'POST', '/v1/bookings', {
      token: gw.partnerA.token,
      body: { patientId, providerId: PROVIDER, start: A_START, duration: 50 },
    });
    expect(booking.status).toBe(201);
    a = { patientId, bookingId: (booking.body as { id: string }).id };
  });
  afterAll(() => gw.close());

  const context = (transport: Transport | undefined): CaseContext => ({
    gw,
    transport,
    a,
    asB: (procedure, input) => invoke(gw, transport ?? 'rest', procedure, input, gw.partnerB.token),
    call: (procedure, input, token) => invoke(gw, transport ?? 'rest', procedure, input, token),
  });

  for (const category of Object.keys(OWASP) as OwaspCategory[]) {
    describe(`${category} ${OWASP[category]}`, () => {
      for (const c of CASES.filter((x) => x.category === category)) {
        const transports = c.scope === 'http' ? [undefined] : TRANSPORTS;
        for (const transport of transports) {
          it(`${c.name}${transport ? ` (${transport})` : ''}`, () => c.run(context(transport)));
        }
      }
    });
  }
});

describe('the suite itself', () => {
  it('has cases in every OWASP API category and reports how many', () => {
    const runs = (c: SecurityCase) => (c.scope === 'http' ? 1 : TRANSPORTS.length);
    const table = (Object.keys(OWASP) as OwaspCategory[]).map((category) => {
      const cases = CASES.filter((c) => c.category === category);
      return {
        category,
        cases: cases.length,
        runsPerDatabase: cases.reduce((n, c) => n + runs(c), 0),
      };
    });
    const total = table.reduce((n, row) => n + row.runsPerDatabase, 0);
    console.info(
      `Security suite: ${CASES.length} cases, ${total} runs per database on ${DB_KINDS.length} databases\n` +
        table.map((r) => `  ${r.category}: ${r.cases} cases, ${r.runsPerDatabase} runs`).join('\n'),
    );
    expect(table.filter((row) => row.cases === 0).map((row) => row.category)).toEqual([]);
  });
});
