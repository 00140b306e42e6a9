import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';
import { busyCoresDuring } from './machine.js';
import { cpuSecondsOf } from './processes.js';
import { percentile, round, sleep } from './shared.js';

export interface LoadOptions {
  /** Base URL of the server under load. */
  url: string;
  requests: autocannon.Request[];
  headers?: Record<string, string>;
  connections: number;
  durationS: number;
  /** Requests per second over all connections; none means as fast as the server answers. */
  overallRate?: number;
  /** A cap on requests sent, for scenarios that consume a finite supply (free slots). */
  maxRequests?: number;
  /** The server's pid, to report how much CPU it used during the run. */
  serverPid?: number;
}

export interface RunResult {
  connections: number;
  targetRate: number | null;
  durationS: number;
  responses: number;
  /** Successful (2xx) answers per second: the throughput figure. */
  reqPerSec: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  meanMs: number;
  maxMs: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  statusCodes: Record<string, number>;
  /** The machine's 1-minute load average as the run began. */
  loadAvg1: number;
  /**
   * Cores busy on the whole machine during the run beyond the server process and the load
   * generator: PostgreSQL's own processes, and any other work competing for the cores.
   */
  otherCpuCores: number | null;
  /** Seconds waited before the run for the machine to be quiet, and what it was busy with. */
  quietWaitS?: number;
  busyCoresBefore?: number | null;
  /** Average cores the server process used (PostgreSQL's own processes are not included). */
  serverCpuCores: number | null;
  /** Average cores the load generator (this process) used. */
  loadGenCpuCores: number;
}

function runAutocannon(options: autocannon.Options, latencies: number[]) {
  return new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(options, (error, result) => {
      clearTimeout(guard);
      if (error) reject(error);
      else resolve(result);
    });
    // autocannon's own latency histogram keeps whole milliseconds; these are exact.
    instance.on('response', (_client: unknown, _status: number, _bytes: number, ms: number) => {
      latencies.push(ms);
    });
    const guard = setTimeout(() => instance.stop(), ((options.duration ?? 10) + 30) * 1_000);
  });
}

/** What one run adds up from its autocannon instances. */
interface Tally {
  ok2xx: number;
  responses: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  statusCodes: Record<string, number>;
}

function addUp(results: autocannon.Result[]): Tally {
  const tally: Tally = {
    ok2xx: 0,
    responses: 0,
    non2xx: 0,
    errors: 0,
    timeouts: 0,
    statusCodes: {},
  };
  for (const result of results) {
    tally.ok2xx += result['2xx'];
    tally.responses += result.requests.total;
    tally.non2xx += result.non2xx;
    tally.errors += result.errors;
    tally.timeouts += result.timeouts;
    for (const [code, stat] of Object.entries(result.statusCodeStats)) {
      tally.statusCodes[code] = (tally.statusCodes[code] ?? 0) + stat.count;
    }
  }
  return tally;
}

/**
 * Runs autocannon instances, each started `staggerMs` after the previous one, and measures the
 * whole: wall time, exact latencies, and the CPU the server and this process used meanwhile.
 */
