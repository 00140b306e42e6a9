import { encodeBase64Url } from './base64url.js';
import { PhiConfigError } from './errors.js';

/** AES-256 and the blind-index HMAC both take exactly 32 bytes of key. */
export const PHI_KEY_BYTES = 32;

/**
 * Key ids are labels written into every stored value, so they exclude the format's `.` separator
 * and the `:` and `,` of the configuration list.
 */
export const PHI_KEY_ID_PATTERN = /^[A-Za-z0-9_-]{1,32}$/;

/**
 * A random 32-byte key shows about 30 distinct byte values; fewer than this betrays a typed,
 * repeated or zero-filled key. A genuinely random key falls below it with negligible chance.
 */
const MIN_DISTINCT_KEY_BYTES = 16;

export interface PhiKeyEntry {
  readonly id: string;
  readonly bytes: Uint8Array;
}

/** Decoded key material, as read from configuration. */
export interface PhiKeyMaterial {
  readonly keys: readonly PhiKeyEntry[];
  /** The key that encrypts new writes; every key in `keys` decrypts. */
  readonly activeKeyId: string;
  /** The HMAC key of the blind index; never one of the encryption keys. */
  readonly indexKey: Uint8Array;
}

/** Imported, non-extractable keys: what the cipher and the rotation routine work with. */
export interface PhiKeyRing {
  readonly activeKeyId: string;
  readonly keyIds: readonly string[];
  /** The AES-GCM key with this id, or undefined when the ring does not hold it. */
  encryptionKey(keyId: string): CryptoKey | undefined;
  readonly indexKey: CryptoKey;
}

/** Why these bytes cannot be a PHI key, or null when they can. */
export function keyBytesProblem(bytes: Uint8Array): string | null {
  if (bytes.length !== PHI_KEY_BYTES) {
    return `must decode to exactly ${PHI_KEY_BYTES} bytes (got ${bytes.length})`;
  }
  if (new Set(bytes).size < MIN_DISTINCT_KEY_BYTES) return 'is not random enough';
  return null;
}

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

function materialProblems(material: PhiKeyMaterial): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const { id, bytes } of material.keys) {
    if (!PHI_KEY_ID_PATTERN.test(id)) problems.push(`key id ${JSON.stringify(id)} is not allowed`);
    if (seen.has(id)) problems.push(`key id ${id} appears twice`);
    seen.add(id);
    const problem = keyBytesProblem(bytes);
    if (problem) problems.push(`key ${id} ${problem}`);
  }
  if (!seen.has(material.activeKeyId)) {
    problems.push(`active key ${material.activeKeyId} is not among the keys`);
  }
  const indexProblem = keyBytesProblem(material.indexKey);
  if (indexProblem) problems.push(`index key ${indexProblem}`);
  if (material.keys.some((key) => sameBytes(key.bytes, material.indexKey))) {
    problems.push('index key must differ from every encryption key');
  }
  return problems;
}

/**
 * Imports key material into a key ring. The keys are imported non-extractable: once here, no code
 * path can read them back out.
 *
 * @example
 * const keys = [{ id: 'k1', bytes }];
 * const ring = await createPhiKeyRing({ keys, activeKeyId: 'k1', indexKey });
 */
export async function createPhiKeyRing(material: PhiKeyMaterial): Promise<PhiKeyRing> {
  const problems = materialProblems(material);
  if (problems.length > 0) throw new PhiConfigError(problems);

  const imported = new Map<string, CryptoKey>();
  for (const { id, bytes } of material.keys) {
    const key = await crypto.subtle.importKey('raw', Uint8Array.from(bytes), 'AES-GCM', false, [
      'encrypt',
      'decrypt',
    ]);
    imported.set(id, key);
  }
  const indexKey = await crypto.subtle.importKey(
    'raw',
    Uint8Array.from(material.indexKey),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign'],
  );

  return {
    activeKeyId: material.activeKeyId,
    keyIds: [...imported.keys()],
    encryptionKey: (keyId) => imported.get(keyId),
    indexKey,
  };
}

/** A fresh random key as base64url text, the form `TAHOON_PHI_KEYS` entries take. */
export function generatePhiKey(): string {
  return encodeBase64Url(crypto.getRandomValues(new Uint8Array(PHI_KEY_BYTES)));
}

/** The three PHI settings, as environment variables hold them. */
export interface PhiEnv {
  TAHOON_PHI_KEYS: string;
  TAHOON_PHI_ACTIVE_KEY: string;
  TAHOON_PHI_INDEX_KEY: string;
}

/**
 * Development settings with one fresh encryption key and a fresh index key. Outside production
 * the runtime keeps these in the data folder so stored values survive a restart; production
 * takes them from the environment only.
 *
 * @example
 * const env = generatePhiEnv(); // { TAHOON_PHI_KEYS: 'dev-3f9a1c2e:…', … }
 */
export function generatePhiEnv(keyId = randomKeyId()): PhiEnv {
  if (!PHI_KEY_ID_PATTERN.test(keyId)) throw new TypeError('PHI key id is not allowed');
  return {
    TAHOON_PHI_KEYS: `${keyId}:${generatePhiKey()}`,
    TAHOON_PHI_ACTIVE_KEY: keyId,
    TAHOON_PHI_INDEX_KEY: generatePhiKey(),
  };
}

function randomKeyId(): string {
  const suffix = Array.from(crypto.getRandomValues(new Uint8Array(4)), (byte) =>
    byte.toString(16).padStart(2, '0'),
  ).join('');
  return `dev-${suffix}`;
}
