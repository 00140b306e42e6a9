import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startChild } from './processes.js';
import { withTimeout } from './shared.js';

const API_DIR = fileURLToPath(new URL('../packages/api/', import.meta.url));
const BUNDLE = join(API_DIR, 'dist/tahoon.mjs');
const SOURCES = ['packages/api/src', 'packages/core/src', 'packages/api/drizzle'].map((folder) =>
  fileURLToPath(new URL(`../${folder}`, import.meta.url)),
);

export type Entry = 'bundle' | 'tsx';

function newestChange(folder: string): number {
  let newest = 0;
  for (const entry of readdirSync(folder, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) {
      newest = Math.max(newest, statSync(join(entry.parentPath, entry.name)).mtimeMs);
    }
  }
  return newest;
}

/**
 * What `node bin/tahoon.mjs` runs right now, by the same rule the entry uses: the bundle when
 * it is newer than every source, the TypeScript sources through tsx otherwise.
 */
export function entryInUse(): Entry {
  try {
    const built = statSync(BUNDLE).mtimeMs;
    return SOURCES.every((folder) => newestChange(folder) <= built) ? 'bundle' : 'tsx';
  } catch {
    return 'tsx';
  }
}

/**
 * Builds the bundle as `pnpm demo` does before it starts the gateway (the package's build
 * script), so the starts measured are an operator's. Answers the entry the gateway will run.
 */
export async function buildBundle(): Promise<Entry> {
  const build = startChild('bundle build', [join(API_DIR, 'scripts/bundle.mjs')], process.env, {
    cwd: API_DIR,
  });
  const code = await withTimeout('the bundle build', 180_000, build.exited);
  if (code !== 0) throw new Error(`the bundle build exited with ${code}:\n${build.stderr}`);
  return entryInUse();
}
