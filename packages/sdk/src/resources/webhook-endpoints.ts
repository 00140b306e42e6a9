import { type Http, paramsObject, pathId } from '../http.js';
import type { RequestOptions, WriteRequestOptions } from '../options.js';
import type { PagePromise, WithRequestId } from '../pagination.js';
import type {
  PageParams,
  Queued,
  WebhookDelivery,
  WebhookEndpoint,
  WebhookEndpointCreate,
  WebhookEndpointDeletion,
  WebhookEndpointUpdate,
  WebhookEndpointWithSecret,
  WebhookReplayParams,
  WebhookSecretRotateParams,
} from '../types.js';

/**
 * `client.webhookEndpoints`: the URLs Tahoon delivers your events to. These calls need a token
 * with the `webhooks:manage` scope. Deliveries are signed the Standard Webhooks way with the
 * endpoint's secret; see the README for verifying them.
 *
 * @example
 * const endpoint = await client.webhookEndpoints.create({
 *   url: 'https://hooks.clinic.example/tahoon',
 *   eventTypes: ['booking.confirmed', 'booking.cancelled'],
 * });
 * await secrets.put('tahoon-webhook', endpoint.secret); // shown this once
 */
export interface WebhookEndpointsApi {
  /**
   * Registers an endpoint and answers it with its signing secret (`whsec_…`), shown this once.
   * A URL that is not https on a public host fails with `VALIDATION_FAILED`.
   *
   * @example
   * const { id, secret } = await client.webhookEndpoints.create({ url });
   */
  create(
    input: WebhookEndpointCreate,
    options?: WriteRequestOptions,
  ): Promise<WithRequestId<WebhookEndpointWithSecret>>;

  /**
   * Lists your endpoints, without their secrets.
   *
   * @example
   * const { data } = await client.webhookEndpoints.list();
   * const disabled = data.filter((e) => !e.enabled);
   */
  list(options?: RequestOptions): Promise<WithRequestId<{ data: WebhookEndpoint[] }>>;

  /**
   * Reads one endpoint and its health: `enabled`, `consecutiveFailures`, `failingSince`.
   *
   * @example
   * const endpoint = await client.webhookEndpoints.get('wep_k3m9q2x7w4n8p5rt');
   */
  get(id: string, options?: RequestOptions): Promise<WithRequestId<WebhookEndpoint>>;

  /**
   * Changes the given fields. `enabled: true` re-enables a disabled endpoint and forgets its
   * failures; `null` clears the description or the event filter.
   *
   * @example
   * await client.webhookEndpoints.update('wep_k3m9q2x7w4n8p5rt', { enabled: true });
   */
  update(
    id: string,
    changes: WebhookEndpointUpdate,
    options?: WriteRequestOptions,
  ): Promise<WithRequestId<WebhookEndpoint>>;

  /**
   * Removes an endpoint and its delivery log.
   *
   * @example
   * await client.webhookEndpoints.delete('wep_k3m9q2x7w4n8p5rt');
   */
  delete(
    id: string,
    options?: WriteRequestOptions,
  ): Promise<WithRequestId<WebhookEndpointDeletion>>;

  /**
   * Replaces the signing secret and answers the new one, shown this once. Until
   * `previousSecretExpiresAt` every delivery carries a signature under each secret, so the new
   * one can be rolled out first.
   *
   * @example
   * const { secret, previousSecretExpiresAt } = await client.webhookEndpoints.rotateSecret(
   *   'wep_k3m9q2x7w4n8p5rt', { overlapSeconds: 3600 },
   * );
   */
  rotateSecret(
    id: string,
    params?: WebhookSecretRotateParams,
    options?: WriteRequestOptions,
  ): Promise<WithRequestId<WebhookEndpointWithSecret>>;

  /**
   * The delivery attempts made to an endpoint, newest first. Await it for one page or iterate
   * it for all.
   *
   * @example
   * for await (const attempt of client.webhookEndpoints.deliveries('wep_k3m9q2x7w4n8p5rt')) {
   *   if (attempt.error !== null) console.log(attempt.eventId, attempt.error);
   * }
   */
  deliveries(
    id: string,
    params?: PageParams,
    options?: RequestOptions,
  ): PagePromise<WebhookDelivery>;

  /**
   * Queues the events after `after` (and before `before`) for this endpoint again, oldest
   * first and a bounded number per call; call again from the last event replayed for more.
   * A disabled endpoint fails with `INVALID_STATE`.
   *
   * @example
   * const { queued } = await client.webhookEndpoints.replay('wep_k3m9q2x7w4n8p5rt', {
   *   after: lastEventSeen,
   * });
   */
  replay(
    id: string,
    params: WebhookReplayParams,
    options?: WriteRequestOptions,
  ): Promise<WithRequestId<Queued>>;
}

export function webhookEndpointsApi(http: Http): WebhookEndpointsApi {
  const path = (id: string) => `/v1/webhook-endpoints/${pathId(id, 'id')}`;
  return {
    create: async (input, options) =>
      http.write('POST', '/v1/webhook-endpoints', paramsObject(input, 'input'), options),

    list: async (options) => http.read('/v1/webhook-endpoints', undefined, options),

    get: async (id, options) => http.read(path(id), undefined, options),

    update: async (id, changes, options) =>
      http.write('PATCH', path(id), paramsObject(changes, 'changes'), options),

    delete: async (id, options) => http.write('DELETE', path(id), undefined, options),

    rotateSecret: async (id, params, options) =>
      http.write('POST', `${path(id)}/rotate-secret`, paramsObject(params, 'params'), options),

    deliveries: (id, params, options) =>
      http.list<WebhookDelivery>(() => `${path(id)}/deliveries`, params, options),

    replay: async (id, params, options) =>
      http.write('POST', `${path(id)}/replay`, paramsObject(params, 'params'), options),
  };
}
