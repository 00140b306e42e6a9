import type { Config } from '../config.js';
import type { UrlPolicy } from '../webhooks/ssrf.js';

/**
 * Which webhook URLs this deployment accepts. Strict by default (https, public addresses,
 * ports 443 and 8443); `TAHOON_WEBHOOK_ALLOW_LOCAL=true` additionally admits http, loopback and
 * any port, so a developer (or a test) can receive webhooks on this machine. Private,
 * link-local and metadata addresses stay refused either way, and production refuses the
 * setting at boot.
 *
 * @example
 * const guard = createUrlGuard({ policy: webhookUrlPolicy(config), resolve });
 */
export function webhookUrlPolicy(config: Pick<Config, 'TAHOON_WEBHOOK_ALLOW_LOCAL'>): UrlPolicy {
  if (config.TAHOON_WEBHOOK_ALLOW_LOCAL !== 'true') return {};
  return { allowInsecure: true, allowLoopback: true, allowedPorts: 'any' };
}
