/**
 * Writes docs/providers-import.schema.json, the JSON Schema partners validate import files
 * against, from the zod schema the import itself runs. With `--check` it writes nothing and exits
 * 1 when the committed file is out of date.
 *
 *   npx tsx scripts/generate-import-schema.ts [--check]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as prettier from 'prettier';
import { providerImportJsonSchema } from '../packages/api/src/seed/provider-import.js';

const OUTPUT = fileURLToPath(new URL('../docs/providers-import.schema.json', import.meta.url));

async function render(): Promise<string> {
  // Formatted as `pnpm format` would, so the formatter and this script never undo each other.
  const options = { ...(await prettier.resolveConfig(OUTPUT)), parser: 'json' };
  return prettier.format(JSON.stringify(providerImportJsonSchema()), options);
}

async function main(): Promise<void> {
  const fresh = await render();

  if (process.argv.includes('--check')) {
    const committed = readFileSync(OUTPUT, 'utf8');
    if (committed === fresh) return;
    console.error(`${OUTPUT} is out of date; run npx tsx scripts/generate-import-schema.ts`);
    process.exit(1);
  }

  writeFileSync(OUTPUT, fresh);
  console.log(`wrote ${OUTPUT}`);
}

await main();
