/**
 * The security suite, organised by the OWASP API Security Top 10 (2023). Every case runs on
 * both databases and on both transports (REST and tRPC) unless it concerns plain HTTP (the
 * token endpoint, headers, paths), and each refusal is checked against the database: a refused
 * request changes nothing. The last test prints how many cases each category holds and fails if
 * any category is empty.
 */
import { randomBytes } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { createSigningKey } from '../../src/signing/keys.js';
import { createVideoSdkRooms } from '../../src/adapters/video/index.js';
import { ALL_SCOPES, createAuth } from '../../src/auth.js';
import { webIds } from '../../src/crypto.js';
import { bookings, webhookDeliveries, webhookEndpoints } from '../../src/db/schema.js';
import { createPush } from '../../src/adapters/push/index.js';
import { createNotificationHandlers } from '../../src/notifications/handlers.js';
import { webhookUrlPolicy } from '../../src/notifications/policy.js';
import { createOutbox } from '../../src/outbox/index.js';
import { PermanentDeliveryError, type OutboxHandlers } from '../../src/outbox/types.js';
import { createRateLimiter } from '../../src/ratelimit/index.js';
import { createPinnedFetch } from '../../src/webhooks/pinned-fetch.js';
import { createUrlGuard } from '../../src/webhooks/ssrf.js';
import {
  expectNoLeak,
  patientInput,
  procedureNames,
  procedureScope,
  restRoute,
  TRANSPORTS,
  type Transport,
} from '../acceptance.js';
import { appRouter } from '../../src/routers/index.js';
import openApiDocument from '../../../../docs/openapi.json' with { type: 'json' };
import { fakeDns } from '../fakes/dns.js';
import {
  createTestGateway,
  DB_KINDS,
  rest,
  testConfig,
  type Answer,
  type TestGateway,
} from '../harness.js';
import {
  insertEvent,
  message,
  outboxContext,
  outboxRows,
  run,
  testHandlers,
} from '../notifications-helpers.js';
import {
  databaseDigest,
  invoke,
  localServer,
  OWASP,
  tokenAttacks,
  type OwaspCategory,
} from './support.js';

/** Asia/Riyadh psychologist, licensed in SA, 30 and 50 minutes, Sunday to Thursday. */
const PROVIDER = 'prv_sjnpfzd39nd2qv6w';
/** Riyadh, 14:00 to 20:00 Sunday to Thursday: the slot ten partners race for. */
const RACE_PROVIDER = 'prv_4ht6ixesieijfqrb';
/** Dubai, 10:00 to 18:00: free when A's patient is already in a session with PROVIDER. */
const DUBAI_PROVIDER = 'prv_h8325wrgqu3jykur';
const A_START = '2027-03-02T10:00:00+03:00';
const FREE_START = '2027-03-04T10:00:00+03:00';
const OTHER_FREE_START = '2027-03-04T12:00:00+03:00';

/** An address on the public internet, as the fake DNS answers for partners' webhook hosts. */
const PUBLIC_ADDRESS = '93.184.215.14';

/**
 * What the fake DNS answers: partners' public hosts, and innocent-looking names that point
 * inside the network, at registration or (rebind) only when a delivery is made.
 */
const DNS_TABLE = {
  'hooks.clinic-a.example': [PUBLIC_ADDRESS],
  'hooks.clinic-b.example': [PUBLIC_ADDRESS],
  'internal.clinic-a.example': ['10.20.30.40'],
  'metadata.clinic-a.example': ['169.254.169.254'],
  'loopback.clinic-a.example': ['127.0.0.1'],
  'mixed.clinic-a.example': [PUBLIC_ADDRESS, '192.168.1.20'],
  'ula.clinic-a.example': ['fd00::5'],
  'mapped.clinic-a.example': ['::ffff:10.0.0.1'],
  'rebind.clinic-a.example': [[PUBLIC_ADDRESS], ['10.0.0.5']],
  'rebind-loopback.clinic-a.example': [[PUBLIC_ADDRESS], ['127.0.0.1']],
  'rebind-metadata.clinic-a.example': [[PUBLIC_ADDRESS], ['169.254.169.254']],
};

/** Organization A's objects, which organization B's calls aim at. */
interface Fixtures {
  patientId: string;
  bookingId: string;
  endpointId: string;
  eventId: string;
  credentialId: string;
  signingKeyId: string;
  deviceToken: string;
}

/** Organization B's own objects, for calls that mix one of B's with one of A's. */
interface OwnFixtures {
  endpointId: string;
  eventId: string;
}

