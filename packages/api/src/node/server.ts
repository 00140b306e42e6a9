import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { serve, type ServerType } from '@hono/node-server';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import { createApp } from '../app.js';
import { rotateSealedValues } from '../db/phi-rotation.js';
import type { Runtime } from './runtime.js';

const pidFile = (dataDir: string) => join(dataDir, 'server.pid');

/** The pid of a running server that holds the embedded database, if any. */
export async function runningServerPid(dataDir: string): Promise<number | null> {
  try {
    const pid = Number((await readFile(pidFile(dataDir), 'utf8')).trim());
    if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return null;
    process.kill(pid, 0);
    return pid;
  } catch {
    return null;
  }
}

export interface RunningServer {
  port: number;
  server: ServerType;
  stop(): Promise<void>;
}

/**
 * Serves the app on Node, with the outbox dispatcher. On SIGTERM or SIGINT it first drains
 * (readiness fails, answers close their connections) for TAHOON_SHUTDOWN_DRAIN_MS, then stops
 * accepting, lets in-flight requests finish and the dispatcher finish its batch, and closes the
 * database.
 */
export async function startServer(runtime: Runtime): Promise<RunningServer> {
  const { config, deps, database } = runtime;
  // @hono/node-server hands each request's Node objects to the app as its env.
  const peerAddress = (_request: Request, env: unknown) =>
    (env as { incoming?: IncomingMessage } | undefined)?.incoming?.socket.remoteAddress;
  let draining = false;
  const app = createApp({ ...deps, peerAddress, draining: () => draining });
  const embedded = database.kind === 'pglite';
  if (embedded) {
    await mkdir(config.TAHOON_DATA_DIR, { recursive: true });
    await writeFile(pidFile(config.TAHOON_DATA_DIR), String(process.pid));
  }

  const server = await new Promise<{ server: ServerType; port: number }>((resolve) => {
    const s = serve({ fetch: app.fetch, port: config.PORT, hostname: config.HOST }, (info) =>
      resolve({ server: s, port: info.port }),
    );
  });
  // While draining, each answer closes its connection, so a keep-alive client's next request
  // opens a new one (refused once the listener is closed) instead of racing the socket's close.
  server.server.on('request', (_request, response: ServerResponse) => {
    if (draining) response.setHeader('connection', 'close');
  });

  // The outbox's deliveries run here unless another process is given them.
  const dispatcher = deps.outbox.dispatcher;
  if (config.TAHOON_DISPATCHER === 'on') dispatcher.start();

  // A booking holds its slot as `pending` while its room is made and retried. A hold older
  // than the TTL fails: its slot is released, `booking.failed` is written and any room removed.
  const ttlMs = config.TAHOON_HOLD_TTL_SECONDS * 1000;
  const sweep = () => {
    const now = deps.clock.nowMs();
    deps.outbox.bookings.expireHolds(now - ttlMs, now).then(
      (ids) =>
        ids.length > 0 && deps.logger.warn({ bookingIds: ids }, 'expired booking holds failed'),
      (err: unknown) => deps.logger.error({ err }, 'releasing expired holds failed'),
    );
  };
  sweep();
  const sweeper = setInterval(sweep, Math.min(ttlMs, 60_000));
  sweeper.unref();

  // After a PHI key rotation, values sealed under older keys move to the active one while the
  // gateway serves; a stop interrupts it between batches and the next start resumes.
  const rotation = new AbortController();
  const rotating = rotateSealedValues(database.db, deps.phi.ring, {
    signal: rotation.signal,
    log: deps.logger,
  }).catch((err: unknown) =>
    deps.logger.error({ err }, 'moving sealed values to the active PHI key failed'),
  );

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      draining = true;
      await delay(config.TAHOON_SHUTDOWN_DRAIN_MS);
      clearInterval(sweeper);
      rotation.abort();
      // Stops accepting and waits for the requests in flight; idle connections are closed.
      await new Promise<void>((resolve) => server.server.close(() => resolve()));
      await rotating;
      // The dispatcher finishes its batch while the database is still open.
      await dispatcher.stop();
      await database.close();
      await runtime.closeExtras();
      if (embedded) await rm(pidFile(config.TAHOON_DATA_DIR), { force: true });
      deps.logger.info('server stopped');
    })());
  return { port: server.port, server: server.server, stop };
}
