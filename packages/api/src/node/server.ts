import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { serve, type ServerType } from '@hono/node-server';
import type { IncomingMessage } from 'node:http';
import { createApp } from '../app.js';
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
 * Serves the app on Node, with the outbox dispatcher. On SIGTERM or SIGINT it stops accepting,
 * lets in-flight requests finish, lets the dispatcher finish its batch, then closes the database.
 */
export async function startServer(runtime: Runtime): Promise<RunningServer> {
  const { config, deps, database } = runtime;
  // @hono/node-server hands each request's Node objects to the app as its env.
  const peerAddress = (_request: Request, env: unknown) =>
    (env as { incoming?: IncomingMessage } | undefined)?.incoming?.socket.remoteAddress;
  const app = createApp({ ...deps, peerAddress });
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

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      clearInterval(sweeper);
      await new Promise<void>((resolve) => server.server.close(() => resolve()));
      // The dispatcher finishes its batch while the database is still open.
      await dispatcher.stop();
      await database.close();
      await runtime.closeExtras();
      if (embedded) await rm(pidFile(config.TAHOON_DATA_DIR), { force: true });
      deps.logger.info('server stopped');
    })());
  return { port: server.port, server: server.server, stop };
}