async function measureRun(
  instances: autocannon.Options[],
  staggerMs: number,
  shape: { connections: number; targetRate: number | null; serverPid?: number | undefined },
): Promise<RunResult> {
  const latencies: number[] = [];
  const loadAvg1 = loadavg()[0] ?? 0;
  const serverCpuBefore = shape.serverPid ? cpuSecondsOf(shape.serverPid) : null;
  const selfCpuBefore = process.cpuUsage();
  const started = performance.now();

  const { value: results, busyCores } = await busyCoresDuring(() =>
    Promise.all(
      instances.map(async (options, i) => {
        if (i > 0) await sleep(i * staggerMs);
        return runAutocannon(options, latencies);
      }),
    ),
  );

  const durationS = (performance.now() - started) / 1_000;
  const serverCpuAfter = shape.serverPid ? cpuSecondsOf(shape.serverPid) : null;
  const selfCpu = process.cpuUsage(selfCpuBefore);
  const tally = addUp(results);
  const sorted = latencies.sort((a, b) => a - b);
  const mean = sorted.reduce((sum, ms) => sum + ms, 0) / Math.max(1, sorted.length);
  const serverCpuCores =
    serverCpuBefore !== null && serverCpuAfter !== null
      ? (serverCpuAfter - serverCpuBefore) / durationS
      : null;
  const loadGenCpuCores = (selfCpu.user + selfCpu.system) / 1e6 / durationS;
  return {
    connections: shape.connections,
    targetRate: shape.targetRate,
    durationS: round(durationS),
    responses: tally.responses,
    reqPerSec: round(tally.ok2xx / durationS, 1),
    p50Ms: round(percentile(sorted, 50)),
    p90Ms: round(percentile(sorted, 90)),
    p99Ms: round(percentile(sorted, 99)),
    meanMs: round(mean),
    maxMs: round(sorted.at(-1) ?? Number.NaN),
    non2xx: tally.non2xx,
    errors: tally.errors,
    timeouts: tally.timeouts,
    statusCodes: tally.statusCodes,
    loadAvg1: round(loadAvg1),
    otherCpuCores:
      busyCores === null || serverCpuCores === null
        ? null
        : round(Math.max(0, busyCores - serverCpuCores - loadGenCpuCores)),
    serverCpuCores: serverCpuCores === null ? null : round(serverCpuCores),
    loadGenCpuCores: round(loadGenCpuCores),
  };
}

function baseOptions(options: LoadOptions): autocannon.Options {
  return {
    url: options.url,
    duration: options.durationS,
    requests: options.requests,
    ...(options.headers ? { headers: options.headers } : {}),
    timeout: 10,
  };
}

/**
 * One autocannon run: as fast as the server answers, or at autocannon's `overallRate`. A fixed
 * rate does not correct for coordinated omission: autocannon 9 assumes a 1 ms interval between
 * requests whatever the rate, and would record a made-up sample for every millisecond below
 * each real one (see bench/README.md).
 */
export function runLoad(options: LoadOptions): Promise<RunResult> {
  const instance: autocannon.Options = {
    ...baseOptions(options),
    connections: options.connections,
    ...(options.overallRate
      ? { overallRate: options.overallRate, ignoreCoordinatedOmission: true }
      : {}),
    ...(options.maxRequests ? { maxOverallRequests: options.maxRequests } : {}),
  };
  return measureRun([instance], 0, {
    connections: options.connections,
    targetRate: options.overallRate ?? null,
    serverPid: options.serverPid,
  });
}

/**
 * A fixed rate with the requests spread evenly over each second. autocannon's `overallRate`
 * lets every connection send its share back to back as each second begins, so 100 req/s over
 * 10 connections arrives as bursts of 10. Here each of `rate` instances has one connection and
 * sends one request a second, and the instances start 1000/rate ms apart: a request every
 * 10 ms at 100 req/s. Each instance starts at another point of the request list.
 */
export function runPaced(
  options: Omit<LoadOptions, 'connections'> & { rate: number },
): Promise<RunResult> {
  const perStream = options.maxRequests
    ? Math.max(1, Math.floor(options.maxRequests / options.rate))
    : undefined;
  const instances = Array.from({ length: options.rate }, (_, i) => {
    const shift = i % options.requests.length;
    const requests = [...options.requests.slice(shift), ...options.requests.slice(0, shift)];
    return {
      ...baseOptions({ ...options, requests, connections: 1 }),
      connections: 1,
      overallRate: 1,
      ignoreCoordinatedOmission: true,
      ...(perStream ? { maxOverallRequests: perStream } : {}),
    };
  });
  return measureRun(instances, 1_000 / options.rate, {
    connections: options.rate,
    targetRate: options.rate,
    serverPid: options.serverPid,
  });
}
