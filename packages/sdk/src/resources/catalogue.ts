import type { Http } from '../http.js';
import type { RequestOptions } from '../options.js';
import type { WithRequestId } from '../pagination.js';
import type { Catalogue } from '../types.js';

/**
 * `client.catalogue`: the values provider filters accept.
 *
 * @example
 * const catalogue = await client.catalogue.get();
 * const canFilter = catalogue.specialties.includes('grief');
 */
export interface CatalogueApi {
  /**
   * Reads the catalogue: specialties, languages, provider types, genders and currencies.
   *
   * @example
   * const { languages } = await client.catalogue.get();
   */
  get(options?: RequestOptions): Promise<WithRequestId<Catalogue>>;
}

export function catalogueApi(http: Http): CatalogueApi {
  return {
    get: async (options) => http.read<Catalogue>('/v1/catalogue', undefined, options),
  };
}
