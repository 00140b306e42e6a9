/**
 * Rate limiting for the gateway: per-credential quotas weighted by operation cost, per-address
 * limits on failed token requests, IETF RateLimit headers, and counters in Redis or in process.
 */
export {
  DEFAULT_RATE_LIMIT_CONFIG,
  POLICY_NAMES,
  rateLimitConfig,
  rateLimitConfigSchema,
  type FailMode,
  type PolicyConfig,
  type PolicyName,
  type RateLimitConfig,
  type RateLimitConfigInput,
} from './config.js';
export {
  createRateLimiter,
  POLICY_IDS,
  type RateLimitDecision,
  type RateLimiter,
  type RateLimiterOptions,
  type RateLimitLogger,
} from './limiter.js';
export { rateLimitHeaders, type RateLimitHeaders } from './headers.js';
export { clientIp, ipRateLimitKey, parseAddress, type ClientIpOptions } from './client-ip.js';
export { AVAILABILITY_SEARCH, operationCost, operationsOf, requestCost } from './operations.js';
export {
  credentialRateLimit,
  rateLimitedResponse,
  tokenFailureRateLimit,
  type CredentialRateLimitOptions,
  type TokenFailureRateLimitOptions,
} from './middleware.js';
export {
  connectRateLimitRedis,
  ioredisRequester,
  rateLimitRedisOptions,
  upstashOverIoredis,
  type RateLimitRedisOptions,
} from './redis.js';
