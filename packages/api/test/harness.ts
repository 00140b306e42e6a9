import { readFile } from 'node:fs/promises';
import { Writable } from 'node:stream';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import type { Clock, VideoRoom, VideoRoomRequest, VideoRooms } from '@tahoon/core';
import { createApp } from '../src/app.js';
import { createAuth } from '../src/auth.js';
import { loadConfig, type Config } from '../src/config.js';
import { webIds } from '../src/crypto.js';
import type { Deps, Keys } from '../src/deps.js';
import { generateSigningKey } from '../src/tokens/signing-keys.js';
import { openPglite, openPostgres, type Database } from '../src/node/database.js';
import { createLogger } from '../src/node/runtime.js';
import { createRateLimiter } from '../src/ratelimit/index.js';
import {
  createPhiCipher,
  generatePhiEnv,
  loadPhiKeyRing,
  type PhiCipher,
} from '../src/phi/index.js';
import { loadDemoProviders } from '../src/seed/demo.js';
import { createJitsiRooms } from '../src/adapters/video/jitsi.js';
import { createNodeNotificationHandlers } from '../src/notifications/node.js';
import { createOutbox, type OutboxParts } from '../src/outbox/index.js';
import type { Resolver } from '../src/webhooks/ssrf.js';

export type DbKind = 'pglite' | 'postgres';

/** Both databases every database test runs against. */
export const DB_KINDS: DbKind[] = ['pglite', 'postgres'];

/** The PostgreSQL server tests use; the README says how to point it elsewhere. */
export const ADMIN_URL =
  process.env.TAHOON_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** Monday 2027-03-01 06:00 UTC: a fixed "now" so slot answers do not depend on the day. */
export const TEST_NOW = Date.parse('2027-03-01T06:00:00Z');

export function fixedClock(
  startMs = TEST_NOW,
): Clock & { set(ms: number): void; advance(ms: number): void } {
  let now = startMs;
  return {
    nowMs: () => now,
    set: (ms) => (now = ms),
    advance: (ms) => (now += ms),
  };
}

/** Jitsi rooms with a ledger, and a switch to make creation fail. */
export function recordingVideo(): VideoRooms & {
  created: VideoRoom[];
  removed: string[];
  live(): string[];
  failNext: number;
} {
  const inner = createJitsiRooms({});
  const rooms = {
    name: 'jitsi',
    created: [] as VideoRoom[],
    removed: [] as string[],
    failNext: 0,
    live() {
      return this.created.map((r) => r.roomId).filter((id) => !this.removed.includes(id));
    },
    async create(request: VideoRoomRequest) {
      if (rooms.failNext > 0) {
        rooms.failNext -= 1;
        throw new Error('video service down (test)');
      }
      const room = await inner.create(request);
      rooms.created.push(room);
      return room;
    },
    async remove(roomId: string) {
      rooms.removed.push(roomId);
    },
  };
  return rooms;
}

/** Captures log lines so tests can check what was (not) logged. */
export function captureLogs() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { lines, logger: createLogger({ LOG_LEVEL: 'debug' }, stream) };
}

