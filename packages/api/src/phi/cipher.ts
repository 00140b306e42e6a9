import { blindIndex, type BlindIndexKind } from './blind-index.js';
import { PhiDecryptError } from './errors.js';
import {
  formatStoredPhi,
  parseStoredPhi,
  PHI_FORMAT_VERSION,
  PHI_IV_BYTES,
  PHI_MAX_PLAINTEXT_BYTES,
  PHI_PAD_BLOCK,
  PHI_TAG_BYTES,
  type StoredPhiParts,
} from './format.js';
import type { PhiKeyRing } from './keys.js';

/** Where a value lives. Every part is bound into the ciphertext, so all four must match on read. */
export interface PhiContext {
  /** Database table name, e.g. `patients`. */
  readonly table: string;
  /** Database column name, e.g. `email`. */
  readonly column: string;
  /** The organization that owns the row. */
  readonly organizationId: string;
  /** The row's own id, e.g. `pat_…`; ids are made before the insert, so it is known on write. */
  readonly rowId: string;
}

export interface PhiCipher {
  /** The key id new values are written under. */
  readonly activeKeyId: string;
  /** Encrypts one field value under the active key, with a fresh IV. */
  encrypt(plaintext: string, context: PhiContext): Promise<string>;
  /** Decrypts a stored value under any key of the ring; throws `PhiDecryptError`. */
  decrypt(stored: string, context: PhiContext): Promise<string>;
  /** The keyed equality index of a value, scoped to one organization (see `blind-index.ts`). */
  blindIndex(kind: BlindIndexKind, value: string, organizationId: string): Promise<string>;
  /** The (non-extractable) keys, for moving stored values to the active key in the background. */
  readonly ring: PhiKeyRing;
}

const SQL_NAME = /^[a-z][a-z0-9_]{0,62}$/;
const MAX_ID_LENGTH = 128;
const LONE_SURROGATE = /\p{Surrogate}/u;
const PAD_MARKER = 0x80;

function checkContext(context: PhiContext): void {
  for (const part of ['table', 'column'] as const) {
    if (!SQL_NAME.test(context[part])) throw new TypeError(`PHI context ${part} is not a SQL name`);
  }
  for (const part of ['organizationId', 'rowId'] as const) {
    const value = context[part];
    if (value.length === 0 || value.length > MAX_ID_LENGTH) {
      throw new TypeError(`PHI context ${part} must be 1–${MAX_ID_LENGTH} characters`);
    }
  }
}

/**
 * GCM's additional authenticated data: bytes the tag covers but the stored value does not carry.
 * Decryption rebuilds them from where the value was read, so a ciphertext copied into another
 * column, another patient's row or another organization's row fails its tag check instead of
 * quietly showing one patient's data as another's. The version and key id are bound as well, so
 * the readable header of a stored value cannot be relabelled either. A JSON array keeps the parts
 * unambiguous whatever characters they hold.
 */
function associatedData(keyId: string, context: PhiContext): Uint8Array<ArrayBuffer> {
  const { table, column, organizationId, rowId } = context;
  const parts = ['tahoon.phi', PHI_FORMAT_VERSION, keyId, table, column, organizationId, rowId];
  return new TextEncoder().encode(JSON.stringify(parts));
}

/**
 * GCM ciphertext is as long as its plaintext, and a name's length narrows down whose it is. The
 * value is padded with 0x80 then zeros to whole 16-byte blocks, so a dump shows only a coarse
 * length bucket.
 */
function pad(plaintext: Uint8Array): Uint8Array<ArrayBuffer> {
  const length = (Math.floor(plaintext.length / PHI_PAD_BLOCK) + 1) * PHI_PAD_BLOCK;
  const padded = new Uint8Array(length);
  padded.set(plaintext);
  padded[plaintext.length] = PAD_MARKER;
  return padded;
}

/** The authenticated bytes came from our writer, so a bad pad means a writer bug: null. */
function unpad(padded: Uint8Array): Uint8Array | null {
  let end = padded.length - 1;
  while (end >= 0 && padded[end] === 0) end -= 1;
  return end >= 0 && padded[end] === PAD_MARKER ? padded.subarray(0, end) : null;
}

