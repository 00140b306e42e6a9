import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { webIds } from '../src/crypto.js';
import { outbox } from '../src/db/schema.js';
import { openPostgres, type Database } from '../src/node/database.js';
import { freshPostgres, testPhi, TEST_NOW } from './harness.js';
import { tahoon } from './cli-runner.js';

describe('tahoon outbox, against PostgreSQL', () => {
  let dir: string;
  let env: Record<string, string>;
  let database: Database;
  let drop: () => Promise<void>;
  const deadId = webIds.next('obx');

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tahoon-outbox-cli-'));
    const fresh = await freshPostgres();
    drop = fresh.drop;
    database = openPostgres(fresh.url, await testPhi(), 2);
    await database.migrate();
    await database.db.insert(outbox).values({
      id: deadId,
      topic: 'video.room.remove',
      organizationId: null,
      payload: { bookingId: 'bkg_aaaaaaaaaaaaaaaa', roomId: 'abcd-efgh-ijkl' },
      state: 'dead',
      attempts: 20,
      availableAt: new Date(TEST_NOW),
      lastError: 'PermanentDeliveryError: The video service refused room deactivation',
      createdAt: new Date(TEST_NOW),
      updatedAt: new Date(TEST_NOW),
    });
    env = { TAHOON_DATA_DIR: dir, DATABASE_URL: fresh.url };
  });
  afterAll(async () => {
    await database?.close();
    await drop?.();
    await rm(dir, { recursive: true, force: true });
  });

  it('lists dead messages and replays one', async () => {
    const listed = await tahoon(['outbox', 'list', '--state', 'dead', '--json'], env);
    expect(listed.code).toBe(0);
    const { data } = JSON.parse(listed.stdout) as { data: { id: string; attempts: number }[] };
    expect(data).toEqual([expect.objectContaining({ id: deadId, attempts: 20, state: 'dead' })]);

    const replayed = await tahoon(['outbox', 'replay', deadId, '--json'], env);
    expect(replayed.code).toBe(0);
    expect(JSON.parse(replayed.stdout)).toMatchObject({
      id: deadId,
      state: 'pending',
      attempts: 0,
    });
    const [row] = await database.db.select().from(outbox).where(eq(outbox.id, deadId));
    expect(row).toMatchObject({ state: 'pending', attempts: 0 });

    const again = await tahoon(['outbox', 'replay', deadId], env);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('is pending, not dead');
  });

  it('exits 2 for a bad state, a bad id or an unknown message', async () => {
    expect((await tahoon(['outbox', 'list', '--state', 'lost'], env)).code).toBe(2);
    expect((await tahoon(['outbox', 'replay', 'not-an-id'], env)).code).toBe(2);
    const unknown = await tahoon(['outbox', 'replay', 'obx_aaaaaaaaaaaaaaaa'], env);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('No message');
  });
});
