import { formatId, ID_RANDOM_LENGTH, type IdGenerator, type IdPrefix } from '@tahoon/core';

/** Ids from Web Crypto randomness. */
export const webIds: IdGenerator = {
  next(prefix: IdPrefix) {
    return formatId(prefix, crypto.getRandomValues(new Uint8Array(ID_RANDOM_LENGTH)));
  },
};

export function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

export function fromHex(hex: string): Uint8Array {
  return Uint8Array.from(hex.match(/../g) ?? [], (h) => parseInt(h, 16));
}

export function randomHex(byteLength: number): string {
  return toHex(crypto.getRandomValues(new Uint8Array(byteLength)));
}

/** HMAC-SHA256 keys for hashing and checking client secrets (Web Crypto, so edge-safe). */
export async function importHmacKey(raw: Uint8Array): Promise<CryptoKey> {
  return crypto.subtle.importKey(
    'raw',
    Uint8Array.from(raw),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign', 'verify'],
  );
}

export async function hmacHex(key: CryptoKey, message: string): Promise<string> {
  const mac = await crypto.subtle.sign('HMAC', key, new TextEncoder().encode(message));
  return toHex(new Uint8Array(mac));
}

/** Constant-time check of a message against a stored MAC: Web Crypto's verify compares safely. */
export async function hmacVerify(
  key: CryptoKey,
  message: string,
  macHex: string,
): Promise<boolean> {
  if (!/^[0-9a-f]{64}$/.test(macHex)) return false;
  const mac = Uint8Array.from(fromHex(macHex));
  return crypto.subtle.verify('HMAC', key, mac, new TextEncoder().encode(message));
}
