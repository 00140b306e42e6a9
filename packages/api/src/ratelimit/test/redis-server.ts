import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A throwaway Redis server for one test file: its own free port on 127.0.0.1, its own temporary
 * directory, no persistence. It never touches the shared server on 6379.
 */
export interface RedisServer {
  url: string;
  port: number;
  /** SIGSTOP: the server keeps its connections open and answers nothing. */
  pause(): void;
  /** SIGCONT. */
  resume(): void;
  /** Stops the server and removes its directory; a paused server is resumed first. */
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  if (!address || typeof address === 'string') throw new Error('No port');
  return address.port;
}

/** True once the server answers PING. */
function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.on('error', () => done(false));
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (data) => done(data.toString().startsWith('+PONG')));
  });
}

async function waitUntilReady(child: ChildProcess, port: number): Promise<boolean> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) return false;
    if (await answersPing(port)) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return false;
}

async function exited(child: ChildProcess, withinMs: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return true;
  const timer = new Promise<false>((resolve) => setTimeout(() => resolve(false), withinMs));
  return Promise.race([once(child, 'exit').then(() => true), timer]);
}

async function launch(dir: string): Promise<{ child: ChildProcess; port: number } | null> {
  const port = await freePort();
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
  const child = spawn('redis-server', [...args, '--dir', dir, '--loglevel', 'warning'], {
    stdio: 'ignore',
  });
  child.on('error', () => undefined);
  if (await waitUntilReady(child, port)) return { child, port };
  child.kill('SIGKILL');
  return null;
}

/** Starts a private Redis server; retries on another port if one was taken meanwhile. */
export async function startRedisServer(): Promise<RedisServer> {
  const dir = await mkdtemp(join(tmpdir(), 'tahoon-ratelimit-redis-'));
  let started: { child: ChildProcess; port: number } | null = null;
  for (let attempt = 0; attempt < 3 && !started; attempt++) started = await launch(dir);
  if (!started) {
    await rm(dir, { recursive: true, force: true });
    throw new Error('redis-server did not start (is it installed and on PATH?)');
  }
  const { child, port } = started;

  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    pause: () => void child.kill('SIGSTOP'),
    resume: () => void child.kill('SIGCONT'),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGCONT');
        child.kill('SIGTERM');
        if (!(await exited(child, 5_000))) child.kill('SIGKILL');
        await exited(child, 5_000);
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
