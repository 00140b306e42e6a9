import { type Http, pathId, queryOf } from '../http.js';
import type { RequestOptions } from '../options.js';
import type { PagePromise, WithRequestId } from '../pagination.js';
import type { Provider, ProviderSearchParams, SlotList, SlotsParams } from '../types.js';

/**
 * `client.providers`: finding a provider and their free time.
 *
 * @example
 * const { data } = await client.providers.search({ specialty: 'anxiety', language: 'ar' });
 */
export interface ProvidersApi {
  /**
   * Finds providers matching every filter given. Await it for one page or iterate it for all.
   *
   * @example
   * const page = await client.providers.search({
   *   specialty: 'depression', region: 'SA', acceptingNewPatients: true, sort: 'earliest',
   * });
   */
  search(params?: ProviderSearchParams, options?: RequestOptions): PagePromise<Provider>;

  /**
   * Reads one provider.
   *
   * @example
   * const provider = await client.providers.get('prv_k3m9q2x7w4n8p5rt');
   */
  get(id: string, options?: RequestOptions): Promise<WithRequestId<Provider>>;

  /**
   * The provider's free slots for a session of `duration` minutes between `from` and `to`,
   * rendered in `timeZone`. Pass a slot's `start` to `bookings.create` as it is.
   *
   * @example
   * const { data: slots } = await client.providers.slots('prv_k3m9q2x7w4n8p5rt', {
   *   from: '2026-05-03T00:00:00+03:00', to: '2026-05-04T00:00:00+03:00',
   *   duration: 50, timeZone: 'Asia/Riyadh',
   * });
   */
  slots(
    id: string,
    params: SlotsParams,
    options?: RequestOptions,
  ): Promise<WithRequestId<SlotList>>;
}

export function providersApi(http: Http): ProvidersApi {
  return {
    search: (params, options) => http.list<Provider>('/v1/providers', params, options),

    get: async (id, options) =>
      http.read<Provider>(`/v1/providers/${pathId(id, 'id')}`, undefined, options),

    slots: async (id, params, options) =>
      http.read<SlotList>(
        `/v1/providers/${pathId(id, 'id')}/slots`,
        queryOf(params, 'params'),
        options,
      ),
  };
}
