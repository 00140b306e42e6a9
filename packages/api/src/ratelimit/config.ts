import ipaddr from 'ipaddr.js';
import { z } from 'zod';

/** The quotas the gateway enforces, each named as in the configuration. */
export type PolicyName = 'perCredential' | 'tokenFailuresPerIp';

export const POLICY_NAMES: readonly PolicyName[] = ['perCredential', 'tokenFailuresPerIp'];

/**
 * What a policy does when its counters cannot be reached in time (Redis hung, refused or slow):
 * `open` lets the request through unlimited, `closed` answers 429 with a short Retry-After.
 */
export type FailMode = 'open' | 'closed';

export interface PolicyConfig {
  /** Quota units per window. */
  limit: number;
  windowSeconds: number;
  failMode: FailMode;
}

export interface RateLimitConfig {
  /** Every authenticated request, keyed by credential id; weighted by `costs`. */
  perCredential: PolicyConfig;
  /** Failed token requests, keyed by client IP (an IPv6 client by its /64). */
  tokenFailuresPerIp: PolicyConfig;
  /**
   * Quota units an operation costs, by operation name (`providers.slots`), or
   * `providers.search:availability` for a search that filters or sorts by free slots.
   * Operations not listed cost 1.
   */
  costs: Record<string, number>;
  /** How long one request may wait for the counters before its policy's failMode applies. */
  timeoutMs: number;
  /** Retry-After sent when a fail-closed policy turns a request away for want of counters. */
  unavailableRetryAfterSeconds: number;
  /** Prefix of every Redis key the limiter writes. */
  prefix: string;
  /** Proxies (addresses or CIDR ranges) whose X-Forwarded-For is believed. */
  trustedProxies: string[];
}

/** Overrides for {@link rateLimitConfig}; anything left out takes its default. */
export interface RateLimitConfigInput {
  perCredential?: Partial<PolicyConfig>;
  tokenFailuresPerIp?: Partial<PolicyConfig>;
  costs?: Record<string, number>;
  timeoutMs?: number;
  unavailableRetryAfterSeconds?: number;
  prefix?: string;
  trustedProxies?: string[];
}

/**
 * Defaults sized for a partner's back office: 600 units a minute is ten plain calls a second, or
 * 120 slot searches a minute. Ten failed token requests a minute from one address is far more
 * than a misconfigured client needs to notice its mistake, and far too few to guess anything.
 */
export const DEFAULT_RATE_LIMIT_CONFIG: RateLimitConfig = {
  perCredential: { limit: 600, windowSeconds: 60, failMode: 'open' },
  tokenFailuresPerIp: { limit: 10, windowSeconds: 60, failMode: 'closed' },
  costs: { 'providers.slots': 5, 'providers.search:availability': 5 },
  timeoutMs: 200,
  unavailableRetryAfterSeconds: 5,
  prefix: 'tahoon:ratelimit',
  trustedProxies: [],
};

const policySchema = z.strictObject({
  limit: z.int().min(1).max(10_000_000),
  windowSeconds: z.int().min(1).max(86_400),
  failMode: z.enum(['open', 'closed']),
});

/** An address, or a CIDR range written with a four-part IPv4 or any IPv6 prefix. */
export function isProxySpec(value: string): boolean {
  if (value.includes('/')) {
    return ipaddr.IPv4.isValidCIDRFourPartDecimal(value) || ipaddr.IPv6.isValidCIDR(value);
  }
  return ipaddr.IPv4.isValidFourPartDecimal(value) || ipaddr.IPv6.isValid(value);
}

export const rateLimitConfigSchema = z.strictObject({
  perCredential: policySchema,
  tokenFailuresPerIp: policySchema,
  costs: z.record(z.string().min(1), z.int().min(0).max(10_000)),
  // Above a few seconds the limiter would itself become the outage it is meant to survive.
  timeoutMs: z.int().min(1).max(5_000),
  unavailableRetryAfterSeconds: z.int().min(1).max(3_600),
  prefix: z.string().min(1).max(100),
  trustedProxies: z.array(z.string().refine(isProxySpec, 'must be an IP address or CIDR range')),
});

/**
 * The limiter's settings: the defaults with `input` laid over them, validated at once so every
 * problem is reported together. Throws a ZodError naming each bad field.
 *
 * @example
 * const config = rateLimitConfig({ perCredential: { limit: 100_000 } }); // a benchmark run
 */
export function rateLimitConfig(input: RateLimitConfigInput = {}): RateLimitConfig {
  const defaults = DEFAULT_RATE_LIMIT_CONFIG;
  return rateLimitConfigSchema.parse({
    ...defaults,
    ...input,
    perCredential: { ...defaults.perCredential, ...input.perCredential },
    tokenFailuresPerIp: { ...defaults.tokenFailuresPerIp, ...input.tokenFailuresPerIp },
    costs: { ...defaults.costs, ...input.costs },
    trustedProxies: input.trustedProxies ?? defaults.trustedProxies,
  });
}