/** Stands in for the fixtures where only the shape of an input matters. */
const PLACEHOLDER: Fixtures = {
  patientId: 'pat_x',
  bookingId: 'bkg_x',
  endpointId: 'wep_x',
  eventId: 'evt_x',
  credentialId: 'cred_x',
  signingKeyId: 'sgk_x',
  deviceToken: 'x',
};

interface CaseContext {
  gw: TestGateway;
  /** Absent for cases about plain HTTP, which run once per database. */
  transport: Transport | undefined;
  /** The DNS the gateway checks webhook hosts with (DNS_TABLE). */
  dns: ReturnType<typeof fakeDns>;
  a: Fixtures;
  b: OwnFixtures;
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
  'patients.export': (a) => ({ id: a.patientId }),
  'patients.erase': (a) => ({ id: a.patientId }),
  'devices.register': (a) => ({ id: a.patientId, token: 'mallory-device', platform: 'android' }),
  'devices.remove': (a) => ({ id: a.patientId, token: a.deviceToken }),
  'webhookEndpoints.get': (a) => ({ id: a.endpointId }),
  'webhookEndpoints.update': (a) => ({ id: a.endpointId, url: 'https://hooks.clinic-b.example/x' }),
  'webhookEndpoints.delete': (a) => ({ id: a.endpointId }),
  'webhookEndpoints.rotateSecret': (a) => ({ id: a.endpointId }),
  'webhookEndpoints.deliveries': (a) => ({ id: a.endpointId }),
  'webhookEndpoints.replay': (a) => ({ id: a.endpointId, after: a.eventId }),
  'events.redeliver': (a) => ({ id: a.eventId }),
  'credentials.get': (a) => ({ id: a.credentialId }),
  'credentials.rotate': (a) => ({ id: a.credentialId, previousSecretExpiresInSeconds: 0 }),
  'credentials.revoke': (a) => ({ id: a.credentialId }),
  'signingKeys.create': (a) => ({ credentialId: a.credentialId }),
  'signingKeys.rotate': (a) => ({ id: a.signingKeyId, overlapSeconds: 0 }),
  'signingKeys.revoke': (a) => ({ id: a.signingKeyId }),
  'auditEvents.list': (a) => ({ resourceId: a.patientId }),
};

/**
 * Lists that take a foreign id as a filter: they answer 200 with none of A's rows, or 404.
 * B's audit trail does hold B's own refused attempts on A's ids, so it is judged by whose
 * entries it shows.
 */
const FILTERED_LISTS = new Set(['bookings.list', 'auditEvents.list']);

interface AuditEntry {
  actor: { credentialId: string | null };
}

/** Checks a list B got back holds nothing of A's. */
function expectNothingOfA(c: CaseContext, procedure: string, body: unknown): void {
  if (procedure === 'auditEvents.list') {
    const actors = (body as { data: AuditEntry[] }).data.map((e) => e.actor.credentialId);
    expect(actors.filter((id) => id !== c.gw.partnerB.clientId)).toEqual([]);
    return;
  }
  const text = JSON.stringify(body);
  for (const id of Object.values(c.a)) expect(text, procedure).not.toContain(id);
  expect(text, procedure).not.toContain(c.gw.partnerA.organizationId);
}

/** B's own object paired with one of A's: the call must not reach A's. */
const MIXED_OBJECT_CALLS: [string, string, (a: Fixtures, b: OwnFixtures) => object][] = [
  [
    'events.redeliver',
    "B's event to A's webhook endpoint",
    (a, b) => ({ id: b.eventId, endpointId: a.endpointId }),
  ],
  [
    'webhookEndpoints.replay',
    "A's events to B's webhook endpoint",
    (a, b) => ({ id: b.endpointId, after: a.eventId }),
  ],
  ['events.list', "B's events after A's event", (a) => ({ after: a.eventId })],
];

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
  const outcome = FILTERED_LISTS.has(procedure) ? 'none of its rows' : '404';
  securityCase(
    'API1',
    `${procedure} on organization A's object answers B ${outcome}`,
    async (c) => {
      const answer = await unchanged(c.gw, () => c.asB(procedure, input(c.a)));
      // A list filtered by a foreign id is empty or refuses the id; it never shows A's rows.
      if (FILTERED_LISTS.has(procedure) && answer.status === 200) {
        expectNothingOfA(c, procedure, answer.body);
        return;
      }
      expectStatus(answer, 404);
    },
  );
}

for (const [procedure, what, input] of MIXED_OBJECT_CALLS) {
  securityCase('API1', `${procedure} with ${what} answers B 404`, async (c) => {
    const answer = await unchanged(c.gw, () =>
      c.asB(procedure, input(c.a, c.b) as Record<string, unknown>),
    );
    expectStatus(answer, 404);
  });
}

