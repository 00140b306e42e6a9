// Bundles the Node entry (server and CLI) into one file, so `tahoon serve` starts without
// compiling TypeScript or resolving hundreds of modules. bin/tahoon.mjs uses the bundle when it
// is newer than every source, and the sources otherwise.
import { build } from 'esbuild';

await build({
  entryPoints: ['src/node/cli.ts'],
  outfile: 'dist/tahoon.mjs',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  sourcemap: true,
  logLevel: 'warning',
  // PGlite loads its WebAssembly from its own folder; pg's native binding is optional.
  external: ['@electric-sql/pglite', 'pg-native'],
  banner: {
    js: "import { createRequire as __tahoonRequire } from 'node:module'; const require = __tahoonRequire(import.meta.url);",
  },
});
