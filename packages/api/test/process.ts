/**
 * The gateway as operators run it: `bin/tahoon.mjs serve` in its own process, so tests can
 * send it real signals (SIGTERM, SIGKILL) and talk to it over real HTTP.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

const REPO_DIR = fileURLToPath(new URL('../../..', import.meta.url));
const BIN = join(REPO_DIR, 'bin/tahoon.mjs');

/** A cold start may compile the sources first; on a loaded two-core machine that is slow. */
const READY_TIMEOUT_MS = 120_000;
const STOP_TIMEOUT_MS = 30_000;

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface GatewayProcess {
  child: ChildProcess;
  baseUrl: string;
  dataDir: string;
  exited: Promise<Exit>;
  output(): string;
  /** Sends `signal` and waits a bounded time for the exit; undefined means it did not exit. */
  stop(signal: NodeJS.Signals): Promise<Exit | undefined>;
  /** The demo organization's client credentials, as `serve --demo` wrote them. */
  demoCredentials(): Promise<{ organizationId: string; clientId: string; clientSecret: string }>;
}

/** A port nobody listens on now. */
export function freePort(): Promise<number> {
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

/** This machine's gateway settings would change the test, so only the given ones apply. */
function gatewayEnv(settings: Record<string, string>): NodeJS.ProcessEnv {
  const inherited = Object.entries(process.env).filter(
    ([key]) => !/^(TAHOON_|VIDEOSDK_|DATABASE_|FCM_|VITEST)/.test(key) && key !== 'NODE_ENV',
  );
  return { ...Object.fromEntries(inherited), LOG_LEVEL: 'warn', HOST: '127.0.0.1', ...settings };
}

async function ready(baseUrl: string): Promise<boolean> {
  try {
    const response = await fetch(`${baseUrl}/health/ready`);
    await response.body?.cancel();
    return response.status === 200;
  } catch {
    return false;
  }
}

/**
 * Starts `tahoon serve --demo` with `settings` (e.g. a DATABASE_URL) and a fresh data folder
 * unless one is given, and waits until it is ready.
 */
export async function startGatewayProcess(
  settings: Record<string, string> = {},
  options: { dataDir?: string } = {},
): Promise<GatewayProcess> {
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'tahoon-proc-')));
  const port = await freePort();
  const child = spawn(process.execPath, [BIN, 'serve', '--demo'], {
    cwd: REPO_DIR,
    env: gatewayEnv({ TAHOON_DATA_DIR: dataDir, PORT: String(port), ...settings }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<Exit>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const gateway: GatewayProcess = {
    child,
    baseUrl: `http://127.0.0.1:${port}`,
    dataDir,
    exited,
    output: () => output,
    async stop(signal) {
      if (child.exitCode !== null || child.signalCode !== null) return exited;
      child.kill(signal);
      return Promise.race([exited, delay(STOP_TIMEOUT_MS, undefined, { ref: false })]);
    },
    async demoCredentials() {
      return JSON.parse(await readFile(join(dataDir, 'demo-credentials.json'), 'utf8'));
    },
  };

  let exit: Exit | undefined;
  void exited.then((e) => (exit = e));
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (exit) {
      throw new Error(
        `tahoon serve exited (${JSON.stringify(exit)}) before it was ready:\n${output}`,
      );
    }
    if (await ready(gateway.baseUrl)) return gateway;
    await delay(250);
  }
  child.kill('SIGKILL');
  throw new Error(`tahoon serve was not ready after ${READY_TIMEOUT_MS} ms:\n${output}`);
}

/** Removes a data folder made by {@link startGatewayProcess}. */
export const removeDataDir = (dir: string) => rm(dir, { recursive: true, force: true });

/** An access token for the gateway's demo organization. */
export async function demoToken(gateway: GatewayProcess): Promise<string> {
  const { clientId, clientSecret } = await gateway.demoCredentials();
  const response = await fetch(`${gateway.baseUrl}/v1/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: clientId,
      client_secret: clientSecret,
    }),
  });
  const body = (await response.json()) as { access_token?: string };
  if (!body.access_token) throw new Error(`no token: ${JSON.stringify(body)}`);
  return body.access_token;
}
