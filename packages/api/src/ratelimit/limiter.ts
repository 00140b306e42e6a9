import { Ratelimit, type RatelimitConfig } from '@upstash/ratelimit';
import type { Redis as UpstashRedis } from '@upstash/redis';
import {
  rateLimitConfig,
  type PolicyConfig,
  type PolicyName,
  type RateLimitConfig,
  type RateLimitConfigInput,
} from './config.js';
import { InProcessCounters, inProcessFixedWindow, NO_REDIS } from './memory.js';

/** The two logging calls the limiter makes; a pino logger fits. */
export interface RateLimitLogger {
  warn(fields: object, message: string): void;
  info(fields: object, message: string): void;
}

/**
 * The answer for one request under one policy. `state` says whether the counters answered:
 * when they did not (`unavailable`), `allowed` follows the policy's failMode, and the remaining
 * quota is unknown (`null`) unless the request was turned away.
 */
export interface RateLimitDecision {
  policy: PolicyName;
  limit: number;
  windowSeconds: number;
  allowed: boolean;
  state: 'counted' | 'unavailable';
  remaining: number | null;
  /** When more quota becomes available (epoch ms); null when unknown. */
  resetAtMs: number | null;
}

export interface RateLimiter {
  readonly config: RateLimitConfig;
  /** Where the counters live. */
  readonly backend: 'redis' | 'in-process';
  /**
   * Counts `cost` units against `key` under `policy` and says whether the request may proceed.
   * A denied request still counts; the window is fixed, so that never lengthens a block.
   */
  consume(policy: PolicyName, key: string, cost?: number): Promise<RateLimitDecision>;
  /** Gives back units taken by {@link consume}, e.g. for a token request that succeeded. */
  refund(policy: PolicyName, key: string, cost?: number): Promise<RateLimitDecision>;
  /** Clears `key`'s counters under `policy`: an operator lifting a block. */
  reset(policy: PolicyName, key: string): Promise<void>;
}

export interface RateLimiterOptions {
  /** Overrides of the defaults; see {@link rateLimitConfig}. */
  config?: RateLimitConfigInput;
  /** Count in Redis (shared by every gateway process); without it, count in this process. */
  redis?: UpstashRedis;
  logger?: RateLimitLogger;
}

/** Short, stable policy ids for the RateLimit headers; they never change with configuration. */
export const POLICY_IDS: Record<PolicyName, string> = {
  perCredential: 'credential',
  tokenFailuresPerIp: 'token-failures',
};

type Limits = Record<PolicyName, Ratelimit>;

/**
 * The library's local list of blocked keys (key → end of block, epoch ms). It only forgets a key
 * when that key comes back, so keys that never return, such as addresses an attacker rotated
 * through, would stay forever; past `sweepAbove` entries, ended blocks are dropped on insert.
 */
export class BlockList extends Map<string, number> {
  constructor(private readonly sweepAbove = 10_000) {
    super();
  }

  override set(key: string, blockedUntilMs: number): this {
    if (this.size >= this.sweepAbove) {
      const nowMs = Date.now();
      for (const [other, until] of this) if (until <= nowMs) this.delete(other);
    }
    return super.set(key, blockedUntilMs);
  }
}

function windowOf(policy: PolicyConfig): `${number} s` {
  return `${policy.windowSeconds} s`;
}

function redisLimits(redis: UpstashRedis, config: RateLimitConfig): Limits {
  const limitFor = (name: PolicyName): Ratelimit => {
    const policy = config[name];
    return new Ratelimit({
      redis,
      limiter: Ratelimit.fixedWindow(policy.limit, windowOf(policy)),
      prefix: `${config.prefix}:${POLICY_IDS[name]}`,
      // The library answers "allowed, reason timeout" after this long; we then apply failMode.
      timeout: config.timeoutMs,
      analytics: false,
      // Keys already over their limit are refused from memory until their window ends, which
      // also keeps a blocked client blocked while Redis is unreachable.
      ephemeralCache: new BlockList(),
    } satisfies RatelimitConfig);
  };
  return {
    perCredential: limitFor('perCredential'),
    tokenFailuresPerIp: limitFor('tokenFailuresPerIp'),
  };
}

