/**
 * The partner journey end to end, as a new partner meets it: the gateway started the way the
 * README starts it (`tahoon serve --demo` on a fresh embedded database), the SDK tarball installed
 * into an empty project outside the workspace, and a plain Node script using it against the real
 * server; then the README's curl journey against the same server; then a stop and a restart that
 * must keep the data and the demo credentials.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
