import type { ResiliencePolicy } from '../../resilience/policies.js';
import { createFcmPush } from './fcm.js';
import type { PushLogger } from './fcm.js';
import { parseServiceAccount } from './google-token.js';
import type { ServiceAccount } from './google-token.js';
import type { PushResult, PushSender } from './types.js';

export { createFcmPush, FCM_API_BASE, FcmError, fcmFailure } from './fcm.js';
export type { FcmErrorCode, FcmPushOptions, PushLogger } from './fcm.js';
export { createAccessTokens, FCM_SCOPE, parseServiceAccount } from './google-token.js';
export type { AccessTokens, ServiceAccount } from './google-token.js';
export { BOOKING_PUSH_TYPES, bookingNotification } from './messages.js';
export type { BookingPushEvent, BookingPushType } from './messages.js';
export type { PushMessage, PushNotification, PushResult, PushSender } from './types.js';

export interface PushConfig {
  fcm?: {
    /** The service account's JSON key, as text (e.g. from the environment) or parsed. */
    serviceAccount?: string | ServiceAccount | undefined;
    apiBase?: string;
    tokenUri?: string;
    requestTimeoutMs?: number;
  };
  policy?: ResiliencePolicy;
  logger?: PushLogger;
  fetch?: typeof globalThis.fetch;
  now?: () => number;
}

/** What an unconfigured deployment answers for every notification. */
export const PUSH_NOT_CONFIGURED: Extract<PushResult, { status: 'undeliverable' }> = {
  status: 'undeliverable',
  reason: 'push not configured',
};

/**
 * The push sender for this deployment: FCM when a service account is configured, else a
 * sender that answers every notification with `undeliverable`, so the outbox records it as
 * such rather than believing it went out. A service account that is present but unusable
 * (bad JSON, a missing field) is refused at boot instead of quietly turning push off.
 *
 * @example
 * const fcm = { serviceAccount: env.FCM_SERVICE_ACCOUNT_JSON };
 * const push = createPush({ fcm, policy, logger });
 * push.name; // 'fcm', or 'unconfigured' when the variable is unset
 */
export function createPush(config: PushConfig): PushSender {
  const account = config.fcm?.serviceAccount;
  const blank = account === undefined || (typeof account === 'string' && account.trim() === '');
  if (blank) return createUnconfiguredPush(config.logger);

  const { apiBase, tokenUri, requestTimeoutMs } = config.fcm ?? {};
  return createFcmPush({
    serviceAccount: parseServiceAccount(account),
    ...(apiBase ? { apiBase } : {}),
    ...(tokenUri ? { tokenUri } : {}),
    ...(requestTimeoutMs ? { requestTimeoutMs } : {}),
    ...(config.policy ? { policy: config.policy } : {}),
    ...(config.logger ? { logger: config.logger } : {}),
    ...(config.fetch ? { fetch: config.fetch } : {}),
    ...(config.now ? { now: config.now } : {}),
  });
}

/** Records every notification as undeliverable; never sends and never drops silently. */
function createUnconfiguredPush(logger: PushLogger | undefined): PushSender {
  return {
    name: 'unconfigured',
    async send() {
      logger?.warn({ dependency: 'fcm', reason: PUSH_NOT_CONFIGURED.reason }, 'push not delivered');
      return { ...PUSH_NOT_CONFIGURED };
    },
  };
}
