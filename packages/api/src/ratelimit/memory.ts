import type { RatelimitConfig } from '@upstash/ratelimit';

/** A counting algorithm as the rate-limit library takes it (its single-region context). */
export type LimiterAlgorithm = RatelimitConfig['limiter'];

interface Counter {
  used: number;
  expiresAtMs: number;
}

/**
 * Counters kept in this process, with the few Redis semantics the fixed-window script relies on:
 * INCRBY on a missing key starts from zero, and a key expires a window after its first write.
 */
export class InProcessCounters {
  readonly #counters = new Map<string, Counter>();
  #nextSweepAtMs = 0;

  /** Adds `by` (negative to give back) and returns the new total, as INCRBY does. */
  incrementBy(key: string, by: number, ttlMs: number, nowMs: number): number {
    this.#sweep(nowMs, ttlMs);
    const counter = this.#live(key, nowMs);
    if (counter) {
      counter.used += by;
      return counter.used;
    }
    this.#counters.set(key, { used: by, expiresAtMs: nowMs + ttlMs });
    return by;
  }

  get(key: string, nowMs: number): number {
    return this.#live(key, nowMs)?.used ?? 0;
  }

  /** Forgets every window of one identifier. */
  deleteIdentifier(identifier: string): void {
    const windowKey = new RegExp(`^${escapeRegExp(identifier)}:\\d+$`);
    for (const key of this.#counters.keys()) {
      if (windowKey.test(key)) this.#counters.delete(key);
    }
  }

  get size(): number {
    return this.#counters.size;
  }

  #live(key: string, nowMs: number): Counter | undefined {
    const counter = this.#counters.get(key);
    if (counter && counter.expiresAtMs <= nowMs) {
      this.#counters.delete(key);
      return undefined;
    }
    return counter;
  }

  /** Drops expired windows about once a window, so idle identifiers cannot pile up. */
  #sweep(nowMs: number, intervalMs: number): void {
    if (nowMs < this.#nextSweepAtMs) return;
    this.#nextSweepAtMs = nowMs + intervalMs;
    for (const [key, counter] of this.#counters) {
      if (counter.expiresAtMs <= nowMs) this.#counters.delete(key);
    }
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * The library's fixed-window algorithm with its counters in this process instead of Redis: same
 * window boundaries (multiples of the window since the epoch), same key per window, same answer
 * to a weighted or negative `rate`, so the embedded gateway limits exactly as a Redis-backed one.
 * Only one process sees these counters; several gateway processes need Redis.
 */
export function inProcessFixedWindow(
  tokens: number,
  windowMs: number,
  counters: InProcessCounters,
): LimiterAlgorithm {
  const windowOf = (nowMs: number) => Math.floor(nowMs / windowMs);

  return () => ({
    async limit(_ctx, identifier, rate) {
      const nowMs = Date.now();
      const bucket = windowOf(nowMs);
      const used = counters.incrementBy(`${identifier}:${bucket}`, rate ?? 1, windowMs, nowMs);
      return {
        success: used <= tokens,
        limit: tokens,
        remaining: Math.max(0, tokens - used),
        reset: (bucket + 1) * windowMs,
        pending: Promise.resolve(),
      };
    },

    async getRemaining(_ctx, identifier) {
      const nowMs = Date.now();
      const bucket = windowOf(nowMs);
      const used = counters.get(`${identifier}:${bucket}`, nowMs);
      return {
        remaining: Math.max(0, tokens - used),
        reset: (bucket + 1) * windowMs,
        limit: tokens,
      };
    },

    async resetTokens(_ctx, identifier) {
      counters.deleteIdentifier(identifier);
    },
  });
}

function noRedis(): Promise<never> {
  return Promise.reject(new Error('The in-process rate limiter has no Redis'));
}

/**
 * Stands in for the Redis client the library's constructor asks for. With dynamic limits,
 * analytics and deny lists off, the library never calls it; if it ever did, the call fails
 * loudly rather than counting nowhere.
 */
export const NO_REDIS: RatelimitConfig['redis'] = { evalsha: noRedis, get: noRedis, set: noRedis };
