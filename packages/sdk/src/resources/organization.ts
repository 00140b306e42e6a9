import { type Http, paramsObject } from '../http.js';
import type { RequestOptions, WriteRequestOptions } from '../options.js';
import type { WithRequestId } from '../pagination.js';
import type { OrganizationSettings, OrganizationUpdate } from '../types.js';

/**
 * `client.organization`: your organization's settings. These calls need a token with the
 * `credentials:admin` scope.
 *
 * @example
 * await client.organization.update({ requireSignedRequests: true });
 */
export interface OrganizationApi {
  /**
   * Reads the settings.
   *
   * @example
   * const { requireSignedRequests } = await client.organization.get();
   */
  get(options?: RequestOptions): Promise<WithRequestId<OrganizationSettings>>;

  /**
   * Changes the given settings. Requiring signed requests needs an active signing key.
   *
   * @example
   * await client.organization.update({ requireSignedRequests: true });
   */
  update(
    changes: OrganizationUpdate,
    options?: WriteRequestOptions,
  ): Promise<WithRequestId<OrganizationSettings>>;
}

export function organizationApi(http: Http): OrganizationApi {
  return {
    get: async (options) => http.read('/v1/organization', undefined, options),
    update: async (changes, options) =>
      http.write('PATCH', '/v1/organization', paramsObject(changes, 'changes'), options),
  };
}
