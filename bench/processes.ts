import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { ROOT, sleep } from './shared.js';

/** Keeps the end of a child's output for diagnostics; the pipe is always drained. */
class OutputTail {
  private text = '';
  lines = 0;

  constructor(private readonly limit = 16_384) {}

  push(chunk: Buffer): void {
    const piece = chunk.toString('utf8');
    this.lines += piece.split('\n').length - 1;
    this.text = (this.text + piece).slice(-this.limit);
  }

  toString(): string {
    return this.text;
  }
}

export interface Child {
  name: string;
  process: ChildProcess;
  pid: number;
  /** performance.now() just before the process was spawned. */
  spawnedAt: number;
  stdout: OutputTail;
  stderr: OutputTail;
  exited: Promise<number | null>;
  stop(): Promise<void>;
}

/** Every child still running, so a failure or Ctrl-C can stop them all. */
const running = new Set<Child>();

export function startChild(
  name: string,
  args: string[],
  env: Record<string, string | undefined>,
  options: { cwd?: string } = {},
): Child {
  const spawnedAt = performance.now();
  const child = spawn(process.execPath, args, {
    cwd: options.cwd ?? ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (child.pid === undefined) throw new Error(`${name} could not be started`);
  const stdout = new OutputTail();
  const stderr = new OutputTail();
  child.stdout?.on('data', (chunk: Buffer) => stdout.push(chunk));
  child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk));
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => resolve(code));
  });

  const handle: Child = {
    name,
    process: child,
    pid: child.pid,
    spawnedAt,
    stdout,
    stderr,
    exited,
    stop: () => stopChild(handle),
  };
  running.add(handle);
  void exited.then(() => running.delete(handle));
  return handle;
}

/** SIGTERM lets the gateway close its database cleanly; SIGKILL after 15 s if it does not. */
async function stopChild(child: Child): Promise<void> {
  if (child.process.exitCode !== null || child.process.signalCode !== null) return;
  child.process.kill('SIGTERM');
  const gone = await Promise.race([child.exited.then(() => true), sleep(15_000).then(() => false)]);
  if (!gone) {
    child.process.kill('SIGKILL');
    await child.exited;
  }
}

export async function stopAllChildren(): Promise<void> {
  await Promise.all([...running].map((child) => child.stop()));
}

/**
 * Polls a URL until it answers 200 and returns the milliseconds since the child was spawned.
 * Fails at once if the child exits, with the end of its output.
 */
export async function waitForOk(child: Child, url: string, timeoutMs: number): Promise<number> {
  const deadline = child.spawnedAt + timeoutMs;
  while (performance.now() < deadline) {
    if (child.process.exitCode !== null) {
      throw new Error(`${child.name} exited with ${child.process.exitCode}:\n${child.stderr}`);
    }
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(1_000) });
      await response.arrayBuffer();
      if (response.status === 200) return performance.now() - child.spawnedAt;
    } catch {
      // Not listening yet.
    }
    await sleep(10);
  }
  throw new Error(
    `${child.name} did not answer 200 on ${url} within ${timeoutMs} ms:\n${child.stderr}`,
  );
}

/** Resident and peak resident memory in MB, from /proc (Linux only). */
export function memoryOf(pid: number): { rssMb: number; peakRssMb: number } | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string) =>
      Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1]);
    return { rssMb: Math.round(kb('VmRSS') / 1024), peakRssMb: Math.round(kb('VmHWM') / 1024) };
  } catch {
    return null;
  }
}

/** CPU seconds a process has used so far (user + system), from /proc. */
export function cpuSecondsOf(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which may itself contain spaces, start after ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return ticks / 100;
  } catch {
    return null;
  }
}
