/**
 * Graceful shutdown, checked on the real server process: SIGTERM while partners keep calling
 * must not fail a request the server had already accepted, and every write it answered must be
 * in the database afterwards.
 */
import pg from 'pg';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { freshPostgres } from './harness.js';
import { demoToken, removeDataDir, startGatewayProcess, type GatewayProcess } from './process.js';

const WORKERS = 12;
const LOAD_BEFORE_SIGTERM_MS = 2_000;
/** How often the stand-in load balancer asks whether the server is still ready. */
const READINESS_POLL_MS = 100;

interface Outcome {
  kind: 'read' | 'write';
  status?: number;
  /** Why the request got no answer: a network error code. */
  error?: string;
  patientId?: string;
}

/** Why a request got no answer on the wire. */
function networkCode(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? String(error);
}

async function call(gateway: GatewayProcess, token: string, kind: Outcome['kind'], n: number) {
  const init: RequestInit =
    kind === 'read'
      ? { headers: { authorization: `Bearer ${token}` } }
      : {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify({
            externalId: `shutdown-${n}`,
            givenName: 'Load',
            familyName: 'Test',
            birthDate: '1990-01-01',
            country: 'SA',
            timeZone: 'Asia/Riyadh',
          }),
        };
  const path = kind === 'read' ? '/v1/providers?limit=5' : '/v1/patients';
  try {
    const response = await fetch(`${gateway.baseUrl}${path}`, init);
    const body = (await response.json()) as { id?: string };
    return { kind, status: response.status, patientId: body.id } satisfies Outcome;
  } catch (error) {
    return { kind, error: networkCode(error) } satisfies Outcome;
  }
}

describe('SIGTERM under steady load', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  it('finishes every accepted request, exits 0 and keeps every answered write', async () => {
    const database = await freshPostgres();
    cleanups.push(database.drop);
    const gateway = await startGatewayProcess({
      DATABASE_URL: database.url,
      TAHOON_RATE_LIMIT_PER_MINUTE: '1000000',
    });
    cleanups.push(async () => {
      await gateway.stop('SIGKILL');
      await removeDataDir(gateway.dataDir);
    });
    const token = await demoToken(gateway);

    // The load stops the way a load balancer stops routing: when readiness fails.
    const outcomes: Outcome[] = [];
    let routed = true;
    let counter = 0;
    const worker = async (w: number) => {
      while (routed)
        outcomes.push(await call(gateway, token, w % 2 === 0 ? 'read' : 'write', counter++));
    };
    const load = Promise.all(Array.from({ length: WORKERS }, (_, w) => worker(w)));
    await delay(LOAD_BEFORE_SIGTERM_MS);
    const answeredBeforeStop = outcomes.length;
    const exited = gateway.stop('SIGTERM');
    while (routed) {
      const probe = await fetch(`${gateway.baseUrl}/health/ready`).catch(() => null);
      await probe?.body?.cancel();
      if (probe?.status !== 200) routed = false;
      else await delay(READINESS_POLL_MS);
    }
    await load;
    const exit = await exited;

    expect(exit, gateway.output()).toEqual({ code: 0, signal: null });
    expect(answeredBeforeStop).toBeGreaterThan(WORKERS);
    // Requests in flight when SIGTERM came, and those sent before readiness failed, all got a
    // full, successful answer.
    const failed = outcomes.filter((o) => o.error !== undefined || (o.status ?? 0) >= 300);
    expect(failed, gateway.output()).toEqual([]);

    const written = outcomes.filter((o) => o.kind === 'write' && o.status === 201);
    expect(written.length).toBeGreaterThan(0);
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      const { rows } = await client.query<{ id: string }>('select id from patients');
      const stored = new Set(rows.map((r) => r.id));
      expect(written.filter((o) => !stored.has(o.patientId ?? ''))).toEqual([]);
    } finally {
      await client.end();
    }
  }, 240_000);
});
