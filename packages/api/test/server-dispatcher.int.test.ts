import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { webIds } from '../src/crypto.js';
import { outbox } from '../src/db/schema.js';
import { createRuntime, type Runtime } from '../src/node/runtime.js';
import { startServer } from '../src/node/server.js';
import { createAuth } from '../src/auth.js';
import { loadDemoProviders } from '../src/seed/demo.js';
import { patientInput } from './acceptance.js';
import { captureLogs, freshPostgres } from './harness.js';

/** Riyadh, Monday to Thursday mornings and evenings. */
const PROVIDER = 'prv_sjnpfzd39nd2qv6w';

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

  it("leaves a new booking's room to its request, which answers 201 confirmed", async () => {
    const rt = await runtime('on');
    const server = await startServer(rt);
    try {
      await rt.deps.store.providers.upsert(await loadDemoProviders());
      const organizationId = webIds.next('org');
      await rt.deps.store.organizations.create({
        id: organizationId,
        name: 'Dispatcher race',
        createdAtMs: Date.now(),
      });
      const auth = createAuth(rt.deps);
      const { credential } = await auth.createCredential(organizationId, 'race');
      const { accessToken } = await auth.issueToken(credential);
      const base = `http://127.0.0.1:${server.port}`;
      const call = async (method: string, path: string, body?: unknown) => {
        const response = await fetch(`${base}${path}`, {
          method,
          headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
        return {
          status: response.status,
          body: (await response.json()) as Record<string, unknown>,
        };
      };
      const from = new Date(Date.now() + 86_400_000).toISOString();
      const to = new Date(Date.now() + 8 * 86_400_000).toISOString();
      const slots = await call(
        'GET',
        `/v1/providers/${PROVIDER}/slots?duration=50&from=${from}&to=${to}`,
      );
      // Slots overlap (a 50-minute session every 30 minutes): keep ones two hours apart.
      const starts: string[] = [];
      for (const { start } of slots.body.data as { start: string }[]) {
        const last = starts.at(-1);
        if (!last || Date.parse(start) - Date.parse(last) >= 2 * 3_600_000) starts.push(start);
      }
      expect(starts.length).toBeGreaterThanOrEqual(5);

      // The dispatcher polls every 50 ms and is woken by each commit: it must not take the
      // room from the request and leave the partner with a 202.
      for (const [i, start] of starts.slice(0, 5).entries()) {
        const patient = await call('POST', '/v1/patients', patientInput(`race-${i}`));
        expect(patient.status).toBe(201);
        const booked = await call('POST', '/v1/bookings', {
          patientId: patient.body.id,
          providerId: PROVIDER,
          start,
          duration: 50,
        });
        expect(booked.status, JSON.stringify(booked.body)).toBe(201);
        expect(booked.body.status).toBe('confirmed');
      }
    } finally {
      await server.stop();
    }
  });
});