function inProcessLimits(config: RateLimitConfig): Limits {
  const counters = new InProcessCounters();
  const limitFor = (name: PolicyName): Ratelimit => {
    const policy = config[name];
    return new Ratelimit({
      redis: NO_REDIS,
      limiter: inProcessFixedWindow(policy.limit, policy.windowSeconds * 1000, counters),
      prefix: `${config.prefix}:${POLICY_IDS[name]}`,
      timeout: 0,
      ephemeralCache: false,
    });
  };
  return {
    perCredential: limitFor('perCredential'),
    tokenFailuresPerIp: limitFor('tokenFailuresPerIp'),
  };
}

/** Races a call that has no timeout of its own (reset) against the configured one. */
async function withinTimeout<T>(work: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`No answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([work, expired]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Tracks whether the counters answer, and logs once when they stop and once when they return,
 * not once per request.
 */
function availabilityLog(logger: RateLimitLogger | undefined) {
  let down = false;
  return {
    up() {
      if (down) logger?.info({}, 'rate limit counters reachable again');
      down = false;
    },
    down(policy: PolicyName, cause: string) {
      if (!down) {
        logger?.warn({ policy, cause }, 'rate limit counters unavailable; failMode applies');
      }
      down = true;
    },
  };
}

/**
 * The gateway's rate limiter: per-credential quotas and per-IP token failure quotas, counted in
 * Redis when one is given and in this process otherwise, with the same answers and headers.
 * `consume` and `refund` never throw and never wait much beyond `config.timeoutMs`; `reset`, an
 * operator's action, rejects when the counters do not answer in that time.
 *
 * @example
 * const limiter = createRateLimiter({ config: { perCredential: { limit: 1000 } } });
 * const decision = await limiter.consume('perCredential', 'cred_abc', 5);
 */
export function createRateLimiter(options: RateLimiterOptions = {}): RateLimiter {
  const config = rateLimitConfig(options.config);
  const limits = options.redis ? redisLimits(options.redis, config) : inProcessLimits(config);
  const availability = availabilityLog(options.logger);

  const unavailable = (name: PolicyName, cause: string): RateLimitDecision => {
    availability.down(name, cause);
    const policy = config[name];
    const base = { policy: name, limit: policy.limit, windowSeconds: policy.windowSeconds };
    if (policy.failMode === 'open') {
      return { ...base, allowed: true, state: 'unavailable', remaining: null, resetAtMs: null };
    }
    const resetAtMs = Date.now() + config.unavailableRetryAfterSeconds * 1000;
    return { ...base, allowed: false, state: 'unavailable', remaining: 0, resetAtMs };
  };

  const count = async (name: PolicyName, key: string, rate: number): Promise<RateLimitDecision> => {
    let response;
    try {
      response = await limits[name].limit(key, { rate });
    } catch (error) {
      return unavailable(name, error instanceof Error ? error.message : String(error));
    }
    if (response.reason === 'timeout') return unavailable(name, 'timeout');
    if (response.reason !== 'cacheBlock') availability.up();
    const policy = config[name];
    return {
      policy: name,
      limit: policy.limit,
      windowSeconds: policy.windowSeconds,
      allowed: response.success,
      state: 'counted',
      remaining: response.remaining,
      resetAtMs: response.reset,
    };
  };

  return {
    config,
    backend: options.redis ? 'redis' : 'in-process',
    consume: (name, key, cost = 1) => count(name, key, cost),
    refund: (name, key, cost = 1) => count(name, key, -cost),
    reset: (name, key) => withinTimeout(limits[name].resetUsedTokens(key), config.timeoutMs),
  };
}
