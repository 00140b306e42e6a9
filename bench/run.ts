// The gateway's benchmark (`pnpm bench`): a bare Hono route as the baseline, then the real
// server (`node bin/tahoon.mjs serve --demo`) on the embedded database and on PostgreSQL, all
// on this machine. It prints and writes what it measured, met or not; see bench/README.md.
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, platform, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import type autocannon from 'autocannon';
import {
  ApiClient,
  auditBookings,
  bookable,
  listProviders,
  planBookings,
  registerPatients,
  shortestDuration,
  weekWindow,
  type BookingBody,
  type Provider,
} from './fixtures.js';
import { runLoad, runPaced, type RunResult } from './load.js';
import { createBenchDatabase } from './postgres.js';
import { buildBundle, entryInUse } from './entry.js';
import { waitForQuietCores } from './machine.js';
import { memoryOf, startChild, stopAllChildren, waitForOk, type Child } from './processes.js';
import {
  evaluateTargets,
  renderMarkdown,
  writeReport,
  type DatabaseResult,
  type DbKind,
  type Report,
  type ScenarioResult,
  type Settings,
} from './report.js';
import { apiDependencyVersions, BIN, freePort, round, withTimeout } from './shared.js';

/** BENCH_DURATION_S shortens the measured runs for a quick check of the script itself. */
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 10);
const SATURATION = { connections: 50, durationS: DURATION_S };
const FIXED_RATE = { connections: 10, durationS: DURATION_S, overallRate: 100 };
/** The same 100 req/s spread evenly: a request every 10 ms (see runPaced). */
const PACED = { rate: 100, durationS: DURATION_S };
const WARMUP = { connections: 10, durationS: 2 };
const PATIENTS_PER_PROVIDER = 8;
const RESTARTS = 3;

const FIRST_START_TIMEOUT_MS = 180_000;
const RESTART_TIMEOUT_MS = 60_000;
const SETUP_TIMEOUT_MS = 180_000;
/** Everything after the wait for a quiet machine; past this the run stops, cleans up, fails. */
const HARD_LIMIT_MS = 60 * 60_000;

/**
 * Other work on a shared machine ruins the figures. The run first waits (up to
 * BENCH_QUIET_WAIT_S) until other processes keep less than 0.3 of a core busy, and waits again
 * (up to BENCH_RUN_QUIET_WAIT_S) before every measured run and every timed restart.
 */
const QUIET_WAIT_MS = Number(process.env.BENCH_QUIET_WAIT_S ?? 600) * 1_000;
const RUN_QUIET_WAIT_MS = Number(process.env.BENCH_RUN_QUIET_WAIT_S ?? 120) * 1_000;

const SERVER_LOG_LEVEL = 'warn';
const SERVER_RATE_LIMIT_PER_MINUTE = '1000000';
const SERVE_ARGS = [BIN, 'serve', '--demo'];

/** Settings inherited from the shell that would change what is measured. */
const NOT_INHERITED = /^(TAHOON_|DATABASE_|VIDEOSDK_|LOG_LEVEL$|PORT$|HOST$|NODE_ENV$)/;

const cleanups: (() => Promise<void>)[] = [];

async function cleanUp(): Promise<void> {
  await stopAllChildren().catch(() => undefined);
  for (const step of cleanups.splice(0).reverse()) {
    await step().catch((error: unknown) => console.error('cleanup failed:', error));
  }
}

