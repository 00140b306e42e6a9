import type { Context, MiddlewareHandler } from 'hono';
import type { AppEnv } from '../http/env.js';
import { problem, problemResponse } from '../http/problem.js';
import { ipRateLimitKey } from './client-ip.js';
import { rateLimitHeaders } from './headers.js';
import type { RateLimitDecision, RateLimiter } from './limiter.js';
import { requestCost } from './operations.js';

type AppContext = Context<AppEnv>;

function detailFor(decision: RateLimitDecision): string {
  if (decision.state === 'unavailable') {
    return 'Rate limiting is briefly unavailable; retry after the time in Retry-After';
  }
  return decision.policy === 'tokenFailuresPerIp'
    ? 'Too many failed token requests from this address; retry after the time in Retry-After'
    : 'This credential has used its request quota; retry after the time in Retry-After';
}

/**
 * The 429 problem for a denied decision, with its RateLimit headers and Retry-After. A policy
 * that fails closed also answers this way, never with a 5xx: the request is refused on purpose,
 * and a 429 tells the client exactly when to come back.
 */
export function rateLimitedResponse(decision: RateLimitDecision, requestId: string): Response {
  const { headers } = rateLimitHeaders(decision);
  return problemResponse(problem('RATE_LIMITED', detailFor(decision), requestId), headers);
}

function setHeaders(c: AppContext, headers: Record<string, string>): void {
  for (const [name, value] of Object.entries(headers)) c.res.headers.set(name, value);
}

export interface CredentialRateLimitOptions {
  limiter: RateLimiter;
  /** The verified credential id of the request, or null when it has none (no quota applies). */
  keyOf: (c: AppContext) => string | null | undefined;
  /** Quota units of the request; by default its operations' costs from the configuration. */
  costOf?: (c: AppContext) => number;
}

/**
 * Per-credential quotas: counts each request's cost against its credential, answers 429 once
 * the quota is spent, and sets the RateLimit headers on every response it lets through.
 * Mount it after whatever verifies the credential and sets it on the context.
 *
 * @example
 * const keyOf = (c: Context<AppEnv>) => c.get('principal')?.credentialId;
 * app.use('/v1/*', credentialRateLimit({ limiter, keyOf }));
 */
export function credentialRateLimit(
  options: CredentialRateLimitOptions,
): MiddlewareHandler<AppEnv> {
  const costOf = options.costOf ?? ((c) => requestCost(c.req.raw, options.limiter.config.costs));

  return async (c, next) => {
    const key = options.keyOf(c);
    if (!key) return next();

    const decision = await options.limiter.consume('perCredential', key, costOf(c));
    if (!decision.allowed) return rateLimitedResponse(decision, c.get('requestId'));

    await next();
    setHeaders(c, rateLimitHeaders(decision).headers);
  };
}

export interface TokenFailureRateLimitOptions {
  limiter: RateLimiter;
  /** The client's address, e.g. from {@link clientIp}; null counts under one shared key. */
  ipOf: (c: AppContext) => string | null | undefined;
  /** Which token responses are failures; by default a 401 (credentials not valid). */
  isFailure?: (response: Response) => boolean;
}

const isUnauthenticated = (response: Response) => response.status === 401;

/**
 * Per-address limit on failed token requests. Every attempt is counted before it runs and given
 * back if it succeeds, so the quota counts failures, and parallel guesses cannot all slip in
 * before the first failure is recorded.
 *
 * @example
 * app.use('/v1/oauth/token', tokenFailureRateLimit({ limiter, ipOf: (c) => clientIp(…) }));
 */
export function tokenFailureRateLimit(
  options: TokenFailureRateLimitOptions,
): MiddlewareHandler<AppEnv> {
  const isFailure = options.isFailure ?? isUnauthenticated;

  return async (c, next) => {
    const key = ipRateLimitKey(options.ipOf(c) ?? null);
    let decision = await options.limiter.consume('tokenFailuresPerIp', key);
    if (!decision.allowed) return rateLimitedResponse(decision, c.get('requestId'));

    await next();
    if (decision.state === 'counted' && !isFailure(c.res)) {
      const refunded = await options.limiter.refund('tokenFailuresPerIp', key);
      // A refund the counters missed leaves the attempt counted; the response stands as it is.
      if (refunded.state === 'counted') decision = refunded;
    }
    setHeaders(c, rateLimitHeaders(decision).headers);
  };
}
