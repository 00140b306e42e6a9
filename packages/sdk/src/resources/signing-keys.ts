import { type Http, paramsObject, pathId } from '../http.js';
import type { RequestOptions, WriteRequestOptions } from '../options.js';
import type { WithRequestId } from '../pagination.js';
import type {
  CreatedSigningKey,
  SigningKey,
  SigningKeyCreate,
  SigningKeyRotation,
} from '../types.js';

/**
 * `client.signingKeys`: the keys your credentials sign requests with. These calls need a token
 * with the `credentials:admin` scope.
 *
 * @example
 * const key = await client.signingKeys.create();
 * const signed = new Tahoon({ ...options, signing: { keyId: key.id, secret: key.secret } });
 */
export interface SigningKeysApi {
  /**
   * Lists your organization's signing keys, without their secrets.
   *
   * @example
   * const { data } = await client.signingKeys.list();
   */
  list(options?: RequestOptions): Promise<WithRequestId<{ data: SigningKey[] }>>;

  /**
   * Makes a signing key for the calling credential, or for `credentialId` of your organization.
   *
   * @example
   * const { id, secret } = await client.signingKeys.create({ expiresInSeconds: 90 * 86_400 });
   */
  create(
    input?: SigningKeyCreate,
    options?: WriteRequestOptions,
  ): Promise<WithRequestId<CreatedSigningKey>>;

  /**
   * Makes a new key for the same credential; the old one keeps working for `overlapSeconds`
   * (default one day).
   *
   * @example
   * const { key } = await client.signingKeys.rotate('sgk_k3m9q2x7w4n8p5rt', { overlapSeconds: 600 });
   */
  rotate(
    id: string,
    input?: { overlapSeconds?: number },
    options?: WriteRequestOptions,
  ): Promise<WithRequestId<SigningKeyRotation>>;

  /**
   * Revokes a key at once.
   *
   * @example
   * await client.signingKeys.revoke('sgk_k3m9q2x7w4n8p5rt');
   */
  revoke(id: string, options?: WriteRequestOptions): Promise<WithRequestId<SigningKey>>;
}

export function signingKeysApi(http: Http): SigningKeysApi {
  return {
    list: async (options) => http.read('/v1/signing-keys', undefined, options),
    create: async (input, options) =>
      http.write('POST', '/v1/signing-keys', paramsObject(input, 'input'), options),
    rotate: async (id, input, options) =>
      http.write(
        'POST',
        `/v1/signing-keys/${pathId(id, 'id')}/rotate`,
        paramsObject(input, 'input'),
        options,
      ),
    revoke: async (id, options) =>
      http.write('DELETE', `/v1/signing-keys/${pathId(id, 'id')}`, undefined, options),
  };
}
