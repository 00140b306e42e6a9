/**
 * The partner journey end to end, as a new partner meets it: the gateway started the way the
 * README starts it (`tahoon serve --demo` on a fresh embedded database), the SDK tarball installed
 * into an empty project outside the workspace, and a plain Node script using it against the real
 * server; then the README's curl journey against the same server; then webhooks, events, devices
 * and credential administration through the SDK, with a local webhook receiver; then a stop and a
 * restart that must keep the data and the demo credentials.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer as createHttpServer, type IncomingHttpHeaders } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WebhookPayload } from '../src/index.js';
import { buildAndPack, cleanEnv, installConsumer, sh } from './packaging.js';

const REPO_DIR = fileURLToPath(new URL('../../..', import.meta.url));
const BIN = join(REPO_DIR, 'bin/tahoon.mjs');
const CURL_JOURNEY = join(REPO_DIR, 'scripts/curl-journey.sh');

/**
 * A cold start compiles the gateway's sources and creates the embedded database; on a loaded
 * two-core machine that has taken over a minute.
 */
const READY_TIMEOUT_MS = 120_000;
const READY_POLL_MS = 250;
/** A stop closes the listener and the database; anything near this bound is a hang. */
const STOP_TIMEOUT_MS = 30_000;
/** Packing and installing run beside the first start, so the hook waits for the slower one. */
const SETUP_TIMEOUT_MS = 200_000;
const JOURNEY_TIMEOUT_MS = 60_000;
const RESTART_TIMEOUT_MS = READY_TIMEOUT_MS + 2 * STOP_TIMEOUT_MS;

const ZONE = 'Asia/Riyadh';
const CANCEL_REASON = 'Patient asked to move the session';

interface DemoCredentials {
  organizationId: string;
  clientId: string;
  clientSecret: string;
}

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A `tahoon serve --demo` child process and what it has written so far. */
interface Gateway {
  child: ChildProcess;
  baseUrl: string;
  exited: Promise<Exit>;
  output(): string;
}

const started: Gateway[] = [];

/** A port nobody listens on now: the kernel picks one for a moment's listener. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => (port ? resolve(port) : reject(new Error('no port was assigned'))));
    });
  });
}

/**
 * The environment of a fresh clone: development mode, the embedded database in `dataDir`, and
 * none of this machine's gateway settings (a `DATABASE_URL` or a secret would change the test).
 */
function serverEnv(dataDir: string, port: number): NodeJS.ProcessEnv {
  const inherited = Object.entries(cleanEnv()).filter(
    ([key]) => !/^(TAHOON_|VIDEOSDK_|DATABASE_)/.test(key) && key !== 'NODE_ENV',
  );
  return {
    ...Object.fromEntries(inherited),
    TAHOON_DATA_DIR: dataDir,
    PORT: String(port),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    // A developer's setting (refused in production): webhooks to this machine over http.
    TAHOON_WEBHOOK_ALLOW_LOCAL: 'true',
  };
}

