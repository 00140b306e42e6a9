import type { Entry } from './entry.js';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RunResult } from './load.js';
import { RESULTS_DIR, round } from './shared.js';

export type DbKind = 'pglite' | 'postgres';
export type ScenarioName = 'read' | 'slots' | 'booking';

export interface ScenarioResult {
  /** Discarded from the figures; kept for the booking audit (its bookings count too). */
  warmup: RunResult;
  saturation: RunResult;
  /** autocannon overallRate: each connection's share sent back to back as a second begins. */
  fixedRate: RunResult;
  /** The same rate spread evenly over the second. */
  paced: RunResult;
}

export interface Memory {
  rssMb: number;
  peakRssMb: number;
}

export interface DatabaseResult {
  kind: DbKind;
  error?: string;
  firstStartMs?: number;
  /** What bin/tahoon.mjs ran at each start: the prebuilt bundle, or the sources through tsx. */
  firstStartEntry?: Entry;
  restartEntries?: Entry[];
  /** Starts on an existing data folder (embedded database only). */
  restartMs?: number[];
  /** The first start's process (for the embedded database it also ran initdb) once ready. */
  memoryAtFirstStart?: Memory | null;
  /** The process that served the load; for the embedded database, started on an existing folder. */
  memoryAfterLoad?: Memory | null;
  memoryAfterRestart?: Memory | null;
  fixtures?: { providers: number; bookableProviders: number; patients: number; freeSlots: number };
  scenarios: Partial<Record<ScenarioName, ScenarioResult>>;
  audit?: { confirmed: number; overlaps: number; created: number };
  serverLogLines?: number;
}

export interface Machine {
  cpus: number;
  cpuModel: string;
  memoryGb: number;
  node: string;
  platform: string;
  loadAvgAtStart: number[];
  loadAvgAtEnd?: number[];
  /** Seconds spent waiting for the load average to drop below the core count first. */
  waitedForQuietS?: number;
  /** False when the machine was still busy with other work as the run began. */
  quietAtStart?: boolean;
  note: string;
}

export interface Settings {
  saturation: { connections: number; durationS: number };
  fixedRate: { connections: number; durationS: number; overallRate: number };
  paced: { rate: number; durationS: number };
  warmupS: number;
  serverLogLevel: string;
  /** The entry the gateway runs from after the bundle build; the build's error if it failed. */
  entry?: Entry;
  bundleError?: string;
  serverRateLimitPerMinute: number;
  serverCommand: string;
  versions: Record<string, string>;
}

export interface Target {
  name: string;
  measured: number | null;
  limit: string;
  unit: string;
  met: boolean;
  note?: string;
}

export interface Report {
  generatedAt: string;
  machine: Machine;
  settings: Settings;
  bare?: ScenarioResult;
  bareError?: string;
  databases: DatabaseResult[];
  targets: Target[];
}

const LABELS: Record<ScenarioName, string> = {
  read: 'GET /v1/providers/{id} (authenticated)',
  slots: 'GET /v1/providers/{id}/slots, 7 days',
  booking: 'POST /v1/bookings, each a distinct free slot',
};

const DB_LABELS: Record<DbKind, string> = { pglite: 'embedded (PGlite)', postgres: 'PostgreSQL' };

/** A run that had refusals or transport errors does not measure what it names. */
const clean = (run: RunResult) => run.non2xx === 0 && run.errors === 0;

function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)] as number;
}

