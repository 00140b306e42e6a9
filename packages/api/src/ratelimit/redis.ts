import {
  Redis as UpstashRedis,
  type Requester,
  type UpstashRequest,
  type UpstashResponse,
} from '@upstash/redis';
import { Redis, type RedisOptions } from 'ioredis';
import type { RateLimitLogger } from './limiter.js';

type Argument = string | number;
type Command = [name: string, ...args: Argument[]];
type Reply = { result: unknown } | { error: string };

/**
 * Errors Redis itself answered with (NOSCRIPT, WRONGTYPE…). They travel back to the client as
 * `{ error }`, word for word, because the rate-limit library retries a NOSCRIPT with EVAL by
 * reading that text. Anything else (timeouts, a closed socket) is a transport failure and rejects.
 */
function isRedisReply(error: unknown): error is Error {
  return error instanceof Error && error.name === 'ReplyError';
}

function toCommand(value: unknown): Command {
  if (!Array.isArray(value) || value.length === 0 || typeof value[0] !== 'string') {
    throw new TypeError('A Redis command is a non-empty array that starts with its name');
  }
  const [name, ...args] = value as unknown[];
  // Upper case: ioredis reshapes the replies of some commands when called by their lower-case
  // name (HGETALL into an object), and the client expects the raw Redis reply, as over REST.
  return [String(name).toUpperCase(), ...args.map(toArgument)];
}

function toArgument(value: unknown): Argument {
  return typeof value === 'number' || typeof value === 'string' ? value : JSON.stringify(value);
}

function toCommands(body: unknown): Command[] {
  if (!Array.isArray(body)) throw new TypeError('A pipeline is an array of commands');
  return body.map(toCommand);
}

/** Redis's nil is `null` to the client; `undefined` would read as "no result at all". */
function toResult(value: unknown): unknown {
  return value === undefined ? null : value;
}

async function runOne(client: Redis, [name, ...args]: Command): Promise<Reply> {
  try {
    return { result: toResult(await client.call(name, args)) };
  } catch (error) {
    if (isRedisReply(error)) return { error: error.message };
    throw error;
  }
}

async function runBatch(client: Redis, commands: Command[], atomic: boolean): Promise<Reply[]> {
  const batch = atomic ? client.multi() : client.pipeline();
  for (const [name, ...args] of commands) batch.call(name, args);
  let replies: [Error | null, unknown][] | null;
  try {
    replies = await batch.exec();
  } catch (error) {
    // EXECABORT: Redis refused the whole transaction, so every command failed with it.
    if (isRedisReply(error)) return commands.map(() => ({ error: error.message }));
    throw error;
  }
  if (!replies) throw new Error('The transaction was discarded');
  return replies.map(([error, result]) => {
    if (!error) return { result: toResult(result) };
    if (isRedisReply(error)) return { error: error.message };
    throw error;
  });
}

/**
 * A requester for the serverless Redis client that speaks RESP over one ioredis connection:
 * `req.body` is one command, or with `req.path` of `["pipeline"]` / `["multi-exec"]` an array of
 * commands answered by an array of `{ result } | { error }`, as the REST API does.
 *
 * @example
 * const redis = new UpstashRedis(ioredisRequester(new Redis(url)));
 */
export function ioredisRequester(client: Redis): Requester {
  return {
    request: async <TResult>(req: UpstashRequest): Promise<UpstashResponse<TResult>> => {
      const batch = req.path?.[0];
      if (batch === 'pipeline' || batch === 'multi-exec') {
        const replies = await runBatch(client, toCommands(req.body), batch === 'multi-exec');
        // A batch is answered by a bare array, which the client's pipeline reads as such.
        return replies as unknown as UpstashResponse<TResult>;
      }
      if (req.path && req.path.length > 0) {
        throw new Error(`Unsupported Redis request path: ${req.path.join('/')}`);
      }
      // The reply is whatever Redis said; the client deserializes it into the type it asked for.
      return (await runOne(client, toCommand(req.body))) as UpstashResponse<TResult>;
    },
  };
}

export interface RateLimitRedisOptions {
  /** The limiter's timeout: commands time out with it, connection attempts after max(it, 1 s). */
  timeoutMs: number;
  logger?: RateLimitLogger;
}

/**
 * Connection settings for a store that must never slow a request down: no offline queue
 * (a command sent while disconnected fails at once instead of waiting for a reconnect), commands
 * that time out with the limiter, no retry or resend of a counting command (a retried INCRBY
 * would count twice), and reconnection attempts forever with a capped backoff.
 */
export function rateLimitRedisOptions(timeoutMs: number): RedisOptions {
  return {
    enableOfflineQueue: false,
    commandTimeout: timeoutMs,
    connectTimeout: Math.max(timeoutMs, 1_000),
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    retryStrategy: (attempt) => Math.min(100 * attempt, 2_000),
    connectionName: 'tahoon-ratelimit',
  };
}

/**
 * Opens the ioredis connection the limiter counts through (it connects in the background) and
 * reports connection trouble once per outage instead of once per reconnect attempt.
 *
 * @example
 * const connection = connectRateLimitRedis('redis://127.0.0.1:6379', { timeoutMs: 200 });
 * const limiter = createRateLimiter({ redis: upstashOverIoredis(connection) });
 */
export function connectRateLimitRedis(url: string, options: RateLimitRedisOptions): Redis {
  const client = new Redis(url, rateLimitRedisOptions(options.timeoutMs));
  let reported = false;
  client.on('error', (error: Error) => {
    if (reported) return;
    reported = true;
    options.logger?.warn({ err: { message: error.message } }, 'rate limit Redis unreachable');
  });
  client.on('ready', () => {
    if (reported) options.logger?.info({}, 'rate limit Redis reachable again');
    reported = false;
  });
  return client;
}

/**
 * The serverless Redis client over an ioredis connection, so the limiter code that runs against
 * the managed service in production runs unchanged against a plain Redis server.
 */
export function upstashOverIoredis(client: Redis): UpstashRedis {
  return new UpstashRedis(ioredisRequester(client));
}
