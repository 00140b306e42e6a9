import { mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { openPglite } from '../src/node/database.js';
import { testPhi } from './harness.js';

/**
 * Creating a PGlite database runs initdb (seconds, hundreds of MB), so it happens once per run:
 * a migrated template is dumped here and every test file loads its own copy from it.
 */
export default async function setup() {
  const dir = join(tmpdir(), `tahoon-test-${process.pid}`);
  await mkdir(dir, { recursive: true });
  const client = await PGlite.create();
  const database = await openPglite({ client, phi: await testPhi() });
  await database.migrate();
  const dump = await client.dumpDataDir('none');
  const path = join(dir, 'template.tar');
  await writeFile(path, Buffer.from(await dump.arrayBuffer()));
  await client.close();
  process.env.TAHOON_TEST_PGLITE_TEMPLATE = path;
}