/** The acceptance criterion's targets, each with what was measured and whether it holds. */
export function evaluateTargets(report: Omit<Report, 'targets'>): Target[] {
  const postgres = report.databases.find((d) => d.kind === 'postgres');
  const pglite = report.databases.find((d) => d.kind === 'pglite');
  const read = postgres?.scenarios.read;
  const booking = postgres?.scenarios.booking;
  const bareRate = report.bare?.saturation.reqPerSec;
  const ratio = read && bareRate ? round(read.saturation.reqPerSec / bareRate, 3) : null;
  const restart = median(pglite?.restartMs ?? []);
  const rss = pglite?.memoryAfterLoad?.rssMb ?? null;

  const notMeasured = 'not measured';
  const latency = (
    name: string,
    scenario: ScenarioResult | undefined,
    load: 'fixedRate' | 'paced',
    limitMs: number,
  ): Target => {
    const run = scenario?.[load];
    const how =
      load === 'fixedRate' ? 'overallRate 100, 10 connections' : 'paced, one request every 10 ms';
    return {
      name: `${name} at 100 req/s (${how})`,
      measured: run?.p99Ms ?? null,
      limit: `≤ ${limitMs}`,
      unit: 'ms',
      met: run !== undefined && run.p99Ms <= limitMs && clean(run),
      ...(run ? {} : { note: notMeasured }),
    };
  };
  return [
    {
      name: 'PostgreSQL: authenticated read throughput vs bare Hono route',
      measured: ratio,
      limit: '≥ 0.10',
      unit: '× bare',
      met: ratio !== null && ratio >= 0.1 && read !== undefined && clean(read.saturation),
      ...(ratio === null ? { note: notMeasured } : {}),
    },
    latency('PostgreSQL: authenticated read p99', read, 'fixedRate', 10),
    latency('PostgreSQL: authenticated read p99', read, 'paced', 10),
    latency('PostgreSQL: booking p99', booking, 'fixedRate', 25),
    latency('PostgreSQL: booking p99', booking, 'paced', 25),
    {
      name: 'Embedded: start to /health/ready 200 on an existing data folder (median)',
      measured: restart === null ? null : Math.round(restart),
      limit: '≤ 2000',
      unit: 'ms',
      met: restart !== null && restart <= 2000,
      ...(restart === null ? { note: notMeasured } : {}),
    },
    {
      name: 'Embedded: server resident memory after the load',
      measured: rss,
      limit: '≤ 400',
      unit: 'MB',
      met: rss !== null && rss <= 400,
      ...(rss === null ? { note: notMeasured } : {}),
    },
  ];
}

const cell = (value: number | null | undefined) =>
  value === null || value === undefined || Number.isNaN(value) ? '–' : String(value);

function runRow(scenario: string, db: string, load: string, run: RunResult, bareRate?: number) {
  const ratio = bareRate && run.targetRate === null ? round(run.reqPerSec / bareRate, 3) : null;
  return `| ${scenario} | ${db} | ${load} | ${run.connections} | ${run.reqPerSec} | ${cell(run.p50Ms)} | ${cell(run.p99Ms)} | ${cell(ratio)} | ${run.non2xx} | ${run.errors} | ${cell(run.serverCpuCores)} | ${run.loadGenCpuCores} | ${cell(run.otherCpuCores)} |`;
}

function scenarioRows(scenario: string, db: string, result: ScenarioResult, bareRate?: number) {
  return [
    runRow(scenario, db, 'saturation', result.saturation, bareRate),
    runRow(scenario, db, `${result.fixedRate.targetRate} req/s (overallRate)`, result.fixedRate),
    runRow(scenario, db, `${result.paced.targetRate} req/s (paced)`, result.paced),
  ];
}

function quietLine(machine: Machine): string {
  const waited = machine.waitedForQuietS ?? 0;
  if (machine.quietAtStart === false) {
    return `**Warning: other work still kept the machine busy after waiting ${waited} s; these figures understate the gateway.**`;
  }
  return `The run first waited ${waited} s for other processes to keep less than 0.3 of a core busy.`;
}

function entryLine(settings: Settings): string {
  const built = settings.bundleError
    ? `The bundle build failed (${settings.bundleError.split('\n')[0]}).`
    : 'The gateway bundle was built first, as `pnpm demo` does.';
  const running =
    settings.entry === 'bundle'
      ? 'bin/tahoon.mjs ran the bundle'
      : 'bin/tahoon.mjs ran the TypeScript sources through tsx';
  return `${built} ${running}; each start below names the entry it ran.`;
}

