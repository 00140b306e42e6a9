import { type Http, paramsObject, pathId } from '../http.js';
import type { RequestOptions, WriteRequestOptions } from '../options.js';
import type { WithRequestId } from '../pagination.js';
import type {
  CreatedCredential,
  Credential,
  CredentialCreate,
  CredentialRotateParams,
  CredentialRotation,
} from '../types.js';

/**
 * `client.credentials`: your organization's OAuth client credentials. These calls need a token
 * with the `credentials:admin` scope. Client secrets are answered once, by `create` and
 * `rotate`; lists and reads show only their ids and ages.
 *
 * @example
 * const { clientSecret } = await client.credentials.rotate(clientId, {
 *   previousSecretExpiresInSeconds: 3600,
 * });
 * await vault.put('tahoon-client-secret', clientSecret); // then restart with it within the hour
 */
export interface CredentialsApi {
  /**
   * Lists your credentials with their secrets' ids and ages, never the secrets.
   *
   * @example
   * const { data } = await client.credentials.list();
   */
  list(options?: RequestOptions): Promise<WithRequestId<{ data: Credential[] }>>;

  /**
   * Reads one credential.
   *
   * @example
   * const { status, secrets } = await client.credentials.get('cred_k3m9q2x7w4n8p5rt');
   */
  get(id: string, options?: RequestOptions): Promise<WithRequestId<Credential>>;

  /**
   * Creates a credential and answers its client secret, shown this once. Without `scopes` it
   * gets every scope of the calling token; asking for a scope the caller does not hold fails
   * with `FORBIDDEN`, for one that does not exist with `VALIDATION_FAILED`.
   *
   * @example
   * const { id, clientSecret } = await client.credentials.create({
   *   label: 'Reminder service', scopes: ['bookings:read', 'events:read'],
   * });
   */
  create(
    input?: CredentialCreate,
    options?: WriteRequestOptions,
  ): Promise<WithRequestId<CreatedCredential>>;

  /**
   * Issues a new client secret, shown this once. The credential's current secrets keep working
   * until `previousSecretsExpireAt` (a day by default, `0` ends them now). A revoked or
   * expired credential fails with `INVALID_STATE`.
   *
   * @example
   * const { clientSecret, previousSecretsExpireAt } = await client.credentials.rotate(
   *   'cred_k3m9q2x7w4n8p5rt',
   * );
   */
  rotate(
    id: string,
    params?: CredentialRotateParams,
    options?: WriteRequestOptions,
  ): Promise<WithRequestId<CredentialRotation>>;

  /**
   * Revokes a credential: its secrets and every access token issued to it stop working on their
   * next use.
   *
   * @example
   * const { status } = await client.credentials.revoke('cred_k3m9q2x7w4n8p5rt'); // 'revoked'
   */
  revoke(id: string, options?: WriteRequestOptions): Promise<WithRequestId<Credential>>;
}

export function credentialsApi(http: Http): CredentialsApi {
  const path = (id: string) => `/v1/credentials/${pathId(id, 'id')}`;
  return {
    list: async (options) => http.read('/v1/credentials', undefined, options),

    get: async (id, options) => http.read(path(id), undefined, options),

    create: async (input, options) =>
      http.write('POST', '/v1/credentials', paramsObject(input, 'input'), options),

    rotate: async (id, params, options) =>
      http.write('POST', `${path(id)}/rotate`, paramsObject(params, 'params'), options),

    revoke: async (id, options) => http.write('DELETE', path(id), undefined, options),
  };
}
