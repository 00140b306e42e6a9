import pino, { type Logger } from 'pino';
import { createVideoRooms } from '../adapters/video/index.js';
import { resilientVideo } from '../adapters/video/resilient.js';
import { createNodeNotificationHandlers } from '../notifications/node.js';
import { createOutbox } from '../outbox/index.js';
import { lookupAddresses } from '../webhooks/node-resolver.js';
import { createPolicy } from '../resilience/policies.js';
import { readFile } from 'node:fs/promises';
import { loadConfig, withFileSecrets, type Config } from '../config.js';
import { webIds } from '../crypto.js';
import { systemClock, type Deps } from '../deps.js';
import { openDatabase, type Database } from './database.js';
import { resolveKeys, resolvePhi } from './secrets.js';
import {
  connectRateLimitRedis,
  createRateLimiter,
  upstashOverIoredis,
  type RateLimiter,
} from '../ratelimit/index.js';

/**
 * Fields that may hold patient data are removed from every log line, whatever a future call
 * site passes by mistake.
 */
export const REDACTED_PATHS = [
  '*.givenName',
  '*.familyName',
  '*.email',
  '*.phone',
  '*.birthDate',
  '*.reason',
  'req.headers.authorization',
  '*.clientSecret',
  '*.client_secret',
  '*.access_key',
];

export function createLogger(
  config: Pick<Config, 'LOG_LEVEL'>,
  destination?: pino.DestinationStream,
): Logger {
  const options = {
    level: config.LOG_LEVEL,
    base: { service: 'tahoon' },
    redact: { paths: REDACTED_PATHS, remove: true },
  };
  return destination ? pino(options, destination) : pino(options);
}

export interface Runtime {
  config: Config;
  deps: Deps;
  database: Database;
  /** Releases what the runtime opened besides the database (the limiter's Redis). */
  closeExtras(): Promise<void>;
}

/** Quotas from the configuration, kept in Redis when one is configured, else in this process. */
export function createLimiter(
  config: Config,
  logger: Logger,
): { limiter: RateLimiter; close(): Promise<void> } {
  const limits = {
    perCredential: { limit: config.TAHOON_RATE_LIMIT_PER_MINUTE, windowSeconds: 60 },
    tokenFailuresPerIp: { limit: config.TAHOON_TOKEN_FAILURES_PER_MINUTE, windowSeconds: 60 },
    timeoutMs: config.TAHOON_RATE_LIMIT_TIMEOUT_MS,
    trustedProxies: config.TAHOON_TRUSTED_PROXIES,
  };
  if (!config.TAHOON_REDIS_URL) {
    return { limiter: createRateLimiter({ config: limits, logger }), close: async () => undefined };
  }
  const client = connectRateLimitRedis(config.TAHOON_REDIS_URL, {
    timeoutMs: limits.timeoutMs,
    logger,
  });
  const redis = upstashOverIoredis(client);
  return {
    limiter: createRateLimiter({ config: limits, redis, logger }),
    close: async () => {
      client.disconnect();
    },
  };
}

/** Wires the real adapters from the configuration: the one place that knows them all. */
export async function createRuntime(
  env: Record<string, string | undefined>,
  overrides: { logger?: Logger } = {},
): Promise<Runtime> {
  const config = loadConfig(await withFileSecrets(env, (path) => readFile(path, 'utf8')));
  const logger = overrides.logger ?? createLogger(config);
  const keys = await resolveKeys(config);
  const phi = await resolvePhi(config, env);
  const database = await openDatabase({
    url: config.DATABASE_URL,
    dataDir: `${config.TAHOON_DATA_DIR}/db`,
    poolSize: config.DATABASE_POOL_SIZE,
    phi,
  });
  const rooms = createVideoRooms({
    jitsiBaseUrl: config.TAHOON_JITSI_BASE_URL,
    ...(config.VIDEOSDK_API_KEY && config.VIDEOSDK_SECRET
      ? {
          videoSdk: {
            apiKey: config.VIDEOSDK_API_KEY,
            secret: config.VIDEOSDK_SECRET,
            ...(config.VIDEOSDK_API_BASE ? { apiBase: config.VIDEOSDK_API_BASE } : {}),
            ...(config.VIDEOSDK_JOIN_BASE_URL
              ? { joinBaseUrl: config.VIDEOSDK_JOIN_BASE_URL }
              : {}),
          },
        }
      : {}),
  });
  // Jitsi rooms are URLs made in-process; only a remote video service needs a policy.
  const video =
    rooms.name === 'videosdk' ? resilientVideo(rooms, createPolicy('videosdk', {}, logger)) : rooms;
  const outbox = createOutbox({
    db: database.db,
    store: database.store,
    video,
    clock: systemClock,
    ids: webIds,
    logger,
    // Webhooks and push: `event.publish`, `webhook.deliver` and `push.send`.
    handlers: createNodeNotificationHandlers({
      config,
      store: database.store,
      ids: webIds,
      logger,
    }),
    settings: {
      batchSize: config.TAHOON_DISPATCHER_BATCH_SIZE,
      concurrency: config.TAHOON_DISPATCHER_CONCURRENCY,
      pollIntervalMs: config.TAHOON_DISPATCHER_POLL_MS,
    },
  });
  const { limiter, close: closeExtras } = createLimiter(config, logger);
  const deps: Deps = {
    config,
    limiter,
    store: database.store,
    clock: systemClock,
    ids: webIds,
    video,
    keys,
    phi,
    logger,
    outbox,
    // Registration checks a webhook URL's DNS answers too, not only its shape.
    webhookResolver: lookupAddresses,
  };
  return { config, deps, database, closeExtras };
}
