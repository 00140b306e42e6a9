#!/usr/bin/env node
// The operator's command line. It runs the bundle that `pnpm build` makes when that bundle is
// newer than every source it was made from (a quick start), and the TypeScript sources through
// tsx otherwise, so an edited checkout never runs stale code.
import { readdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = (relative) => fileURLToPath(new URL(`../${relative}`, import.meta.url));
const bundle = root('packages/api/dist/tahoon.mjs');
const sources = ['packages/api/src', 'packages/core/src', 'packages/api/drizzle'].map(root);

function newestChange(folder) {
  let newest = 0;
  for (const entry of readdirSync(folder, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) {
      newest = Math.max(newest, statSync(`${entry.parentPath}/${entry.name}`).mtimeMs);
    }
  }
  return newest;
}

function bundleIsFresh() {
  try {
    const built = statSync(bundle).mtimeMs;
    return sources.every((folder) => newestChange(folder) <= built);
  } catch {
    return false;
  }
}

let cli;
if (bundleIsFresh()) {
  cli = await import(bundle);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  cli = await import('../packages/api/src/node/cli.ts');
}
await cli.main(process.argv.slice(2));
