/**
 * Partner webhooks, the web-standard part: thin payloads, Standard Webhooks signatures, the SSRF
 * guard, one delivery attempt, and the retry and disable rules. Node-only pieces (system DNS and
 * the pinned fetch) are in ./node.js.
 */
export {
  buildEventPayload,
  serializeEventPayload,
  WEBHOOK_EVENT_TYPES,
  type WebhookEvent,
  type WebhookEventData,
  type WebhookEventType,
  type WebhookPayload,
} from './events.js';
export {
  generateWebhookSecret,
  isWebhookSecret,
  rotateSecret,
  signingSecrets,
  signWebhook,
  ROTATION_OVERLAP_MS,
  WEBHOOK_SECRET_PREFIX,
  type SecretRotation,
  type SignInput,
  type WebhookSignatureHeaders,
} from './signing.js';
export {
  addressRefusal,
  checkWebhookUrl,
  checkWebhookUrlShape,
  createUrlGuard,
  resolveChecked,
  UrlRefusedError,
  MAX_WEBHOOK_URL_LENGTH,
  type Resolver,
  type UrlCheck,
  type UrlGuard,
  type UrlPolicy,
  type UrlRefusal,
  type UrlRefused,
  type UrlShapeCheck,
} from './ssrf.js';
export {
  deliverWebhook,
  judgeResponse,
  parseRetryAfter,
  WEBHOOK_USER_AGENT,
  type DeliveryError,
  type DeliveryInput,
  type DeliveryResult,
  type FetchLike,
} from './delivery.js';
export {
  nextAttemptDelay,
  recordAttempt,
  DISABLE_AFTER_CONSECUTIVE_FAILURES,
  DISABLE_AFTER_FAILING_MS,
  HEALTHY,
  MAX_ATTEMPTS,
  MAX_RETRY_AFTER_MS,
  RETRY_JITTER,
  RETRY_SCHEDULE_MS,
  type DisableReason,
  type EndpointHealth,
  type HealthUpdate,
  type RetryOptions,
} from './retry.js';