export async function freshPostgres(): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `tahoon_t_${webIds.next('req').slice(4)}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const a = new pg.Client({ connectionString: ADMIN_URL });
      await a.connect();
      await a.query(`drop database if exists ${name} with (force)`);
      await a.end();
    },
  };
}

/** A cipher with fresh keys, as a deployment would configure them. */
export async function testPhi(): Promise<PhiCipher> {
  const ring = await loadPhiKeyRing({ ...generatePhiEnv('test-a') });
  if (!ring) throw new Error('no PHI key ring');
  return createPhiCipher(ring);
}

export async function openTestDatabase(
  kind: DbKind,
  poolSize = 25,
  phi?: PhiCipher,
): Promise<{ database: Database; drop: () => Promise<void>; phi: PhiCipher; url?: string }> {
  const cipher = phi ?? (await testPhi());
  if (kind === 'postgres') {
    const { url, drop } = await freshPostgres();
    const database = openPostgres(url, cipher, poolSize);
    await database.migrate();
    return {
      database,
      phi: cipher,
      url,
      drop: async () => {
        await database.close();
        await drop();
      },
    };
  }
  const template = process.env.TAHOON_TEST_PGLITE_TEMPLATE;
  if (!template) throw new Error('test/global-setup.ts did not run');
  const client = await PGlite.create({ loadDataDir: new Blob([await readFile(template)]) });
  const database = await openPglite({ client, phi: cipher });
  await database.migrate();
  return { database, phi: cipher, drop: () => database.close() };
}

export interface Partner {
  organizationId: string;
  clientId: string;
  clientSecret: string;
  token: string;
}

export interface TestGateway {
  kind: DbKind;
  app: ReturnType<typeof createApp>;
  deps: Deps;
  database: Database;
  clock: ReturnType<typeof fixedClock>;
  video: ReturnType<typeof recordingVideo>;
  logs: string[];
  partnerA: Partner;
  partnerB: Partner;
  /** The PostgreSQL database's URL, so a test can open a second instance on it. */
  databaseUrl: string | undefined;
  newPartner(name: string): Promise<Partner>;
  close(): Promise<void>;
}

/** The key the test gateways sign access tokens with; tests forge tokens against it. */
export const TEST_SIGNING_KEY = await generateSigningKey('sgk_test_signing_a');

export const TEST_KEYS: Keys = {
  tokenSigningKeys: [TEST_SIGNING_KEY],
  credentialKey: new Uint8Array(32).fill(9),
};

export function testConfig(overrides: Record<string, string> = {}): Config {
  return loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'debug',
    TAHOON_DATA_DIR: '/nonexistent',
    ...overrides,
  });
}

/**
 * A gateway on a real database with the demo roster and two partner organizations, served
 * in-process through the same `app.fetch` the Node server uses.
 */
export async function createTestGateway(
  kind: DbKind,
  options: {
    poolSize?: number;
    /** The video service the outbox uses instead of the recording one (e.g. the fake VideoSDK). */
    outboxVideo?: VideoRooms;
    outbox?: Pick<OutboxParts, 'settings' | 'handlers' | 'random'>;
    /** Configuration beyond the test defaults, e.g. TAHOON_WEBHOOK_ALLOW_LOCAL. */
    config?: Record<string, string>;
    /** DNS for webhook URL checks (test/fakes/dns.ts). */
    webhookResolver?: Resolver;
    /** Token signing keys instead of the test ones (rotation tests). */
    keys?: Keys;
  } = {},
): Promise<TestGateway> {
  const { database, drop, phi, url } = await openTestDatabase(kind, options.poolSize);
  const clock = fixedClock();
  const video = recordingVideo();
  const { lines, logger } = captureLogs();
  const config = testConfig(options.config);
  // The dispatcher is not started: tests run it with `deps.outbox.dispatcher.runOnce()`. Webhook
  // and push handlers are the deployment's, under the test configuration (no FCM: notifications
  // are recorded as undeliverable).
  const outbox = createOutbox({
    db: database.db,
    store: database.store,
    video: options.outboxVideo ?? video,
    clock,
    ids: webIds,
    logger,
    handlers: createNodeNotificationHandlers({
      config,
      store: database.store,
      ids: webIds,
      logger,
      ...(options.webhookResolver ? { webhookResolver: options.webhookResolver } : {}),
    }),
    ...options.outbox,
  });
  const deps: Deps = {
    config,
    store: database.store,
    clock,
    ids: webIds,
    video,
    keys: options.keys ?? TEST_KEYS,
    phi,
    // Quotas are raised so bursts in tests measure the gateway, not throttling; the limiter's own
    // tests cover the limits.
    limiter: createRateLimiter({
      config: {
        perCredential: { limit: 1_000_000, windowSeconds: 60 },
        tokenFailuresPerIp: { limit: 1_000_000, windowSeconds: 60 },
      },
    }),
    logger,
    outbox,
    ...(options.webhookResolver ? { webhookResolver: options.webhookResolver } : {}),
  };
  await database.store.providers.upsert(await loadDemoProviders());
  const app = createApp(deps);
  const auth = createAuth(deps);

  async function newPartner(name: string): Promise<Partner> {
    const organizationId = webIds.next('org');
    await deps.store.organizations.create({ id: organizationId, name, createdAtMs: clock.nowMs() });
    const { clientId, clientSecret, credential } = await auth.createCredential(
      organizationId,
      'test',
    );
    const { accessToken } = await auth.issueToken(credential);
    return { organizationId, clientId, clientSecret, token: accessToken };
  }

  return {
    kind,
    app,
    deps,
    database,
    clock,
    video,
    logs: lines,
    partnerA: await newPartner('Partner A'),
    partnerB: await newPartner('Partner B'),
    databaseUrl: url,
    newPartner,
    close: drop,
  };
}

export interface Answer {
  status: number;
  body: unknown;
  headers: Headers;
}

/** One REST call through the app, as a partner's HTTP client would make it. */
export async function rest(
  gw: Pick<TestGateway, 'app'>,
  method: string,
  path: string,
  options: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  let body: string | undefined;
  if (options.body !== undefined) {
    headers['content-type'] ??= 'application/json';
    body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
  }
  const response = await gw.app.fetch(
    new Request(`http://tahoon.test${path}`, { method, headers, body }),
  );
  const text = await response.text();
  return {
    status: response.status,
    body: text ? JSON.parse(text) : null,
    headers: response.headers,
  };
}

/**
 * One tRPC call through the app. Answers in the REST shape (data, or the problem document) so
 * tests can compare the two transports.
 */
export async function trpc(
  gw: Pick<TestGateway, 'app'>,
  type: 'query' | 'mutation',
  procedure: string,
  input: unknown,
  token?: string,
): Promise<Answer> {
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  const url = new URL(`http://tahoon.test/trpc/${procedure}`);
  let request: Request;
  if (type === 'query') {
    if (input !== undefined) url.searchParams.set('input', JSON.stringify(input));
    request = new Request(url, { headers });
  } else {
    headers['content-type'] = 'application/json';
    request = new Request(url, { method: 'POST', headers, body: JSON.stringify(input ?? {}) });
  }
  const response = await gw.app.fetch(request);
  const json = (await response.json()) as {
    result?: { data: unknown };
    error?: { data: { problem: unknown } };
  };
  return {
    status: response.status,
    body: json.result ? json.result.data : json.error?.data.problem,
    headers: response.headers,
  };
}
