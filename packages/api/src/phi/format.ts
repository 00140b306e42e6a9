import { decodeBase64Url, encodeBase64Url } from './base64url.js';

/** The only stored format so far; a later one gets a new prefix and its own parser. */
export const PHI_FORMAT_VERSION = 'v1';

/** GCM's recommended nonce size: 96 bits, drawn fresh for every value. */
export const PHI_IV_BYTES = 12;

/** GCM's full 128-bit tag; shorter tags are never written or accepted. */
export const PHI_TAG_BYTES = 16;

/** Plaintext is padded to a multiple of this before encryption (see `cipher.ts`). */
export const PHI_PAD_BLOCK = 16;

/** Longest plaintext accepted, in UTF-8 bytes: PHI fields are short; this bounds parsing work. */
export const PHI_MAX_PLAINTEXT_BYTES = 4096;

const MAX_SEALED_BYTES = PHI_MAX_PLAINTEXT_BYTES + PHI_PAD_BLOCK + PHI_TAG_BYTES;

/**
 * `v1.<keyId>.<iv>.<sealed>`: the IV (16 base64url characters) and the ciphertext with its tag
 * appended, both unpadded base64url.
 */
const STORED_V1 = /^v1\.([A-Za-z0-9_-]{1,32})\.([A-Za-z0-9_-]{16})\.([A-Za-z0-9_-]+)$/;

export interface StoredPhiParts {
  readonly keyId: string;
  readonly iv: Uint8Array;
  /** Ciphertext followed by the 16-byte GCM tag, as Web Crypto returns it. */
  readonly sealed: Uint8Array;
}

export function formatStoredPhi(parts: StoredPhiParts): string {
  const iv = encodeBase64Url(parts.iv);
  return `${PHI_FORMAT_VERSION}.${parts.keyId}.${iv}.${encodeBase64Url(parts.sealed)}`;
}

/** Padded plaintext is at least one block, always whole blocks, then the tag. */
function isSealedLength(length: number): boolean {
  const body = length - PHI_TAG_BYTES;
  return body >= PHI_PAD_BLOCK && body % PHI_PAD_BLOCK === 0 && length <= MAX_SEALED_BYTES;
}

/**
 * Splits a stored value into its parts, or returns null for anything that is not exactly a v1
 * value: unknown version, extra or missing parts, non-canonical base64url, a wrong IV size, or
 * a sealed length the writer cannot produce.
 *
 * @example
 * parseStoredPhi('v1.k1.AAAAAAAAAAAAAAAA.…')?.keyId; // 'k1'
 */
export function parseStoredPhi(stored: string): StoredPhiParts | null {
  if (stored.length > 2 * MAX_SEALED_BYTES) return null;
  const match = STORED_V1.exec(stored);
  if (!match) return null;

  const [, keyId = '', ivText = '', sealedText = ''] = match;
  const iv = decodeBase64Url(ivText);
  const sealed = decodeBase64Url(sealedText);
  if (!iv || iv.length !== PHI_IV_BYTES) return null;
  if (!sealed || !isSealedLength(sealed.length)) return null;
  return { keyId, iv, sealed };
}

/**
 * The key id of a stored value without decrypting it, or null when the value is not in the
 * stored format. In SQL the same id is `split_part(column, '.', 2)`.
 */
export function storedPhiKeyId(stored: string): string | null {
  return parseStoredPhi(stored)?.keyId ?? null;
}
