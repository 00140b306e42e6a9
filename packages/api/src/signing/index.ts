/**
 * Signed requests (security issue item 3): per-credential signing keys, the HMAC recipe, and
 * the middleware that verifies `Tahoon-Signature` on partner requests.
 */
export {
  createSigningKey,
  listSigningKeys,
  revokeSigningKey,
  rotateSigningKey,
  setSigningRequired,
  signingKeyView,
} from './keys.js';
export { signedRequests } from './middleware.js';
export { REQUIREMENT_CACHE_MS, signingRequired } from './requirement.js';
export { importSigningSecret, newSigningSecret, sha256Hex, signatureFor } from './recipe.js';