/** B's lists of every kind, with the input each takes. */
const B_LISTS: [string, Record<string, unknown>][] = [
  ['patients.list', { limit: 100 }],
  ['bookings.list', { limit: 100 }],
  ['webhookEndpoints.list', {}],
  ['events.list', { limit: 100 }],
  ['credentials.list', {}],
  ['signingKeys.list', {}],
  ['auditEvents.list', { limit: 100 }],
];

securityCase('API1', "B's unfiltered lists never hold A's objects", async (c) => {
  for (const [procedure, input] of B_LISTS) {
    const answer = await c.asB(procedure, input);
    expectStatus(answer, 200);
    expectNothingOfA(c, procedure, answer.body);
  }
});

securityCase(
  'API1',
  "A's own audit trail does hold entries about A's patient (control)",
  async (c) => {
    const answer = await c.call(
      'auditEvents.list',
      { resourceId: c.a.patientId },
      c.gw.partnerA.token,
    );
    expectStatus(answer, 200);
    const actors = (answer.body as { data: AuditEntry[] }).data.map((e) => e.actor.credentialId);
    expect(actors).toContain(c.gw.partnerA.clientId);
  },
);

// ---------------------------------------------------------------------------------------------
// API2: Broken Authentication.

securityCase('API2', 'every partner procedure refuses a call without a token', async (c) => {
  for (const procedure of procedureNames()) {
    const input = FOREIGN_OBJECT_CALLS[procedure]?.(c.a) ?? {};
    const answer = await unchanged(c.gw, () => c.call(procedure, input));
    expectStatus(answer, 401);
  }
});

/** The attacks `tokenAttacks` makes; each is a case of its own. */
const TOKEN_ATTACKS = [
  'alg none',
  'HS256 keyed with the public key bytes (algorithm confusion)',
  'HS256 keyed with the PEM public key (algorithm confusion)',
  'wrong audience',
  'wrong issuer',
  'expired an hour ago',
  'no expiry',
  'unknown kid',
  "a stranger's key under the server's kid",
  'wrong typ (JWT)',
  'tampered payload (organization swapped)',
  'tampered payload (credential swapped)',
  'signature stripped',
  'garbage',
];

securityCase(
  'API2',
  "a token made for B with the server's key is accepted (control)",
  async (c) => {
    const { valid } = await tokenAttacks(c.gw, c.gw.partnerB, c.gw.partnerA);
    expectStatus(await c.call('patients.list', {}, valid), 200);
  },
);

securityCase(
  'API2',
  'the token attack list is what tokenAttacks makes',
  async (c) => {
    const { attacks } = await tokenAttacks(c.gw, c.gw.partnerB, c.gw.partnerA);
    expect(Object.keys(attacks).sort()).toEqual([...TOKEN_ATTACKS].sort());
  },
  'http',
);

for (const attack of TOKEN_ATTACKS) {
  securityCase('API2', `a token with ${attack} answers 401 and writes nothing`, async (c) => {
    const { attacks } = await tokenAttacks(c.gw, c.gw.partnerB, c.gw.partnerA);
    const token = attacks[attack] ?? '';
    const answer = await unchanged(c.gw, () =>
      c.call('patients.create', patientInput(`forged-${attack.length}`), token),
    );
    expectStatus(answer, 401);
  });
}

