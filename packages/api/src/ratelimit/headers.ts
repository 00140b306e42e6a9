import { POLICY_IDS, type RateLimitDecision } from './limiter.js';

/**
 * The response fields of the IETF RateLimit header draft (draft-ietf-httpapi-ratelimit-headers,
 * structured-field syntax of revision 10): `RateLimit-Policy: "credential";q=600;w=60` states
 * the quota, `RateLimit: "credential";r=42;t=17` what is left and the seconds until more.
 */
export interface RateLimitHeaders {
  allowed: boolean;
  headers: Record<string, string>;
}

/** Whole seconds until `atMs`, never negative; rounded up so a client never retries too early. */
function secondsUntil(atMs: number, nowMs: number): number {
  return Math.max(0, Math.ceil((atMs - nowMs) / 1000));
}

/**
 * The headers to set for a decision, and whether the request may proceed. A denied request also
 * gets `Retry-After`, equal to the RateLimit reset so the two never disagree. When the counters
 * were unavailable and the policy failed open, the remaining quota is unknown and the draft's
 * RateLimit field (whose `r` is required) is left out; the policy is still advertised.
 *
 * @example
 * const { allowed, headers } = rateLimitHeaders(await limiter.consume('perCredential', id));
 */
export function rateLimitHeaders(
  decision: RateLimitDecision,
  nowMs = Date.now(),
): RateLimitHeaders {
  const id = POLICY_IDS[decision.policy];
  const headers: Record<string, string> = {
    'ratelimit-policy': `"${id}";q=${decision.limit};w=${decision.windowSeconds}`,
  };
  if (decision.remaining === null || decision.resetAtMs === null) {
    return { allowed: decision.allowed, headers };
  }

  const reset = secondsUntil(decision.resetAtMs, nowMs);
  headers.ratelimit = `"${id}";r=${decision.remaining};t=${reset}`;
  if (!decision.allowed) headers['retry-after'] = String(Math.max(1, reset));
  return { allowed: decision.allowed, headers };
}