export function renderMarkdown(report: Report): string {
  const { machine, settings } = report;
  const bareRate = report.bare?.saturation.reqPerSec;
  const lines = [
    `# Tahoon benchmark, ${report.generatedAt}`,
    '',
    `Machine: ${machine.cpus} cores (${machine.cpuModel}), ${machine.memoryGb} GB RAM, Node ${machine.node}, ${machine.platform}.`,
    `**${machine.note}** Load average (1, 5, 15 min) at start ${machine.loadAvgAtStart.join(', ')}` +
      (machine.loadAvgAtEnd ? `, at end ${machine.loadAvgAtEnd.join(', ')}.` : '.'),
    quietLine(machine),
    `Server: \`${settings.serverCommand}\` with LOG_LEVEL=${settings.serverLogLevel} and ` +
      `TAHOON_RATE_LIMIT_PER_MINUTE=${settings.serverRateLimitPerMinute} (the quota is checked on every request, but never refuses the load). ` +
      `Saturation: ${settings.saturation.connections} connections for ${settings.saturation.durationS} s. ` +
      `Fixed rate: autocannon overallRate ${settings.fixedRate.overallRate} over ${settings.fixedRate.connections} connections for ${settings.fixedRate.durationS} s, ` +
      `and paced: ${settings.paced.rate} one-connection instances at 1 req/s each, started ${1000 / settings.paced.rate} ms apart, for ${settings.paced.durationS} s. ` +
      `Each scenario is warmed up for ${settings.warmupS} s first.`,
    entryLine(settings),
    `Versions: ${Object.entries(settings.versions)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}.`,
    '',
    '## Throughput and latency',
    '',
    "req/s counts 2xx answers only; × bare compares saturation throughput with the bare route. CPU columns are in cores: the server process, the load generator, and everything else on the machine during the run (PostgreSQL's own processes, and any other work). Before each run the benchmark waited for other work to leave the machine quiet.",
    '',
    '| Scenario | Database | Load | Conns | req/s | p50 ms | p99 ms | × bare | non-2xx | errors | server CPU | load-gen CPU | other CPU |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  if (report.bare) lines.push(...scenarioRows('GET /bare (Hono only)', '–', report.bare, bareRate));
  for (const db of report.databases) {
    for (const name of ['read', 'slots', 'booking'] as const) {
      const result = db.scenarios[name];
      if (result) lines.push(...scenarioRows(LABELS[name], DB_LABELS[db.kind], result, bareRate));
    }
  }

  lines.push('', '## Start-up and memory', '', '| Database | Figure | Value |', '|---|---|---|');
  for (const db of report.databases) {
    const label = DB_LABELS[db.kind];
    if (db.firstStartMs !== undefined) {
      lines.push(
        `| ${label} | first start, empty database, to /health/ready 200 (${db.firstStartEntry ?? '?'}) | ${Math.round(db.firstStartMs)} ms |`,
      );
    }
    if (db.restartMs?.length) {
      lines.push(
        `| ${label} | starts on the existing data folder (${(db.restartEntries ?? []).join(', ') || '?'}) | ${db.restartMs.map((ms) => Math.round(ms)).join(' ms, ')} ms |`,
      );
    }
    if (db.memoryAtFirstStart) {
      const { rssMb, peakRssMb } = db.memoryAtFirstStart;
      lines.push(
        `| ${label} | first start's RSS once ready (peak) | ${rssMb} MB (${peakRssMb} MB) |`,
      );
    }
    if (db.memoryAfterRestart) {
      lines.push(
        `| ${label} | RSS once ready, started on the existing folder | ${db.memoryAfterRestart.rssMb} MB |`,
      );
    }
    if (db.memoryAfterLoad) {
      const { rssMb, peakRssMb } = db.memoryAfterLoad;
      lines.push(
        `| ${label} | RSS of the server that took the load, after it (peak) | ${rssMb} MB (${peakRssMb} MB) |`,
      );
    }
  }

  lines.push('', '## Targets', '', '| Target | Measured | Limit | Result |', '|---|---|---|---|');
  for (const t of report.targets) {
    const result = t.note ?? (t.met ? 'met' : 'not met');
    lines.push(`| ${t.name} | ${cell(t.measured)} ${t.unit} | ${t.limit} ${t.unit} | ${result} |`);
  }

  lines.push('', '## Checks', '');
  for (const db of report.databases) {
    const label = DB_LABELS[db.kind];
    if (db.error) lines.push(`- ${label}: FAILED: ${db.error}`);
    if (db.fixtures) {
      lines.push(
        `- ${label}: ${db.fixtures.patients} patients registered for ${db.fixtures.bookableProviders} bookable providers; ${db.fixtures.freeSlots} non-colliding free slots planned.`,
      );
    }
    if (db.audit) {
      lines.push(
        `- ${label}: ${db.audit.created} bookings answered 201 (warm-up included); ${db.audit.confirmed} confirmed bookings read back; ${db.audit.overlaps} overlapping pairs.`,
      );
    }
    if (db.serverLogLines !== undefined) {
      lines.push(`- ${label}: the server wrote ${db.serverLogLines} log lines at warn or above.`);
    }
  }
  if (report.bareError) lines.push(`- bare route: FAILED: ${report.bareError}`);
  return lines.join('\n') + '\n';
}

/** latest.json / latest.md, plus a copy named after the run's time. */
export async function writeReport(report: Report): Promise<string[]> {
  await mkdir(RESULTS_DIR, { recursive: true });
  const stamp = report.generatedAt.replace(/[:]/g, '-').replace(/\.\d+Z$/, 'Z');
  const json = JSON.stringify(report, null, 2) + '\n';
  const markdown = renderMarkdown(report);
  const files = [
    [join(RESULTS_DIR, 'latest.json'), json],
    [join(RESULTS_DIR, 'latest.md'), markdown],
    [join(RESULTS_DIR, `${stamp}.json`), json],
    [join(RESULTS_DIR, `${stamp}.md`), markdown],
  ] as const;
  for (const [path, text] of files) await writeFile(path, text);
  return files.map(([path]) => path);
}
