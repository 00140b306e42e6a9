import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { tsImport } from 'tsx/esm/api';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const BIN = fileURLToPath(new URL('../bin/tahoon.mjs', import.meta.url));
export const RESULTS_DIR = fileURLToPath(new URL('./results/', import.meta.url));
export const DEMO_ROSTER = fileURLToPath(
  new URL('../packages/api/src/seed/demo-providers.json', import.meta.url),
);

/** The gateway's package: the bare baseline and the database helper load its own copies. */
const API_PACKAGE = new URL('../packages/api/package.json', import.meta.url);

/**
 * Imports a dependency exactly as the gateway resolves it (its pinned version, its ESM build),
 * so the baseline measures the same Hono and node-server code the gateway runs on.
 */
export async function importFromApi<T>(specifier: string): Promise<T> {
  return (await tsImport(specifier, API_PACKAGE.href)) as T;
}

/** The versions the gateway pins, as written in its package.json. */
export function apiDependencyVersions(names: string[]): Record<string, string> {
  const pkg = JSON.parse(readFileSync(API_PACKAGE, 'utf8')) as {
    dependencies: Record<string, string>;
  };
  return Object.fromEntries(names.map((name) => [name, pkg.dependencies[name] ?? 'unknown']));
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Rejects with a named error when a step runs past its time, so nothing can hang the run. */
export async function withTimeout<T>(label: string, ms: number, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${label} took longer than ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** A port nobody listens on right now; the child binds it a moment later. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Runs `work` over `items` with at most `limit` in flight, keeping the input order. */
export async function mapPool<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index] as T, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** Nearest-rank percentile of an ascending list; NaN when the list is empty. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1] as number;
}

export const round = (value: number, digits = 2) => {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
};
