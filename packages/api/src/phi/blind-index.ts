import { encodeBase64Url } from './base64url.js';

/**
 * The fields looked up by equality. Adding a kind changes no existing index value, since the kind
 * is part of every MAC input.
 */
export type BlindIndexKind = 'email' | 'externalId' | 'deviceToken';

const MAX_ORGANIZATION_ID_LENGTH = 128;

/**
 * The form two values must share to be "equal". Emails are trimmed and lower-cased, since
 * partners send them with stray case; external ids are the partner's own keys and compared
 * exactly.
 */
export function normaliseForIndex(kind: BlindIndexKind, value: string): string {
  return kind === 'email' ? value.trim().toLowerCase() : value;
}

/**
 * HMAC-SHA256 under the index key, over the normalised value: a fixed 43-character base64url
 * string the store can keep in an indexed column and compare for equality, while a dump without
 * the key cannot be searched or reversed by guessing common emails.
 *
 * The MAC input carries the kind and the organization id, so equal emails in two organizations
 * (or an email equal to some external id) give unrelated index values and rows cannot be linked
 * across partners.
 *
 * The index key cannot be rotated by re-encrypting: a new index key changes every index value,
 * so rotating it means recomputing the index column of every row from its decrypted value (a
 * full re-index); until that finishes, a lookup has to try the old key as well.
 *
 * @example
 * const emailIndex = await blindIndex('email', ' Sara@Example.org', organizationId, ring.indexKey);
 */
export async function blindIndex(
  kind: BlindIndexKind,
  value: string,
  organizationId: string,
  indexKey: CryptoKey,
): Promise<string> {
  const normalised = normaliseForIndex(kind, value);
  if (normalised === '') throw new TypeError(`PHI blind index of an empty ${kind}`);
  if (organizationId === '' || organizationId.length > MAX_ORGANIZATION_ID_LENGTH) {
    throw new TypeError('PHI blind index needs an organization id');
  }

  const input = JSON.stringify(['tahoon.phi.index', 'v1', kind, organizationId, normalised]);
  const mac = await crypto.subtle.sign('HMAC', indexKey, new TextEncoder().encode(input));
  return encodeBase64Url(new Uint8Array(mac));
}