function spawnGateway(dataDir: string, port: number): Gateway {
  const child = spawn(process.execPath, [BIN, 'serve', '--demo'], {
    cwd: REPO_DIR,
    env: serverEnv(dataDir, port),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<Exit>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const gateway = { child, baseUrl: `http://127.0.0.1:${port}`, exited, output: () => output };
  started.push(gateway);
  return gateway;
}

async function isReady(baseUrl: string): Promise<boolean> {
  try {
    const response = await fetch(`${baseUrl}/health/ready`);
    await response.body?.cancel();
    return response.status === 200;
  } catch {
    return false;
  }
}

/** Waits for `/health/ready` to answer 200; fails with the server's output if it dies or stalls. */
async function waitUntilReady(gateway: Gateway): Promise<void> {
  let exit: Exit | undefined;
  void gateway.exited.then((e) => (exit = e));
  const deadline = Date.now() + READY_TIMEOUT_MS;

  while (Date.now() < deadline) {
    if (exit) {
      throw new Error(
        `tahoon serve exited (code ${exit.code}, signal ${exit.signal}) before it was ready:\n` +
          gateway.output(),
      );
    }
    if (await isReady(gateway.baseUrl)) return;
    await delay(READY_POLL_MS);
  }
  throw new Error(`tahoon serve was not ready after ${READY_TIMEOUT_MS} ms:\n${gateway.output()}`);
}

async function startGateway(dataDir: string): Promise<Gateway> {
  const gateway = spawnGateway(dataDir, await freePort());
  await waitUntilReady(gateway);
  return gateway;
}

/** Sends `signal` and waits a bounded time for the exit; `undefined` means it did not exit. */
async function stopGateway(gateway: Gateway, signal: NodeJS.Signals): Promise<Exit | undefined> {
  if (gateway.child.exitCode !== null || gateway.child.signalCode !== null) return gateway.exited;
  gateway.child.kill(signal);
  return Promise.race([gateway.exited, delay(STOP_TIMEOUT_MS, undefined, { ref: false })]);
}

/** The credentials the banner printed: what a partner copies from the terminal. */
function bannerCredentials(output: string): { clientId?: string; clientSecret?: string } {
  return {
    clientId: /client_id:\s+(\S+)/.exec(output)?.[1],
    clientSecret: /client_secret:\s+(\S+)/.exec(output)?.[1],
  };
}

async function readDemoCredentials(dataDir: string): Promise<DemoCredentials> {
  return JSON.parse(await readFile(join(dataDir, 'demo-credentials.json'), 'utf8'));
}

/** Runs `work`; when it fails, the error also carries what the gateway logged meanwhile. */
async function withGatewayLog<T>(gateway: Gateway, work: () => Promise<T>): Promise<T> {
  const from = gateway.output().length;
  try {
    return await work();
  } catch (error) {
    const log = gateway.output().slice(from) || '(nothing)';
    throw new Error(`${(error as Error).message}\nThe gateway logged:\n${log}`, { cause: error });
  }
}

/** Writes `source` as `name` into the consumer project and runs it; it prints one JSON line. */
async function runConsumerScript<T>(
  gateway: Gateway,
  consumer: string,
  script: { name: string; source: string },
  env: Record<string, string>,
): Promise<T> {
  await writeFile(join(consumer, script.name), script.source);
  const stdout = await withGatewayLog(gateway, () =>
    sh(process.execPath, [script.name], consumer, { ...cleanEnv(), ...env }),
  );
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as T;
}

/** The journey a partner writes with the installed package; it prints what it saw as JSON. */
const JOURNEY_MJS = `
import { Tahoon, TahoonError } from '@tahoon/sdk';

const env = process.env;
const tahoon = new Tahoon({
  baseUrl: env.TAHOON_BASE_URL,
  clientId: env.TAHOON_CLIENT_ID,
  clientSecret: env.TAHOON_CLIENT_SECRET,
});
const zone = ${JSON.stringify(ZONE)};

// Midnight in Riyadh, which is UTC+03:00 all year, some days from today there.
function riyadhMidnight(days) {
  const date = new Date(Date.now() + 3 * 3600e3 + days * 864e5).toISOString().slice(0, 10);
  return date + 'T00:00:00+03:00';
}

function summary(b) {
  return {
    id: b.id,
    status: b.status,
    patientId: b.patientId,
    providerId: b.providerId,
    start: b.start,
    duration: b.duration,
    patientJoinUrl: b.video?.patientJoinUrl ?? null,
    providerJoinUrl: b.video?.providerJoinUrl ?? null,
    cancellation: b.cancellation,
    requestId: b.requestId,
  };
}

async function bookingsOf(patientId) {
  const seen = [];
  for await (const b of tahoon.bookings.list({ patientId })) seen.push({ id: b.id, status: b.status });
  return seen;
}

const patient = await tahoon.patients.create({
  externalId: env.PATIENT_EXTERNAL_ID, givenName: 'Sara', familyName: 'Ali',
  birthDate: '1990-04-21', country: 'SA', timeZone: zone,
});

const search = await tahoon.providers.search({
  region: 'SA', acceptingNewPatients: true, sort: 'earliest',
});
const provider = search.data[0];
if (!provider) throw new Error('the search found no provider');
const duration = provider.sessionTypes[0].duration;

const slots = await tahoon.providers.slots(provider.id, {
  from: riyadhMidnight(1), to: riyadhMidnight(8), duration, timeZone: zone,
});
const slot = slots.data[0];
if (!slot) throw new Error('the provider has no free slot in the coming week');
const request = { patientId: patient.id, providerId: provider.id, start: slot.start, duration };

const booking = await tahoon.bookings.create(request);
const fetched = await tahoon.bookings.get(booking.id);
const listed = await bookingsOf(patient.id);
const cancelled = await tahoon.bookings.cancel(booking.id, {
  reason: ${JSON.stringify(CANCEL_REASON)},
});

const rebooked = await tahoon.bookings.create(request);
let conflict = null;
try {
  await tahoon.bookings.create(request);
} catch (err) {
  conflict = {
    isTahoonError: err instanceof TahoonError,
    code: err.code,
    status: err.status,
    requestId: err.requestId,
  };
}
const listedAfter = await bookingsOf(patient.id);

console.log(JSON.stringify({
  patient: { id: patient.id, externalId: patient.externalId, requestId: patient.requestId },
  providers: search.data.map((p) => ({
    id: p.id, licensedRegions: p.licensedRegions, acceptingNewPatients: p.acceptingNewPatients,
  })),
  duration,
  slots: { timeZone: slots.timeZone, count: slots.data.length, first: slot },
  booking: summary(booking),
  fetched: summary(fetched),
  listed,
  cancelled: summary(cancelled),
  rebooked: summary(rebooked),
  conflict,
  listedAfter,
}));
`;

interface BookingSummary {
  id: string;
  status: string;
  patientId: string;
  providerId: string;
  start: string;
  duration: number;
  patientJoinUrl: string | null;
  providerJoinUrl: string | null;
  cancellation: { by: string; at: string; reason: string | null; late: boolean } | null;
  requestId: string;
}

interface JourneySummary {
  patient: { id: string; externalId: string; requestId: string };
  providers: { id: string; licensedRegions: string[]; acceptingNewPatients: boolean }[];
  duration: number;
  slots: { timeZone: string; count: number; first: { start: string; end: string } };
  booking: BookingSummary;
  fetched: BookingSummary;
  listed: { id: string; status: string }[];
  cancelled: BookingSummary;
  rebooked: BookingSummary;
  conflict: { isTahoonError: boolean; code: string; status: number; requestId: string } | null;
  listedAfter: { id: string; status: string }[];
}

/** After a restart: is the patient still there, found by the partner's own id? */
const LOOKUP_MJS = `
import { Tahoon } from '@tahoon/sdk';

const env = process.env;
const tahoon = new Tahoon({
  baseUrl: env.TAHOON_BASE_URL,
  clientId: env.TAHOON_CLIENT_ID,
  clientSecret: env.TAHOON_CLIENT_SECRET,
});
const page = await tahoon.patients.list({ externalId: env.PATIENT_EXTERNAL_ID });
const booking = await tahoon.bookings.get(env.BOOKING_ID);
console.log(JSON.stringify({
  patients: page.data.map((p) => ({ id: p.id, externalId: p.externalId })),
  booking: { id: booking.id, status: booking.status },
}));
`;

interface LookupSummary {
  patients: { id: string; externalId: string }[];
  booking: { id: string; status: string };
}

/**
 * Webhooks, events, devices and credentials through the installed SDK. The demo credential
 * creates a narrower one holding exactly the scopes these calls need, and everything after runs
 * as that one; the journey's bookings have left events to list and redeliver.
 */
const NOTIFICATIONS_MJS = `
import { Tahoon, TahoonError } from '@tahoon/sdk';

const env = process.env;
const connect = (clientId, clientSecret) =>
  new Tahoon({ baseUrl: env.TAHOON_BASE_URL, clientId, clientSecret, maxRetries: 0 });
const demo = connect(env.TAHOON_CLIENT_ID, env.TAHOON_CLIENT_SECRET);
const codeOf = (promise) => promise.then(() => 'resolved', (err) => err instanceof TahoonError ? err.code : String(err));
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Credentials: a scoped credential, rotated so that its first secret stops at once.
const scopes = ['webhooks:manage', 'events:read', 'patients:write', 'credentials:admin'];
const created = await demo.credentials.create({ label: 'e2e notifications', scopes });
const first = connect(created.id, created.clientSecret);
const rotation = await first.credentials.rotate(created.id, { previousSecretExpiresInSeconds: 0 });
const tahoon = connect(created.id, rotation.clientSecret);
const readBack = await tahoon.credentials.get(created.id);
const listedCredentials = (await tahoon.credentials.list()).data.map((c) => c.id);
const oldSecret = await codeOf(connect(created.id, created.clientSecret).credentials.get(created.id));
const outOfScope = await codeOf(tahoon.bookings.list());

// Webhook endpoints.
const endpoint = await tahoon.webhookEndpoints.create({
  url: env.WEBHOOK_URL, description: 'e2e receiver', eventTypes: ['booking.cancelled'],
});
const listedEndpoints = (await tahoon.webhookEndpoints.list()).data.map((e) => e.id);
const got = await tahoon.webhookEndpoints.get(endpoint.id);
const updated = await tahoon.webhookEndpoints.update(endpoint.id, {
  description: null, eventTypes: null,
});
const rotated = await tahoon.webhookEndpoints.rotateSecret(endpoint.id, { overlapSeconds: 0 });

// Events: listed a few seconds after they occur, so wait for the journey's cancellation.
let events = [];
const cancelledIn = (list) => list.find((e) => e.type === 'booking.cancelled');
for (let tries = 0; !cancelledIn(events) && tries < 60; tries++) {
  if (tries > 0) await sleep(500);
  events = (await tahoon.events.list({ limit: 100 })).data;
}
const iterated = [];
for await (const event of tahoon.events.list({ limit: 2 })) iterated.push(event.id);
const afterFirst = [];
for await (const event of tahoon.events.list({ after: iterated[0], limit: 1 })) afterFirst.push(event.id);
const cancelled = cancelledIn(events);
if (!cancelled) throw new Error('no booking.cancelled event listed in 30 s: ' + JSON.stringify(events));
const redelivered = await tahoon.events.redeliver(cancelled.id, { endpointId: endpoint.id });

// The delivery log shows the attempt once the dispatcher has made it.
let deliveries = [];
for (let tries = 0; deliveries.length === 0 && tries < 60; tries++) {
  if (tries > 0) await sleep(500);
  deliveries = [];
  for await (const d of tahoon.webhookEndpoints.deliveries(endpoint.id)) deliveries.push(d);
}

// Devices.
const token = 'fcm:e2e-device_token.1';
const device = await tahoon.devices.register(env.PATIENT_ID, token, { platform: 'android' });
const again = await tahoon.devices.register(env.PATIENT_ID, token);
const removed = await tahoon.devices.remove(env.PATIENT_ID, token);
const removedTwice = await codeOf(tahoon.devices.remove(env.PATIENT_ID, token));

const deleted = await tahoon.webhookEndpoints.delete(endpoint.id);
const deletedGet = await codeOf(tahoon.webhookEndpoints.get(endpoint.id));
const revoked = await demo.credentials.revoke(created.id);

console.log(JSON.stringify({
  credential: { id: created.id, scopes: created.scopes, clientSecret: created.clientSecret },
  rotation: { clientId: rotation.clientId, secretId: rotation.secretId, changed: rotation.clientSecret !== created.clientSecret },
  readBack: { status: readBack.status, secretIds: readBack.secrets.map((s) => s.id), keys: Object.keys(readBack) },
  listedCredentials, oldSecret, outOfScope,
  endpoint: { ...endpoint, requestId: endpoint.requestId },
  listedEndpoints, got, updated, rotated,
  events, iterated, afterFirst, cancelledId: cancelled.id, redelivered, deliveries,
  device, again, removed, removedTwice,
  deleted, deletedGet, revoked: { status: revoked.status },
}));
`;

interface NotificationsSummary {
  credential: { id: string; scopes: string[]; clientSecret: string };
  rotation: { clientId: string; secretId: string; changed: boolean };
  readBack: { status: string; secretIds: string[]; keys: string[] };
  listedCredentials: string[];
  oldSecret: string;
  outOfScope: string;
  endpoint: Record<string, unknown> & { id: string; secret: string; requestId: string };
  listedEndpoints: string[];
  got: Record<string, unknown>;
  updated: Record<string, unknown>;
  rotated: Record<string, unknown> & { secret: string };
  events: { id: string; type: string; occurredAt: string; data: Record<string, string> }[];
  iterated: string[];
  afterFirst: string[];
  cancelledId: string;
  redelivered: { queued: number };
  deliveries: { eventId: string; endpointId: string; status: number | null; error: unknown }[];
  device: { id: string; patientId: string; platform: string | null };
  again: { id: string; platform: string | null };
  removed: unknown;
  removedTwice: string;
  deleted: unknown;
  deletedGet: string;
  revoked: { status: string };
}

/** One delivery the local webhook receiver got. */
interface Delivery {
  headers: IncomingHttpHeaders;
  body: string;
}

/** A partner's webhook URL on this machine: it answers 204 and keeps what it was sent. */
async function startReceiver(): Promise<{ url: string; received: Delivery[]; stop(): void }> {
  const received: Delivery[] = [];
  const server = createHttpServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/tahoon/webhooks`,
    received,
    stop: () => server.close(),
  };
}

/** Standard Webhooks, checked by hand: HMAC-SHA256 over `id.timestamp.body`, keyed by the secret. */
function signedWith(secret: string, delivery: Delivery): boolean {
  const { 'webhook-id': id, 'webhook-timestamp': timestamp } = delivery.headers;
  const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
  const expected = createHmac('sha256', key).update(`${id}.${timestamp}.${delivery.body}`).digest();
  const signatures = String(delivery.headers['webhook-signature'] ?? '').split(' ');
  return signatures.some((entry) => {
    const [version, value = ''] = entry.split(',');
    const given = Buffer.from(value, 'base64');
    return version === 'v1' && given.length === expected.length && timingSafeEqual(given, expected);
  });
}

const isInstant = (value: string) => Number.isFinite(Date.parse(value));
const sameInstant = (a: string, b: string) => Date.parse(a) === Date.parse(b);

describe('the partner journey against `tahoon serve --demo`', () => {
  let work: string;
  let dataDir: string;
  let consumer: string;
  let gateway: Gateway;
  let credentials: DemoCredentials;
  let journey: JourneySummary | undefined;
  const externalId = `e2e-${Date.now().toString(36)}`;

  function partnerEnv(baseUrl: string): Record<string, string> {
    return {
      TAHOON_BASE_URL: baseUrl,
      TAHOON_CLIENT_ID: credentials.clientId,
      TAHOON_CLIENT_SECRET: credentials.clientSecret,
      PATIENT_EXTERNAL_ID: externalId,
    };
  }

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'tahoon-e2e-'));
    dataDir = join(work, 'data');
    consumer = join(work, 'consumer');

    // Both are slow on a small machine and neither needs the other.
    const [served, installed] = await Promise.allSettled([
      startGateway(dataDir),
      buildAndPack(work).then((tarball) => installConsumer(consumer, [tarball])),
    ]);
    if (served.status === 'rejected') throw served.reason;
    if (installed.status === 'rejected') throw installed.reason;
    gateway = served.value;
    credentials = await readDemoCredentials(dataDir);
  }, SETUP_TIMEOUT_MS);

  afterAll(async () => {
    // A failed test must not leave a server holding a port and a database.
    await Promise.all(started.map((g) => stopGateway(g, 'SIGKILL')));
    if (work) await rm(work, { recursive: true, force: true });
  }, 2 * STOP_TIMEOUT_MS);

  it('prints the demo credentials it keeps in the data folder', () => {
    expect(credentials).toEqual({
      organizationId: expect.stringMatching(/^org_/),
      clientId: expect.stringMatching(/^cred_/),
      clientSecret: expect.stringMatching(/^tk_test_/),
    });
    expect(bannerCredentials(gateway.output())).toEqual({
      clientId: credentials.clientId,
      clientSecret: credentials.clientSecret,
    });
  });

  it(
    'runs the whole journey through the installed SDK',
    async () => {
      const result = await runConsumerScript<JourneySummary>(
        gateway,
        consumer,
        { name: 'journey.mjs', source: JOURNEY_MJS },
        partnerEnv(gateway.baseUrl),
      );
      journey = result;
      const { patient, booking } = result;

      expect(patient).toEqual({
        id: expect.stringMatching(/^pat_/),
        externalId,
        requestId: expect.stringMatching(/^req_/),
      });
      expect(result.providers.length).toBeGreaterThan(0);
      for (const provider of result.providers) {
        expect(provider.licensedRegions).toContain('SA');
        expect(provider.acceptingNewPatients).toBe(true);
      }

      expect(result.slots.timeZone).toBe(ZONE);
      expect(result.slots.count).toBeGreaterThan(0);
      expect(result.slots.first.start).toMatch(/\+03:00$/);

      expect(booking).toMatchObject({
        id: expect.stringMatching(/^bkg_/),
        status: 'confirmed',
        patientId: patient.id,
        providerId: result.providers[0]?.id,
        duration: result.duration,
        patientJoinUrl: expect.stringMatching(/^https:\/\//),
        providerJoinUrl: expect.stringMatching(/^https:\/\//),
        cancellation: null,
        requestId: expect.stringMatching(/^req_/),
      });
      expect(isInstant(booking.start) && sameInstant(booking.start, result.slots.first.start)).toBe(
        true,
      );

      expect(result.fetched).toEqual({ ...booking, requestId: expect.stringMatching(/^req_/) });
      expect(result.fetched.requestId).not.toBe(booking.requestId);
      expect(result.listed).toEqual([{ id: booking.id, status: 'confirmed' }]);

      expect(result.cancelled).toMatchObject({ id: booking.id, status: 'cancelled' });
      expect(result.cancelled.cancellation).toEqual({
        by: 'partner',
        at: expect.any(String),
        reason: CANCEL_REASON,
        late: expect.any(Boolean),
      });

      // The cancelled slot is free again; taking it a second time is refused.
      expect(result.rebooked).toMatchObject({
        status: 'confirmed',
        patientJoinUrl: expect.stringMatching(/^https:\/\//),
      });
      expect(result.rebooked.id).not.toBe(booking.id);
      expect(sameInstant(result.rebooked.start, booking.start)).toBe(true);
      expect(result.conflict).toEqual({
        isTahoonError: true,
        code: 'SLOT_UNAVAILABLE',
        status: 409,
        requestId: expect.stringMatching(/^req_/),
      });
      // The refused booking left nothing behind.
      expect(sortById(result.listedAfter)).toEqual(
        sortById([
          { id: booking.id, status: 'cancelled' },
          { id: result.rebooked.id, status: 'confirmed' },
        ]),
      );
    },
    JOURNEY_TIMEOUT_MS,
  );

  it(
    'runs the README’s curl journey (scripts/curl-journey.sh)',
    async () => {
      const args = [CURL_JOURNEY, gateway.baseUrl, credentials.clientId, credentials.clientSecret];
      const stdout = await withGatewayLog(gateway, () => sh('bash', args, REPO_DIR));
      const lines = stdout.trim().split('\n');
      const steps = lines.slice(0, -1).map((line) => {
        const match = /^(.+?)\s+(\d{3})$/.exec(line);
        return match ? [match[1], Number(match[2])] : [line, null];
      });

      expect(steps).toEqual([
        ['1 token', 200],
        ['2 register patient', 201],
        ['3 search providers', 200],
        ['4 slots', 200],
        ['5 book', 201],
        ['5 book the same slot', 409],
        ['6 get booking', 200],
        ['6 list bookings', 200],
        ['6 cancel booking', 200],
      ]);
      expect(lines.at(-1)).toMatch(
        /^patient pat_\w+ booked prv_\w+ at \S+\+03:00 \(\d+ min\) as bkg_\w+, then cancelled it$/,
      );
    },
    JOURNEY_TIMEOUT_MS,
  );

  it(
    'manages webhooks, events, devices and credentials through the installed SDK',
    async () => {
      const patientId = journey?.patient.id;
      if (!patientId) throw new Error('the SDK journey did not run to its end');
      const receiver = await startReceiver();
      let result: NotificationsSummary;
      try {
        result = await runConsumerScript<NotificationsSummary>(
          gateway,
          consumer,
          { name: 'notifications.mjs', source: NOTIFICATIONS_MJS },
          { ...partnerEnv(gateway.baseUrl), WEBHOOK_URL: receiver.url, PATIENT_ID: patientId },
        );
      } finally {
        receiver.stop();
      }

      // Credentials: the new one holds exactly the scopes asked for, and after a rotation with
      // no overlap only the new secret gets a token.
      expect(result.credential).toEqual({
        id: expect.stringMatching(/^cred_/),
        scopes: ['webhooks:manage', 'events:read', 'patients:write', 'credentials:admin'],
        clientSecret: expect.stringMatching(/^tk_test_/),
      });
      expect(result.rotation).toEqual({
        clientId: result.credential.id,
        secretId: expect.stringMatching(/^csec_/),
        changed: true,
      });
      expect(result.readBack.status).toBe('active');
      expect(result.readBack.secretIds).toContain(result.rotation.secretId);
      expect(result.readBack.keys).not.toContain('clientSecret');
      expect(result.listedCredentials).toEqual(
        expect.arrayContaining([credentials.clientId, result.credential.id]),
      );
      expect(result.oldSecret).toBe('UNAUTHENTICATED');
      expect(result.outOfScope).toBe('FORBIDDEN');
      expect(result.revoked).toEqual({ status: 'revoked' });

      // Webhook endpoints: the secret only where it is shown once.
      const { secret, requestId, ...endpoint } = result.endpoint;
      expect(secret).toMatch(/^whsec_/);
      expect(requestId).toMatch(/^req_/);
      expect(endpoint).toMatchObject({
        id: expect.stringMatching(/^wep_/),
        url: receiver.url,
        description: 'e2e receiver',
        eventTypes: ['booking.cancelled'],
        enabled: true,
        disabledReason: null,
      });
      expect(result.listedEndpoints).toEqual([endpoint.id]);
      expect(result.got).toEqual(endpoint);
      expect(result.updated).toMatchObject({
        id: endpoint.id,
        description: null,
        eventTypes: null,
      });
      expect(result.rotated.secret).toMatch(/^whsec_/);
      expect(result.rotated.secret).not.toBe(secret);
      expect(result.deleted).toEqual({ id: endpoint.id, deleted: true });
      expect(result.deletedGet).toBe('NOT_FOUND');

      // Events: the journey's bookings, oldest first, the same whether read whole or after one.
      const types = result.events.map((e) => e.type);
      expect(types).toEqual(expect.arrayContaining(['booking.created', 'booking.cancelled']));
      const journeyBooking = journey?.booking.id;
      expect(result.events.some((e) => e.data.bookingId === journeyBooking)).toBe(true);
      expect(result.iterated.slice(0, result.events.length)).toEqual(
        result.events.map((e) => e.id),
      );
      // Later events may settle between the two reads; the earlier ones must be the same.
      expect(result.afterFirst.slice(0, result.iterated.length - 1)).toEqual(
        result.iterated.slice(1),
      );
      expect(result.iterated.length).toBeGreaterThan(2);

      // The redelivery reached the receiver, signed with the rotated secret, and is logged.
      expect(result.redelivered).toEqual({ queued: 1 });
      const delivery = receiver.received.find(
        (d) => d.headers['webhook-id'] === result.cancelledId,
      );
      expect(delivery).toBeDefined();
      if (!delivery) return;
      expect(signedWith(result.rotated.secret, delivery)).toBe(true);
      expect(signedWith(secret, delivery)).toBe(false);
      const cancelledEvent = result.events.find((e) => e.id === result.cancelledId);
      const payload: WebhookPayload = JSON.parse(delivery.body);
      expect(payload).toEqual({
        type: 'booking.cancelled',
        timestamp: cancelledEvent?.occurredAt,
        data: cancelledEvent?.data,
      });
      expect(result.deliveries).toContainEqual(
        expect.objectContaining({ eventId: result.cancelledId, status: 204, error: null }),
      );

      // Devices: registering twice answers the same device; removing twice is NOT_FOUND.
      expect(result.device).toMatchObject({
        id: expect.stringMatching(/^dev_/),
        patientId,
        platform: 'android',
      });
      expect(result.again.id).toBe(result.device.id);
      expect(result.removed).toEqual({ deleted: true });
      expect(result.removedTwice).toBe('NOT_FOUND');
    },
    JOURNEY_TIMEOUT_MS,
  );

  it(
    'stops on SIGTERM and keeps its data and demo credentials across a restart',
    async () => {
      const rebooked = journey?.rebooked;
      if (!rebooked) throw new Error('the SDK journey did not run to its end');

      expect(await stopGateway(gateway, 'SIGTERM')).toEqual({ code: 0, signal: null });
      expect(existsSync(join(dataDir, 'server.pid'))).toBe(false);

      const again = await startGateway(dataDir);
      expect(await readDemoCredentials(dataDir)).toEqual(credentials);
      expect(bannerCredentials(again.output())).toEqual({
        clientId: credentials.clientId,
        clientSecret: credentials.clientSecret,
      });

      const found = await runConsumerScript<LookupSummary>(
        again,
        consumer,
        { name: 'lookup.mjs', source: LOOKUP_MJS },
        { ...partnerEnv(again.baseUrl), BOOKING_ID: rebooked.id },
      );
      expect(found).toEqual({
        patients: [{ id: journey?.patient.id, externalId }],
        booking: { id: rebooked.id, status: 'confirmed' },
      });

      expect(await stopGateway(again, 'SIGTERM')).toEqual({ code: 0, signal: null });
    },
    RESTART_TIMEOUT_MS,
  );
});

function sortById<T extends { id: string }>(items: T[]): T[] {
  return [...items].sort((a, b) => a.id.localeCompare(b.id));
}
