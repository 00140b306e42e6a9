import { type Http, paramsObject, pathId } from '../http.js';
import type { RequestOptions, WriteRequestOptions } from '../options.js';
import type { PagePromise, WithRequestId } from '../pagination.js';
import type { EventListParams, EventRedeliverParams, Queued, TahoonEvent } from '../types.js';

/**
 * `client.events`: everything Tahoon has told your webhooks, in order, so that you can recover
 * what a webhook missed. Listing needs the `events:read` scope, redelivering `webhooks:manage`.
 *
 * @example
 * let last = await checkpoint.read(); // the id of the last event you processed, or undefined
 * for await (const event of client.events.list({ after: last })) {
 *   await handle(event);
 *   await checkpoint.write((last = event.id));
 * }
 */
export interface EventsApi {
  /**
   * Your events oldest first, after the event named by `after` (from the very first without
   * it). Await it for one page or iterate it for every event up to now. A page's `nextCursor`
   * is the id of its last event while more follow, `null` on the last page: keep the id of the
   * last event you processed and list again after it later. Events are listed a few seconds
   * after they occur, so none written by a slower transaction is ever skipped. An unknown
   * `after` fails with `NOT_FOUND`.
   *
   * @example
   * const page = await client.events.list({ after: 'evt_k3m9q2x7w4n8p5rt', limit: 100 });
   * const resumeAfter = page.data.at(-1)?.id ?? 'evt_k3m9q2x7w4n8p5rt';
   */
  list(params?: EventListParams, options?: RequestOptions): PagePromise<TahoonEvent>;

  /**
   * Sends one event again to every enabled endpoint whose filter takes it, or only to
   * `endpointId`. The delivery's `webhook-id` stays the event id, so your deduplication still
   * works. A disabled `endpointId` fails with `INVALID_STATE`.
   *
   * @example
   * const { queued } = await client.events.redeliver('evt_k3m9q2x7w4n8p5rt', {
   *   endpointId: 'wep_k3m9q2x7w4n8p5rt',
   * });
   */
  redeliver(
    id: string,
    params?: EventRedeliverParams,
    options?: WriteRequestOptions,
  ): Promise<WithRequestId<Queued>>;
}

export function eventsApi(http: Http): EventsApi {
  return {
    list: (params, options) => http.list<TahoonEvent>('/v1/events', params, options, 'after'),

    redeliver: async (id, params, options) =>
      http.write(
        'POST',
        `/v1/events/${pathId(id, 'id')}/redeliver`,
        paramsObject(params, 'params'),
        options,
      ),
  };
}
