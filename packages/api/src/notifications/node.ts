import type { Deps } from '../deps.js';
import { createPush } from '../adapters/push/index.js';
import type { OutboxHandlers } from '../outbox/types.js';
import { createPolicy } from '../resilience/policies.js';
import { lookupAddresses } from '../webhooks/node-resolver.js';
import { createPinnedFetch } from '../webhooks/pinned-fetch.js';
import { createUrlGuard } from '../webhooks/ssrf.js';
import { createNotificationHandlers } from './handlers.js';
import { webhookUrlPolicy } from './policy.js';

/**
 * The notification handlers as a Node deployment runs them: webhooks through the pinned fetch
 * under the configured URL policy, push through FCM when `TAHOON_FCM_SERVICE_ACCOUNT` is set
 * (else every notification is recorded as undeliverable).
 *
 * @example
 * const outbox = createOutbox({ ...parts, handlers: createNodeNotificationHandlers(deps) });
 */
export function createNodeNotificationHandlers(
  deps: Pick<Deps, 'config' | 'store' | 'ids' | 'logger' | 'webhookResolver'>,
): OutboxHandlers {
  const policy = webhookUrlPolicy(deps.config);
  const resolve = deps.webhookResolver ?? lookupAddresses;
  const { TAHOON_FCM_SERVICE_ACCOUNT, TAHOON_FCM_API_BASE } = deps.config;
  const push = createPush({
    fcm: {
      serviceAccount: TAHOON_FCM_SERVICE_ACCOUNT,
      ...(TAHOON_FCM_API_BASE ? { apiBase: TAHOON_FCM_API_BASE } : {}),
    },
    policy: createPolicy('fcm', {}, deps.logger),
    logger: deps.logger,
  });
  return createNotificationHandlers({
    store: deps.store,
    ids: deps.ids,
    logger: deps.logger,
    push,
    fetch: createPinnedFetch({ policy, resolve }),
    guard: createUrlGuard({ policy, resolve }),
    timeoutMs: deps.config.TAHOON_WEBHOOK_TIMEOUT_MS,
  });
}
