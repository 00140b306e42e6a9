/**
 * The SDK as a partner receives it: built, packed into a tarball and installed into an empty
 * project outside the workspace. Shared by the packaging test and the end-to-end journey.
 */
import { execFile } from 'node:child_process';
import { mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const SDK_DIR = fileURLToPath(new URL('..', import.meta.url));

/** Runs a command, with its output in the error when it fails. */
export async function sh(
  file: string,
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv = cleanEnv(),
): Promise<string> {
  try {
    const { stdout } = await run(file, args, { cwd, env, maxBuffer: 16 << 20 });
    return stdout;
  } catch (error) {
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
    throw new Error(`${file} ${args.join(' ')} failed in ${cwd}\n${stdout}\n${stderr}`, {
      cause: error,
    });
  }
}

/**
 * The environment without the lifecycle variables a `pnpm run` sets, which would otherwise make
 * the consumer's `npm install` behave as if it were part of this workspace.
 */
export function cleanEnv(): NodeJS.ProcessEnv {
  const keep = new Set(['npm_config_registry', 'npm_config_cache', 'npm_config_userconfig']);
  return Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !key.startsWith('npm_') || keep.has(key)),
  );
}

/** pnpm as this test was started by it, or the one on PATH. */
function pnpm(args: string[]): [string, string[]] {
  const execPath = process.env.npm_execpath ?? '';
  if (/pnpm/.test(basename(execPath)) && /\.[cm]?js$/.test(execPath)) {
    return [process.execPath, [execPath, ...args]];
  }
  return ['pnpm', args];
}

function tscBin(): string {
  return fileURLToPath(import.meta.resolve('typescript/bin/tsc'));
}

/**
 * Builds the SDK and packs it into `destination`, returning the tarball's path. Every test file
 * that packs rebuilds the same `dist`, so test files running side by side take turns: one must
 * not pack a `dist` the other is halfway through writing.
 */
export async function buildAndPack(destination: string): Promise<string> {
  await withPackLock(async () => {
    await sh(process.execPath, [tscBin(), '-p', 'tsconfig.build.json'], SDK_DIR);
    const [file, args] = pnpm(['pack', '--pack-destination', destination]);
    await sh(file, args, SDK_DIR);
  });
  const packed = (await readdir(destination)).find((name) => name.endsWith('.tgz'));
  if (!packed) throw new Error(`pnpm pack left no tarball in ${destination}`);
  return join(destination, packed);
}

/** An empty ESM project in `dir` (created) with `packages` installed by npm. */
export async function installConsumer(dir: string, packages: string[]): Promise<void> {
  await mkdir(dir, { recursive: true });
  const manifest = { name: 'sdk-consumer', private: true, type: 'module' };
  await writeFile(join(dir, 'package.json'), JSON.stringify(manifest));
  await sh('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', ...packages], dir);
}

const LOCK_DIR = join(tmpdir(), 'tahoon-sdk-pack.lock');
/** A lock older than this was left by a killed run; a build and pack takes far less. */
const STALE_LOCK_MS = 10 * 60_000;
const LOCK_POLL_MS = 250;

/** Runs `work` while holding a lock shared by every process on this machine. */
async function withPackLock<T>(work: () => Promise<T>): Promise<T> {
  await acquireLock();
  try {
    return await work();
  } finally {
    await rm(LOCK_DIR, { recursive: true, force: true });
  }
}

// Creating a directory is atomic: exactly one process succeeds while it exists.
async function acquireLock(): Promise<void> {
  for (;;) {
    try {
      await mkdir(LOCK_DIR);
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const since = await stat(LOCK_DIR).then(
      (s) => Date.now() - s.mtimeMs,
      () => 0,
    );
    if (since > STALE_LOCK_MS) await rm(LOCK_DIR, { recursive: true, force: true });
    else await new Promise((resolve) => setTimeout(resolve, LOCK_POLL_MS));
  }
}
