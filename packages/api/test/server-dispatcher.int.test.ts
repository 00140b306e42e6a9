import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { webIds } from '../src/crypto.js';
import { outbox } from '../src/db/schema.js';
import { createRuntime, type Runtime } from '../src/node/runtime.js';
import { startServer } from '../src/node/server.js';
import { captureLogs, freshPostgres } from './harness.js';

describe('the server runs the outbox dispatcher', () => {
  let dir: string;
  let drop: () => Promise<void>;
  let url: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tahoon-server-'));
    ({ url, drop } = await freshPostgres());
  });
  afterAll(async () => {
    await drop?.();
    await rm(dir, { recursive: true, force: true });
  });

  const runtime = (dispatcher: 'on' | 'off'): Promise<Runtime> =>
    createRuntime(
      {
        DATABASE_URL: url,
        TAHOON_DATA_DIR: dir,
        PORT: '0',
        HOST: '127.0.0.1',
        TAHOON_DISPATCHER: dispatcher,
        TAHOON_DISPATCHER_POLL_MS: '50',
      },
      { logger: captureLogs().logger },
    );

  async function stateAfter(rt: Runtime, ms: number): Promise<string | undefined> {
    const id = webIds.next('obx');
    // Jitsi rooms exist only as URLs, so removing one succeeds without any server.
    await rt.deps.outbox.messages.enqueue(
      [
        {
          id,
          topic: 'video.room.remove',
          organizationId: null,
          payload: { bookingId: 'bkg_x', roomId: 'r' },
        },
      ],
      Date.now(),
    );
    const until = Date.now() + ms;
    let state: string | undefined;
    while (Date.now() < until) {
      const [row] = await rt.database.db.select().from(outbox).where(eq(outbox.id, id));
      state = row?.state;
      if (state === 'delivered') break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return state;
  }

  it('delivers messages while serving, and stops it before closing the database', async () => {
    const rt = await runtime('on');
    await rt.database.migrate();
    const server = await startServer(rt);
    try {
      expect(await stateAfter(rt, 5_000)).toBe('delivered');
    } finally {
      await server.stop();
    }
  });

  it('leaves messages to other instances with TAHOON_DISPATCHER=off', async () => {
    const rt = await runtime('off');
    const server = await startServer(rt);
    try {
      expect(await stateAfter(rt, 500)).toBe('pending');
    } finally {
      await server.stop();
    }
  });
});