securityCase('API2', 'a revoked token answers 401 on its next use', async (c) => {
  const credential = await c.gw.deps.store.credentials.get(c.gw.partnerB.clientId);
  if (!credential) throw new Error('partner B has no credential');
  const { accessToken } = await createAuth(c.gw.deps).issueToken(credential);
  expectStatus(await c.call('patients.list', {}, accessToken), 200);

  const basic = btoa(`${c.gw.partnerB.clientId}:${c.gw.partnerB.clientSecret}`);
  const revoked = await rest(c.gw, 'POST', '/v1/oauth/revoke', {
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${basic}`,
    },
    body: `token=${accessToken}`,
  });
  expect(revoked.status).toBe(200);

  const answer = await unchanged(c.gw, () =>
    c.call('patients.create', patientInput('revoked-token'), accessToken),
  );
  expectStatus(answer, 401);
  expect(answer.body).toMatchObject({ detail: 'The access token has been revoked' });
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
  'the token endpoint, at its default limits, answers 429 after 10 failed attempts from one address, even to the right secret',
  async (c) => {
    // The deployment's default limits, not the raised ones of the test gateway.
    const app = createApp({ ...c.gw.deps, limiter: createRateLimiter() });
    const attempt = (secret: string) =>
      app.fetch(
        new Request('http://tahoon.test/v1/oauth/token', {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({
            grant_type: 'client_credentials',
            client_id: c.gw.partnerB.clientId,
            client_secret: secret,
          }),
        }),
      );
    const wrong = `${c.gw.partnerB.clientSecret.slice(0, -4)}0000`;
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++) statuses.push((await attempt(wrong)).status);
    expect(statuses).toEqual(Array.from({ length: 10 }, () => 401));

    for (const secret of [wrong, c.gw.partnerB.clientSecret]) {
      const refused = await attempt(secret);
      expect(refused.status).toBe(429);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    }
  },
  'http',
);

/** Asks the token endpoint for a token with a client id and secret; answers the status. */
async function tokenStatus(gw: TestGateway, clientId: string, clientSecret: string) {
  const answer = await rest(gw, 'POST', '/v1/oauth/token', {
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: clientId,
      client_secret: clientSecret,
    }).toString(),
  });
  return { status: answer.status, token: (answer.body as { access_token?: string }).access_token };
}

securityCase(
  'API2',
  'a rotated-out client secret stops after its overlap, and a revoked credential stops at once',
  async (c) => {
    const { token } = c.gw.partnerA;
    const made = await rest(c.gw, 'POST', '/v1/credentials', {
      token,
      body: { label: 'rotation' },
    });
    expectStatus(made, 201);
    const { id, clientSecret: oldSecret } = made.body as { id: string; clientSecret: string };
    const rotated = await rest(c.gw, 'POST', `/v1/credentials/${id}/rotate`, {
      token,
      body: { previousSecretExpiresInSeconds: 60 },
    });
    expectStatus(rotated, 200);
    const newSecret = (rotated.body as { clientSecret: string }).clientSecret;

    expect((await tokenStatus(c.gw, id, oldSecret)).status).toBe(200);
    c.gw.clock.advance(61_000);
    try {
      expect((await tokenStatus(c.gw, id, oldSecret)).status).toBe(401);
      const fresh = await tokenStatus(c.gw, id, newSecret);
      expect(fresh.status).toBe(200);

      expectStatus(await rest(c.gw, 'DELETE', `/v1/credentials/${id}`, { token }), 200);
      expect((await tokenStatus(c.gw, id, newSecret)).status).toBe(401);
      expectStatus(await rest(c.gw, 'GET', '/v1/catalogue', { token: fresh.token }), 401);
    } finally {
      c.gw.clock.advance(-61_000);
    }
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
  [
    'webhookEndpoints.create',
    () => ({ url: 'https://hooks.clinic-a.example/m', secret: `whsec_${'A'.repeat(43)}` }),
  ],
  ['webhookEndpoints.update', (a) => ({ id: a.endpointId, organizationId: 'org_other' })],
  ['webhookEndpoints.update', (a) => ({ id: a.endpointId, consecutiveFailures: 0 })],
  ['credentials.create', () => ({ label: 'mass', organizationId: 'org_other' })],
  ['credentials.rotate', (a) => ({ id: a.credentialId, clientSecret: 'tk_test_chosen' })],
  ['signingKeys.create', () => ({ secret: 'chosen-by-the-caller' })],
  ['organization.update', () => ({ requireSignedRequests: false, name: 'Mallory Health' })],
  ['devices.register', (a) => ({ id: a.patientId, token: 'mass-device', organizationId: 'x' })],
];

for (const [procedure, input] of MASS_ASSIGNMENT) {
  const field = Object.keys(input(PLACEHOLDER)).at(-1);
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

/** For each scope, one procedure that declares it, called by A on A's own objects. */
const SCOPE_REPRESENTATIVES: Record<string, [string, (a: Fixtures) => Record<string, unknown>]> = {
  'patients:read': ['patients.get', (a) => ({ id: a.patientId })],
  'patients:write': ['patients.update', (a) => ({ id: a.patientId, givenName: 'Changed' })],
  'providers:read': ['providers.get', () => ({ id: PROVIDER })],
  'bookings:read': ['bookings.get', (a) => ({ id: a.bookingId })],
  'bookings:write': ['bookings.cancel', (a) => ({ id: a.bookingId, reason: 'No scope' })],
  'credentials:admin': ['credentials.revoke', (a) => ({ id: a.credentialId })],
  'audit:read': ['auditEvents.list', () => ({})],
  'events:read': ['events.list', () => ({})],
  'webhooks:manage': ['webhookEndpoints.delete', (a) => ({ id: a.endpointId })],
};

/** A token of partner A's own credential carrying every scope but `scope`. */
async function tokenWithout(gw: TestGateway, scope: string): Promise<string> {
  const credential = await gw.deps.store.credentials.get(gw.partnerA.clientId);
  if (!credential) throw new Error('partner A has no credential');
  const scopes = credential.scopes.filter((s) => s !== scope);
  return (await createAuth(gw.deps).issueToken(credential, scopes)).accessToken;
}

securityCase(
  'API5',
  'every scope has a representative procedure that declares it',
  async () => {
    expect(Object.keys(SCOPE_REPRESENTATIVES).sort()).toEqual([...ALL_SCOPES].sort());
    for (const [scope, [procedure]] of Object.entries(SCOPE_REPRESENTATIVES)) {
      expect(procedureScope(procedure), procedure).toBe(scope);
    }
  },
  'http',
);

for (const [scope, [procedure, input]] of Object.entries(SCOPE_REPRESENTATIVES)) {
  securityCase('API5', `${procedure} without the ${scope} scope answers 403`, async (c) => {
    const token = await tokenWithout(c.gw, scope);
    const answer = await unchanged(c.gw, () => c.call(procedure, input(c.a), token));
    expectStatus(answer, 403);
    expect((answer.body as { detail: string }).detail).toContain(scope);
  });
}

securityCase('API5', 'a credential cannot grant a scope it does not hold', async (c) => {
  const token = await tokenWithout(c.gw, 'audit:read');
  const answer = await unchanged(c.gw, () =>
    c.call('credentials.create', { label: 'escalation', scopes: ['audit:read'] }, token),
  );
  expectStatus(answer, 403);
});

securityCase(
  'API5',
  'a narrow credentials:admin token cannot rotate, revoke or key a broader credential',
  async (c) => {
    const auth = createAuth(c.gw.deps);
    const orgId = c.gw.partnerA.organizationId;
    // A broad credential of A with a signing key, and a token of A's that may only administer.
    const broad = await auth.createCredential(orgId, 'broad');
    const key = await createSigningKey(c.gw.deps, orgId, { credentialId: broad.clientId });
    const own = await c.gw.deps.store.credentials.get(c.gw.partnerA.clientId);
    if (!own) throw new Error('partner A has no credential');
    const narrow = (await auth.issueToken(own, ['credentials:admin'])).accessToken;
    const calls: [string, Record<string, unknown>][] = [
      ['credentials.rotate', { id: broad.clientId, previousSecretExpiresInSeconds: 0 }],
      ['credentials.revoke', { id: broad.clientId }],
      ['signingKeys.create', { credentialId: broad.clientId }],
      ['signingKeys.rotate', { id: key.id }],
      ['signingKeys.revoke', { id: key.id }],
      // Its own secret too: a new secret would mint tokens with every scope of the credential.
      ['credentials.rotate', { id: own.id, previousSecretExpiresInSeconds: 0 }],
    ];
    for (const [procedure, input] of calls) {
      const answer = await unchanged(c.gw, () => c.call(procedure, input, narrow));
      expectStatus(answer, 403);
      expect(JSON.stringify(answer.body)).not.toContain('tk_');
    }
  },
);

/** A gateway whose /ops endpoints are switched on with an operator token. */
function withOperatorToken(gw: TestGateway) {
  const operatorToken = randomBytes(48).toString('base64url');
  const app = createApp({
    ...gw.deps,
    config: testConfig({ TAHOON_OPERATOR_TOKEN: operatorToken }),
  });
  return { app, operatorToken };
}

const OPS_CALLS = [
  ['GET', '/ops/outbox?state=dead'],
  ['POST', `/ops/outbox/obx_k3m9q2x7w4n8p5rt/replay`],
] as const;

securityCase(
  'API5',
  '/ops answers 401 to a partner token and to no token, and serves the operator token',
  async (c) => {
    const { app, operatorToken } = withOperatorToken(c.gw);
    for (const [method, path] of OPS_CALLS) {
      for (const token of [c.gw.partnerA.token, c.gw.partnerB.token, undefined]) {
        const answer = await unchanged(c.gw, () => rest({ app }, method, path, { token }));
        expect(answer.status, `${method} ${path}`).toBe(401);
        expect(answer.headers.get('www-authenticate')).toContain('Bearer');
        expectNoLeak(JSON.stringify(answer.body));
      }
    }
    const operator = await rest({ app }, 'GET', '/ops/outbox', { token: operatorToken });
    expect(operator.status).toBe(200);
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
// API7: Server Side Request Forgery: webhook URLs are the one place a partner names a host the
// gateway will call. Addresses inside the network are refused when the URL is registered or
// changed, whatever their spelling, and again when a delivery is about to be made.

const INTERNAL_URLS: Record<string, string[]> = {
  'loopback addresses': [
    'https://127.0.0.1/hook',
    'https://127.0.0.2:8443/hook',
    'https://localhost/hook',
    'https://api.localhost/hook',
    'https://[::1]/hook',
    'https://0.0.0.0/hook',
    'https://[::]/hook',
  ],
  'private networks': [
    'https://10.0.0.1/hook',
    'https://172.16.5.4/hook',
    'https://192.168.1.1/hook',
    'https://100.64.0.1/hook',
    'https://[fd00::1]/hook',
    'https://[fc00::1]/hook',
  ],
  'link-local and cloud metadata addresses': [
    'https://169.254.169.254/latest/meta-data/',
    'https://[fe80::1]/hook',
    'https://[fd00:ec2::254]/latest/meta-data/',
    'https://metadata.google.internal/computeMetadata/v1/',
  ],
  'numeric, octal and hex spellings of internal addresses': [
    'https://2130706433/hook',
    'https://0x7f000001/hook',
    'https://017700000001/hook',
    'https://0177.0.0.1/hook',
    'https://0x7f.1/hook',
    'https://127.1/hook',
    'https://0xa9fea9fe/latest/meta-data/',
    'https://2852039166/latest/meta-data/',
    'https://0x0a.0.0.1/hook',
  ],
  'IPv4-mapped IPv6 addresses': [
    'https://[::ffff:127.0.0.1]/hook',
    'https://[::ffff:7f00:1]/hook',
    'https://[::ffff:a9fe:a9fe]/hook',
    'https://[::ffff:10.0.0.1]/hook',
  ],
  'names whose DNS answers point inside the network': [
    'https://internal.clinic-a.example/hook',
    'https://metadata.clinic-a.example/hook',
    'https://loopback.clinic-a.example/hook',
    'https://mixed.clinic-a.example/hook',
    'https://ula.clinic-a.example/hook',
    'https://mapped.clinic-a.example/hook',
  ],
  'other schemes, ports and embedded credentials': [
    'http://hooks.clinic-a.example/hook',
    'https://hooks.clinic-a.example:22/hook',
    'https://user:secret@hooks.clinic-a.example/hook',
    'file:///etc/passwd',
    'gopher://127.0.0.1:6379/_INFO',
  ],
};

function expectUrlRefused(answer: Answer, url: string): void {
  expect(answer.status, url).toBe(400);
  expect(answer.body, url).toMatchObject({
    code: 'VALIDATION_FAILED',
    errors: [expect.objectContaining({ pointer: '/url' })],
  });
  expectNoLeak(JSON.stringify(answer.body));
}

for (const [kind, urls] of Object.entries(INTERNAL_URLS)) {
  securityCase('API7', `registering a webhook endpoint at ${kind} answers 400`, async (c) => {
    for (const url of urls) {
      const answer = await unchanged(c.gw, () =>
        c.call('webhookEndpoints.create', { url }, c.gw.partnerA.token),
      );
      expectUrlRefused(answer, url);
    }
  });
}

securityCase('API7', 'moving an endpoint to an internal address answers 400', async (c) => {
  for (const urls of Object.values(INTERNAL_URLS)) {
    const url = urls[0] ?? '';
    const answer = await unchanged(c.gw, () =>
      c.call('webhookEndpoints.update', { id: c.a.endpointId, url }, c.gw.partnerA.token),
    );
    expectUrlRefused(answer, url);
  }
});

securityCase('API7', 'a public webhook URL is accepted (control)', async (c) => {
  const answer = await c.call(
    'webhookEndpoints.create',
    { url: `https://hooks.clinic-a.example/control-${c.transport}` },
    c.gw.partnerA.token,
  );
  expectStatus(answer, 201);
  const id = (answer.body as { id: string }).id;
  expectStatus(await c.call('webhookEndpoints.delete', { id }, c.gw.partnerA.token), 200);
});

/**
 * The deployment's webhook handlers (strict URL policy, the fake DNS), with a fetch that
 * records every request that got past the guard.
 */
function strictHandlers(gw: TestGateway, resolve: ReturnType<typeof fakeDns>['resolve']) {
  const policy = webhookUrlPolicy(gw.deps.config);
  const pinned = createPinnedFetch({ policy, resolve });
  const requested: string[] = [];
  const handlers = createNotificationHandlers({
    store: gw.deps.store,
    ids: webIds,
    logger: gw.deps.logger,
    push: createPush({}),
    fetch: (url, init) => {
      requested.push(url);
      return pinned(url, init);
    },
    guard: createUrlGuard({ policy, resolve }),
    timeoutMs: 2_000,
  });
  return { handlers, requested };
}

/** Publishes a new event of A's and answers the delivery it queued for `endpointId`. */
async function queuedDelivery(gw: TestGateway, handlers: OutboxHandlers, endpointId: string) {
  const eventId = await insertEvent(gw, gw.partnerA.organizationId, 'booking.confirmed', {
    bookingId: webIds.next('bkg'),
  });
  await run(handlers, message('event.publish', { eventId }), outboxContext(gw));
  const [queued] = (await outboxRows(gw, 'webhook.deliver')).filter(
    (row) => row.payload.endpointId === endpointId && row.payload.eventId === eventId,
  );
  if (!queued) throw new Error(`no delivery queued for ${endpointId}`);
  return { eventId, queued };
}

async function attemptsOf(gw: TestGateway, endpointId: string) {
  return gw.database.db
    .select()
    .from(webhookDeliveries)
    .where(eq(webhookDeliveries.endpointId, endpointId));
}

securityCase(
  'API7',
  'a delivery to a name whose DNS now points inside the network is refused before sending',
  async (c) => {
    const { handlers, requested } = strictHandlers(c.gw, c.dns.resolve);
    for (const name of ['rebind', 'rebind-loopback', 'rebind-metadata']) {
      const created = await rest(c.gw, 'POST', '/v1/webhook-endpoints', {
        token: c.gw.partnerA.token,
        body: { url: `https://${name}.clinic-a.example/hook` },
      });
      expectStatus(created, 201);
      const endpointId = (created.body as { id: string }).id;
      const { eventId, queued } = await queuedDelivery(c.gw, handlers, endpointId);

      await expect(run(handlers, queued, outboxContext(c.gw))).rejects.toBeInstanceOf(
        PermanentDeliveryError,
      );
      expect(requested).toEqual([]);
      expect(await attemptsOf(c.gw, endpointId)).toMatchObject([
        { eventId, status: null, error: 'url_refused' },
      ]);
    }
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

securityCase(
  'API9',
  'operator endpoints are undocumented, and absent unless an operator token is configured',
  async (c) => {
    const paths = Object.keys(openApiDocument.paths);
    expect(paths.filter((path) => path.startsWith('/ops'))).toEqual([]);
    for (const [method, path] of OPS_CALLS) {
      const answer = await rest(c.gw, method, path, { token: c.gw.partnerA.token });
      expect(answer.status, `${method} ${path}`).toBe(404);
    }
  },
  'http',
);

// ---------------------------------------------------------------------------------------------
// API10: Unsafe Consumption of APIs: what the video service answers is checked, not trusted.

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

/** A free Tuesday or Wednesday hour of the Dubai provider, one per case and transport. */
function freeDubaiStart(index: number, transport: Transport | undefined): string {
  const day = transport === 'trpc' ? '10' : '09';
  return `2027-03-${day}T${String(10 + 2 * index).padStart(2, '0')}:00:00+04:00`;
}

for (const [index, misbehaviour] of MISBEHAVIOURS.entries()) {
  securityCase(
    'API10',
    `a video service answering ${misbehaviour.what} confirms no booking`,
    async (c) => {
      const service = await localServer({
        status: misbehaviour.status,
        headers: { 'content-type': misbehaviour.type },
        body: misbehaviour.body,
      });
      try {
        // The booking saga makes the room through the outbox, so the outbox gets the service.
        const outbox = createOutbox({
          db: c.gw.database.db,
          store: c.gw.deps.store,
          video: createVideoSdkRooms({
            apiKey: 'test-key',
            secret: 'test-secret-test-secret-test-secret',
            apiBase: service.url,
          }),
          clock: c.gw.clock,
          ids: webIds,
          logger: c.gw.deps.logger,
        });
        const app = createApp({ ...c.gw.deps, outbox });
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
          {
            patientId,
            providerId: DUBAI_PROVIDER,
            start: freeDubaiStart(index, c.transport),
            duration: 50,
          },
          c.gw.partnerA.token,
        );
        // Refused as unavailable, or accepted with the room still to come; never a crash.
        expect([201, 202, 503], JSON.stringify(answer.body)).toContain(answer.status);
        expectNoLeak(JSON.stringify(answer.body));
        const confirmed = await c.gw.database.db
          .select()
          .from(bookings)
          .where(and(eq(bookings.patientId, patientId), eq(bookings.status, 'confirmed')));
        expect(confirmed).toEqual([]);
        // The misbehaving service was asked, so its answer is what was judged.
        expect(service.received.length).toBeGreaterThan(0);
      } finally {
        await service.close();
      }
    },
  );
}

securityCase(
  'API10',
  'a webhook endpoint answering with a redirect is not followed, and the attempt fails',
  async (c) => {
    const elsewhere = await localServer({ status: 200, body: 'ok' });
    const redirecting = await localServer({
      status: 302,
      headers: { location: `${elsewhere.url}/internal` },
    });
    try {
      // Loopback endpoints are admitted only where a deployment allows local webhooks.
      const local = createApp({
        ...c.gw.deps,
        config: testConfig({ TAHOON_WEBHOOK_ALLOW_LOCAL: 'true' }),
      });
      const created = await rest({ app: local }, 'POST', '/v1/webhook-endpoints', {
        token: c.gw.partnerA.token,
        body: { url: `${redirecting.url}/hook` },
      });
      expectStatus(created, 201);
      const endpointId = (created.body as { id: string }).id;
      const handlers = testHandlers(c.gw, { resolve: c.dns.resolve });
      const { eventId, queued } = await queuedDelivery(c.gw, handlers, endpointId);

      await expect(run(handlers, queued, outboxContext(c.gw))).rejects.toBeInstanceOf(
        PermanentDeliveryError,
      );

      expect(redirecting.received).toEqual(['POST /hook']);
      expect(elsewhere.received).toEqual([]);
      expect(await attemptsOf(c.gw, endpointId)).toMatchObject([
        { eventId, status: 302, error: 'redirect' },
      ]);
      const [endpoint] = await c.gw.database.db
        .select()
        .from(webhookEndpoints)
        .where(eq(webhookEndpoints.id, endpointId));
      expect(endpoint?.consecutiveFailures).toBe(1);
    } finally {
      await redirecting.close();
      await elsewhere.close();
    }
  },
  'http',
);

// ---------------------------------------------------------------------------------------------

/** Creates something as `token` through REST and answers its id. */
async function created(
  gw: TestGateway,
  token: string,
  method: string,
  path: string,
  body: unknown = {},
): Promise<string> {
  const answer = await rest(gw, method, path, { token, body });
  expect([200, 201], `${method} ${path}: ${JSON.stringify(answer.body)}`).toContain(answer.status);
  return (answer.body as { id: string }).id;
}

/** Organization A's patient, booking, webhook endpoint, event, credential, key and device. */
async function fixturesOfA(gw: TestGateway): Promise<Fixtures> {
  const { token, organizationId } = gw.partnerA;
  const patientId = await created(gw, token, 'POST', '/v1/patients', patientInput('owasp-a'));
  const bookingId = await created(gw, token, 'POST', '/v1/bookings', {
    patientId,
    providerId: PROVIDER,
    start: A_START,
    duration: 50,
  });
  const endpointId = await created(gw, token, 'POST', '/v1/webhook-endpoints', {
    url: 'https://hooks.clinic-a.example/tahoon',
  });
  const eventId = await insertEvent(gw, organizationId, 'booking.confirmed', { bookingId });
  const credentialId = await created(gw, token, 'POST', '/v1/credentials', { label: 'owasp' });
  const signingKeyId = await created(gw, token, 'POST', '/v1/signing-keys', { credentialId });
  const deviceToken = 'owasp-device-of-a';
  await created(gw, token, 'PUT', `/v1/patients/${patientId}/devices/${deviceToken}`, {
    platform: 'ios',
  });
  return {
    patientId,
    bookingId,
    endpointId,
    eventId,
    credentialId,
    signingKeyId,
    deviceToken,
  };
}

describe.each(DB_KINDS)('OWASP API Security Top 10 on %s', (kind) => {
  let gw: TestGateway;
  let a: Fixtures;
  let b: OwnFixtures;
  const dns = fakeDns(DNS_TABLE);

  beforeAll(async () => {
    gw = await createTestGateway(kind, { webhookResolver: dns.resolve });
    a = await fixturesOfA(gw);
    b = {
      endpointId: await created(gw, gw.partnerB.token, 'POST', '/v1/webhook-endpoints', {
        url: 'https://hooks.clinic-b.example/tahoon',
      }),
      eventId: await insertEvent(gw, gw.partnerB.organizationId, 'booking.confirmed', {
        bookingId: webIds.next('bkg'),
      }),
    };
  });
  afterAll(() => gw.close());

  const context = (transport: Transport | undefined): CaseContext => ({
    gw,
    transport,
    dns,
    a,
    b,
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