function log(message: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

function serverEnv(port: number, dataDir: string, databaseUrl?: string) {
  const inherited = Object.entries(process.env).filter(([key]) => !NOT_INHERITED.test(key));
  return {
    ...Object.fromEntries(inherited),
    NODE_ENV: 'development',
    HOST: '127.0.0.1',
    PORT: String(port),
    TAHOON_DATA_DIR: dataDir,
    // Logging every request to a pipe would be a large share of the measured cost.
    LOG_LEVEL: SERVER_LOG_LEVEL,
    TAHOON_TOKEN_TTL_SECONDS: '3600',
    // One credential sends all the load: the quota stays in the path but must not refuse it.
    TAHOON_RATE_LIMIT_PER_MINUTE: SERVER_RATE_LIMIT_PER_MINUTE,
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
  };
}

type Phase = 'warmup' | 'saturation' | 'fixedRate' | 'paced';

/**
 * Waits until other work leaves the machine alone (the benchmark is idle meanwhile, so what
 * keeps cores busy is someone else's), then runs. The wait is recorded with the run.
 */
async function whenQuiet(label: string, run: () => Promise<RunResult>): Promise<RunResult> {
  const quiet = await waitForQuietCores(RUN_QUIET_WAIT_MS, (busy) =>
    log(`${label}: waiting, other work keeps ${busy.toFixed(2)} cores busy`),
  );
  return { ...(await run()), quietWaitS: quiet.waitedS, busyCoresBefore: quiet.busyCores };
}

async function measure(
  label: string,
  url: string,
  requests: autocannon.Request[],
  extra: { headers?: Record<string, string>; serverPid?: number; cap?: (phase: Phase) => number },
): Promise<ScenarioResult> {
  const common = {
    url,
    requests,
    ...(extra.headers ? { headers: extra.headers } : {}),
    ...(extra.serverPid ? { serverPid: extra.serverPid } : {}),
  };
  const cap = (phase: Phase) => (extra.cap ? { maxRequests: extra.cap(phase) } : {});
  const warmup = await runLoad({ ...common, ...WARMUP, ...cap('warmup') });
  const saturation = await whenQuiet(label, () =>
    runLoad({ ...common, ...SATURATION, ...cap('saturation') }),
  );
  const fixedRate = await whenQuiet(label, () =>
    runLoad({ ...common, ...FIXED_RATE, ...cap('fixedRate') }),
  );
  const paced = await whenQuiet(label, () => runPaced({ ...common, ...PACED, ...cap('paced') }));
  return { warmup, saturation, fixedRate, paced };
}

async function benchBare(): Promise<ScenarioResult> {
  const port = await freePort();
  const child = startChild('bare route', ['--import', 'tsx', 'bench/bare-server.ts'], {
    ...process.env,
    PORT: String(port),
  });
  try {
    const url = `http://127.0.0.1:${port}`;
    await waitForOk(child, `${url}/bare`, 60_000);
    log('bare route: measuring');
    return await measure('bare route', url, [{ method: 'GET', path: '/bare' }], {
      serverPid: child.pid,
    });
  } finally {
    await child.stop();
  }
}

/** Hands each booking request its own free slot, so every request books, none collides. */
function bookingRequests(plan: BookingBody[]) {
  let next = 0;
  const requests: autocannon.Request[] = [
    {
      method: 'POST',
      path: '/v1/bookings',
      headers: { 'content-type': 'application/json' },
      setupRequest: (request) => {
        const body = plan[next++];
        return body ? { ...request, body: JSON.stringify(body) } : null;
      },
    },
  ];
  return { requests, cap: (phase: Phase) => bookingCap(plan.length - next, phase) };
}

/**
 * How many booking requests a run may send: the warm-up and the saturation run leave enough
 * slots for the fixed-rate run, and a margin for every connection's request in flight, so the
 * supply never runs dry mid-run (autocannon cannot carry on without a request to send).
 */
function bookingCap(remaining: number, phase: Phase): number {
  const fixedRateNeed = Math.ceil(FIXED_RATE.overallRate * FIXED_RATE.durationS * 1.2);
  const pacedNeed = Math.ceil(PACED.rate * (PACED.durationS + 2) * 1.2);
  const margin = 2 * Math.max(SATURATION.connections, PACED.rate);
  const later: Record<Phase, number> = {
    warmup: fixedRateNeed + pacedNeed,
    saturation: fixedRateNeed + pacedNeed,
    fixedRate: pacedNeed,
    paced: 0,
  };
  const reserve = margin + later[phase];
  const share = phase === 'warmup' ? Math.floor((remaining - reserve) / 4) : remaining - reserve;
  if (share < SATURATION.connections) {
    throw new Error(`only ${remaining} free slots left for the ${phase} booking run`);
  }
  return share;
}

async function prepare(api: ApiClient, result: DatabaseResult) {
  const providers = await listProviders(api);
  const forBooking = providers.filter(bookable);
  const patients = await registerPatients(api, forBooking, PATIENTS_PER_PROVIDER);
  const plan = await planBookings(api, forBooking, patients, Date.now());
  result.fixtures = {
    providers: providers.length,
    bookableProviders: forBooking.length,
    patients: [...patients.values()].reduce((n, list) => n + list.length, 0),
    freeSlots: plan.length,
  };
  return { providers, forBooking, plan };
}

async function runScenarios(
  server: Child,
  api: ApiClient,
  fixtures: { providers: Provider[]; forBooking: Provider[]; plan: BookingBody[] },
  result: DatabaseResult,
) {
  const headers = { authorization: `Bearer ${api.bearer}` };
  const extra = { headers, serverPid: server.pid };

  log(`${result.kind}: authenticated provider read`);
  const reads = fixtures.providers.map((p) => ({ method: 'GET', path: `/v1/providers/${p.id}` }));
  result.scenarios.read = await measure(`${result.kind} read`, api.base, reads, extra);

  log(`${result.kind}: 7-day slot search`);
  const { from, to } = weekWindow(Date.now());
  const searches = fixtures.forBooking.map((p) => ({
    method: 'GET',
    path: `/v1/providers/${p.id}/slots?from=${from}&to=${to}&duration=${shortestDuration(p)}`,
  }));
  result.scenarios.slots = await measure(`${result.kind} slots`, api.base, searches, extra);

  log(`${result.kind}: bookings (${fixtures.plan.length} free slots planned)`);
  const supply = bookingRequests(fixtures.plan);
  result.scenarios.booking = await measure(`${result.kind} bookings`, api.base, supply.requests, {
    ...extra,
    cap: supply.cap,
  });
  const booking = result.scenarios.booking;
  const created = (run: RunResult) => run.statusCodes['201'] ?? 0;
  const audit = await auditBookings(api);
  const runs = [booking.warmup, booking.saturation, booking.fixedRate, booking.paced];
  result.audit = { ...audit, created: runs.reduce((n, run) => n + created(run), 0) };
}

/** Starts the gateway and waits until /health/ready answers 200. */
async function startGateway(
  label: string,
  dataDir: string,
  databaseUrl: string | undefined,
  timeoutMs: number,
) {
  const port = await freePort();
  const server = startChild(label, SERVE_ARGS, serverEnv(port, dataDir, databaseUrl));
  const base = `http://127.0.0.1:${port}`;
  try {
    return { server, base, readyMs: await waitForOk(server, `${base}/health/ready`, timeoutMs) };
  } catch (error) {
    await server.stop();
    throw error;
  }
}

/**
 * The embedded default's restart: the same command on the data folder the first start left
 * behind, timed from spawn to the first 200 from /health/ready. The last restart stays up and
 * takes the load, as a gateway usually runs on an existing folder (the first start also ran
 * initdb, whose memory the process keeps; that figure is reported beside it).
 */
async function restartEmbedded(first: Child, dataDir: string, result: DatabaseResult) {
  await first.stop();
  result.restartMs = [];
  result.restartEntries = [];
  for (let i = 1; ; i++) {
    await waitForQuietCores(RUN_QUIET_WAIT_MS, (busy) =>
      log(`pglite restart: waiting, other work keeps ${busy.toFixed(2)} cores busy`),
    );
    result.restartEntries.push(entryInUse());
    const started = await startGateway(
      'gateway (pglite, restart)',
      dataDir,
      undefined,
      RESTART_TIMEOUT_MS,
    );
    result.restartMs.push(round(started.readyMs, 0));
    log(`pglite: restart ${i} ready in ${Math.round(started.readyMs)} ms`);
    if (i >= RESTARTS) {
      result.memoryAfterRestart = memoryOf(started.server.pid);
      return started;
    }
    await started.server.stop();
  }
}

async function benchDatabase(kind: DbKind): Promise<DatabaseResult> {
  const result: DatabaseResult = { kind, scenarios: {} };
  const dataDir = await mkdtemp(join(tmpdir(), `tahoon-bench-${kind}-`));
  cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
  let databaseUrl: string | undefined;
  if (kind === 'postgres') {
    const database = await createBenchDatabase();
    cleanups.push(() => database.drop());
    databaseUrl = database.url;
  }

  let server: Child | undefined;
  try {
    log(`${kind}: starting the gateway (first start on an empty database)`);
    result.firstStartEntry = entryInUse();
    const first = await startGateway(
      `gateway (${kind})`,
      dataDir,
      databaseUrl,
      FIRST_START_TIMEOUT_MS,
    );
    server = first.server;
    result.firstStartMs = round(first.readyMs, 0);
    result.memoryAtFirstStart = memoryOf(server.pid);
    log(`${kind}: first start ready in ${result.firstStartMs} ms`);
    let base = first.base;
    if (kind === 'pglite') ({ server, base } = await restartEmbedded(server, dataDir, result));

    const api = new ApiClient(base);
    await api.authenticate(dataDir);
    log(`${kind}: registering patients and planning slots`);
    const fixtures = await withTimeout('setup', SETUP_TIMEOUT_MS, prepare(api, result));
    await runScenarios(server, api, fixtures, result);
    result.memoryAfterLoad = memoryOf(server.pid);
  } catch (error) {
    result.error = error instanceof Error ? error.message : String(error);
    log(`${kind}: FAILED: ${result.error}`);
  } finally {
    const exited = server?.process.exitCode ?? server?.process.signalCode ?? null;
    if (server && exited !== null) {
      // The gateway died under load: what it wrote last is the explanation.
      result.error = `${result.error ?? 'the run'}; the server exited (${exited}):\n${server.stderr}\n${server.stdout}`;
      log(`${kind}: the server exited (${exited})`);
    }
    await server?.stop();
    result.serverLogLines = server?.stdout.lines ?? 0;
  }
  return result;
}

function settings(): Settings {
  return {
    saturation: SATURATION,
    fixedRate: FIXED_RATE,
    paced: PACED,
    warmupS: WARMUP.durationS,
    serverLogLevel: SERVER_LOG_LEVEL,
    serverRateLimitPerMinute: Number(SERVER_RATE_LIMIT_PER_MINUTE),
    serverCommand: 'node bin/tahoon.mjs serve --demo',
    versions: {
      node: process.version,
      autocannon: '9.0.0',
      ...apiDependencyVersions(['hono', '@hono/node-server', '@electric-sql/pglite', 'pg']),
    },
  };
}

function machine(): Report['machine'] {
  const cores = cpus();
  return {
    cpus: cores.length,
    cpuModel: cores[0]?.model.trim() ?? 'unknown',
    memoryGb: round(totalmem() / 1024 ** 3, 1),
    node: process.version,
    platform: `${platform()} ${release()}`,
    loadAvgAtStart: loadavg().map((n) => round(n)),
    note:
      `Server, database and load generator all share these ${cores.length} cores; ` +
      'other work on the machine (see load average) competes for them too.',
  };
}

async function main(): Promise<void> {
  const wait = await waitForQuietCores(QUIET_WAIT_MS, (busy) =>
    log(`waiting for a quiet machine: other work keeps ${busy.toFixed(2)} cores busy`),
  );
  hardLimit = setTimeout(
    () => abort(`past the ${HARD_LIMIT_MS / 60_000} min limit`, 1),
    HARD_LIMIT_MS,
  );
  const report: Omit<Report, 'targets'> = {
    generatedAt: new Date().toISOString(),
    machine: machine(),
    settings: settings(),
    databases: [],
  };
  report.machine.waitedForQuietS = wait.waitedS;
  report.machine.quietAtStart = wait.busyCores !== null && wait.busyCores < 0.3;
  log(
    `bench on ${report.machine.cpus} cores, load average ${report.machine.loadAvgAtStart.join(' ')}`,
  );

  try {
    log('building the gateway bundle, as pnpm demo does');
    report.settings.entry = await buildBundle();
  } catch (error) {
    report.settings.entry = entryInUse();
    report.settings.bundleError = error instanceof Error ? error.message : String(error);
    log(`bundle build FAILED: ${report.settings.bundleError}`);
  }

  try {
    report.bare = await benchBare();
  } catch (error) {
    report.bareError = error instanceof Error ? error.message : String(error);
    log(`bare route: FAILED: ${report.bareError}`);
  }
  for (const kind of ['pglite', 'postgres'] as const)
    report.databases.push(await benchDatabase(kind));
  report.machine.loadAvgAtEnd = loadavg().map((n) => round(n));

  const full: Report = { ...report, targets: evaluateTargets(report) };
  const files = await writeReport(full);
  process.stdout.write('\n' + renderMarkdown(full) + '\n');
  log(`written: ${files.join(', ')}`);
  const failed = Boolean(full.bareError) || full.databases.some((d) => d.error);
  if (failed) process.exitCode = 1;
}

function abort(reason: string, code: number): void {
  log(`stopping: ${reason}`);
  void cleanUp().finally(() => process.exit(code));
}

process.once('SIGINT', () => abort('interrupted', 130));
process.once('SIGTERM', () => abort('terminated', 143));
process.once('uncaughtException', (error) => abort(`unexpected error: ${error.stack ?? error}`, 1));
let hardLimit: NodeJS.Timeout | undefined;

try {
  await main();
} catch (error) {
  log(`FAILED: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exitCode = 1;
} finally {
  clearTimeout(hardLimit);
  await cleanUp();
}
