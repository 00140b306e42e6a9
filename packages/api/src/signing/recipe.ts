import { canonicalString, type SignedParts } from '@tahoon/core';
import { encodeBase64Url } from '../phi/index.js';
import { fromHex, toHex } from '../crypto.js';

/**
 * The cryptography of the signed-request recipe, in Web Crypto only so it runs wherever the app
 * does. The HMAC key is the signing secret's own text (`tks_…`) as UTF-8 bytes, which is what a
 * partner's `openssl dgst -hmac` or `hmac.new` naturally uses.
 */

const encoder = new TextEncoder();

/** A new signing secret: `tks_` and 256 random bits in base64url. */
export function newSigningSecret(): string {
  return `tks_${encodeBase64Url(crypto.getRandomValues(new Uint8Array(32)))}`;
}

export function importSigningSecret(secret: string): Promise<CryptoKey> {
  return crypto.subtle.importKey(
    'raw',
    encoder.encode(secret),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign', 'verify'],
  );
}

/** Lowercase hex SHA-256 of a body; the empty string's hash when there is none. */
export async function sha256Hex(body: Uint8Array<ArrayBuffer> | string = ''): Promise<string> {
  const bytes = typeof body === 'string' ? encoder.encode(body) : body;
  return toHex(new Uint8Array(await crypto.subtle.digest('SHA-256', bytes)));
}

/** The `Tahoon-Signature` value for these parts: `v1=` and the lowercase hex HMAC. */
export async function signatureFor(key: CryptoKey, parts: SignedParts): Promise<string> {
  const mac = await crypto.subtle.sign('HMAC', key, encoder.encode(canonicalString(parts)));
  return `v1=${toHex(new Uint8Array(mac))}`;
}

/** Checks a hex MAC in constant time: Web Crypto's verify does the comparison. */
export function macMatches(key: CryptoKey, parts: SignedParts, macHex: string): Promise<boolean> {
  const mac = Uint8Array.from(fromHex(macHex));
  return crypto.subtle.verify('HMAC', key, mac, encoder.encode(canonicalString(parts)));
}
