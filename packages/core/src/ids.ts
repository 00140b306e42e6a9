/**
 * Prefixed, random public ids. The prefix says what an id names, so ids read well in logs and
 * support tickets; the random part is 80 bits, never sequential.
 *
 * @example
 * formatId('bkg', crypto.getRandomValues(new Uint8Array(ID_RANDOM_LENGTH))); // 'bkg_k3m9…'
 */
export const ID_PREFIX = {
  organization: 'org',
  credential: 'cred',
  patient: 'pat',
  provider: 'prv',
  booking: 'bkg',
  request: 'req',
  room: 'room',
  event: 'evt',
  outboxMessage: 'obx',
  webhookEndpoint: 'wep',
  webhookDelivery: 'wdl',
  device: 'dev',
  notification: 'ntf',
  auditEvent: 'aud',
  signingKey: 'sgk',
  credentialSecret: 'csec',
} as const;

export type IdPrefix = (typeof ID_PREFIX)[keyof typeof ID_PREFIX];

/** 32 symbols without look-alikes (no 0/o, 1/l): one symbol per 5 bits, so no modulo bias. */
const ALPHABET = 'abcdefghijkmnpqrstuvwxyz23456789';

/** Characters in the random part of an id. */
export const ID_RANDOM_LENGTH = 16;

export function formatId(prefix: IdPrefix, randomBytes: Uint8Array): string {
  if (randomBytes.length < ID_RANDOM_LENGTH) throw new RangeError('not enough random bytes');
  let out = prefix + '_';
  for (let i = 0; i < ID_RANDOM_LENGTH; i++) out += ALPHABET[(randomBytes[i] ?? 0) & 31];
  return out;
}

const ID_PATTERN = new RegExp(`^[a-z]{3,4}_[${ALPHABET}]{${ID_RANDOM_LENGTH}}$`);

/** True when `value` looks like an id with the given prefix (it may still name nothing). */
export function isId(prefix: IdPrefix, value: string): boolean {
  return value.startsWith(prefix + '_') && ID_PATTERN.test(value);
}
