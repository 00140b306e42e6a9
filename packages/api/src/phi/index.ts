/**
 * Field-level encryption of patient data (PHI) at rest.
 *
 * - `createPhiCipher(ring)` encrypts and decrypts single field values with AES-256-GCM (Web
 *   Crypto only, so it runs on edge runtimes) and computes blind indexes for equality lookups.
 * - `loadPhiKeyRing(env)` / `phiEnvShape` + `refinePhiEnv` read `TAHOON_PHI_KEYS`,
 *   `TAHOON_PHI_ACTIVE_KEY` and `TAHOON_PHI_INDEX_KEY`; `generatePhiEnv()` makes development keys.
 * - `rotatePhi(...)` moves stored values to the active key in the background.
 *
 * Stored values read `v1.<keyId>.<iv>.<ciphertext+tag>` (see `format.ts`).
 */
export { decodeBase64Url, encodeBase64Url } from './base64url.js';
export { blindIndex, normaliseForIndex, type BlindIndexKind } from './blind-index.js';
export {
  createPhiCipher,
  decryptPhi,
  encryptPhi,
  type PhiCipher,
  type PhiContext,
} from './cipher.js';
export { PATIENT_PHI_COLUMNS, type PatientPhiColumn } from './columns.js';
export {
  loadPhiKeyRing,
  phiEnvSchema,
  phiEnvShape,
  readPhiKeyMaterial,
  refinePhiEnv,
} from './config.js';
export { PhiConfigError, PhiDecryptError, type PhiDecryptReason } from './errors.js';
export {
  formatStoredPhi,
  parseStoredPhi,
  PHI_FORMAT_VERSION,
  PHI_MAX_PLAINTEXT_BYTES,
  storedPhiKeyId,
  type StoredPhiParts,
} from './format.js';
export {
  createPhiKeyRing,
  generatePhiEnv,
  generatePhiKey,
  PHI_KEY_BYTES,
  PHI_KEY_ID_PATTERN,
  type PhiEnv,
  type PhiKeyEntry,
  type PhiKeyMaterial,
  type PhiKeyRing,
} from './keys.js';
export {
  needsRotation,
  reencrypt,
  rotatePhi,
  type PhiRotationFailure,
  type PhiRotationFetch,
  type PhiRotationOptions,
  type PhiRotationProgress,
  type PhiRotationReport,
  type PhiRotationRow,
  type PhiRotationWrite,
} from './rotation.js';