function encodePlaintext(plaintext: string): Uint8Array<ArrayBuffer> {
  if (LONE_SURROGATE.test(plaintext)) throw new TypeError('PHI plaintext is not well-formed text');
  const bytes = new TextEncoder().encode(plaintext);
  if (bytes.length > PHI_MAX_PLAINTEXT_BYTES) {
    throw new RangeError(`PHI plaintext exceeds ${PHI_MAX_PLAINTEXT_BYTES} bytes`);
  }
  return bytes;
}

/**
 * Encrypts one field value with AES-256-GCM under the ring's active key and a fresh random
 * 96-bit IV, bound to its context.
 *
 * @example
 * const stored = await encryptPhi('sara@example.org', context, ring); // 'v1.k1.…'
 */
export async function encryptPhi(
  plaintext: string,
  context: PhiContext,
  ring: PhiKeyRing,
): Promise<string> {
  checkContext(context);
  const keyId = ring.activeKeyId;
  const key = ring.encryptionKey(keyId);
  if (!key) throw new Error(`PHI key ring has no key for its active id ${keyId}`);

  const iv = crypto.getRandomValues(new Uint8Array(PHI_IV_BYTES));
  const params = {
    name: 'AES-GCM',
    iv,
    additionalData: associatedData(keyId, context),
    tagLength: PHI_TAG_BYTES * 8,
  };
  const sealed = await crypto.subtle.encrypt(params, key, pad(encodePlaintext(plaintext)));
  return formatStoredPhi({ keyId, iv, sealed: new Uint8Array(sealed) });
}

async function openSealed(
  parts: StoredPhiParts,
  key: CryptoKey,
  context: PhiContext,
): Promise<Uint8Array | null> {
  const params = {
    name: 'AES-GCM',
    iv: Uint8Array.from(parts.iv),
    additionalData: associatedData(parts.keyId, context),
    tagLength: PHI_TAG_BYTES * 8,
  };
  try {
    return new Uint8Array(await crypto.subtle.decrypt(params, key, Uint8Array.from(parts.sealed)));
  } catch {
    // Web Crypto reports every tag mismatch the same way; the caller names the failure.
    return null;
  }
}

/**
 * Decrypts a stored value with whichever key of the ring its key id names. Every failure throws
 * `PhiDecryptError`: a malformed value, a key id the ring lacks, or a value that was altered,
 * moved from another context or written under another key.
 *
 * @example
 * const email = await decryptPhi(row.email, context, ring);
 */
export async function decryptPhi(
  stored: string,
  context: PhiContext,
  ring: PhiKeyRing,
): Promise<string> {
  checkContext(context);
  const field = `${context.table}.${context.column}`;
  const parts = parseStoredPhi(stored);
  if (!parts) throw new PhiDecryptError('malformed', field, null);
  const key = ring.encryptionKey(parts.keyId);
  if (!key) throw new PhiDecryptError('unknown-key', field, parts.keyId);

  const padded = await openSealed(parts, key, context);
  const plaintext = padded && unpad(padded);
  if (!plaintext) throw new PhiDecryptError('authentication', field, parts.keyId);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(plaintext);
  } catch {
    throw new PhiDecryptError('authentication', field, parts.keyId);
  }
}

/**
 * The PHI operations bound to one key ring: what the store holds.
 *
 * @example
 * const phi = createPhiCipher(ring);
 * const context = { table: 'patients', column: 'email', organizationId, rowId: patientId };
 * const stored = await phi.encrypt('sara@example.org', context);
 * const lookup = await phi.blindIndex('email', ' Sara@Example.org', organizationId);
 */
export function createPhiCipher(ring: PhiKeyRing): PhiCipher {
  return {
    activeKeyId: ring.activeKeyId,
    ring,
    encrypt: (plaintext, context) => encryptPhi(plaintext, context, ring),
    decrypt: (stored, context) => decryptPhi(stored, context, ring),
    blindIndex: (kind, value, organizationId) =>
      blindIndex(kind, value, organizationId, ring.indexKey),
  };
}
