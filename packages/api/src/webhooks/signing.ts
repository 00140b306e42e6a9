import { Webhook } from 'standardwebhooks';

/**
 * Signatures as the Standard Webhooks specification defines them, so partners can verify with
 * any of its libraries: HMAC-SHA256 over `{webhook-id}.{webhook-timestamp}.{body}` under a
 * `whsec_` secret, sent as `v1,<base64>`. While a secret is being rotated the message is signed
 * with the new and the old secret and both signatures travel, space-separated, so a partner
 * that still holds the old secret keeps verifying until it switches.
 */

export const WEBHOOK_SECRET_PREFIX = 'whsec_';

/** The specification asks for at least 24 random bytes and allows up to 64. */
export const MIN_SECRET_BYTES = 24;
export const MAX_SECRET_BYTES = 64;
export const DEFAULT_SECRET_BYTES = 32;

/** How long the old secret keeps signing after a rotation, unless the caller says otherwise. */
export const ROTATION_OVERLAP_MS = 24 * 60 * 60 * 1000;

export interface WebhookSignatureHeaders {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
}

export interface SignInput {
  /** The event id: the same on every retry, so partners can drop duplicates. */
  id: string;
  /** Seconds since the epoch, at the time of this attempt. */
  timestampS: number;
  /** The exact bytes sent; signing a re-serialised copy would break verification. */
  body: string;
  /** Newest first; during a rotation, the new secret and then the old one. */
  secrets: readonly string[];
}

/** A partner endpoint's secrets: the current one, and the one it replaced while it overlaps. */
export interface SecretRotation {
  current: string;
  previous: string | null;
  /** When the previous secret stops signing (epoch ms); null when there is none. */
  previousExpiresAtMs: number | null;
}

/**
 * A new endpoint secret from Web Crypto randomness.
 *
 * @example
 * generateWebhookSecret(); // 'whsec_q3Jv…' (32 random bytes, base64)
 */
export function generateWebhookSecret(byteLength = DEFAULT_SECRET_BYTES): string {
  if (!Number.isInteger(byteLength) || byteLength < MIN_SECRET_BYTES) {
    throw new RangeError(`a webhook secret needs at least ${MIN_SECRET_BYTES} bytes`);
  }
  if (byteLength > MAX_SECRET_BYTES) {
    throw new RangeError(`a webhook secret has at most ${MAX_SECRET_BYTES} bytes`);
  }
  const bytes = crypto.getRandomValues(new Uint8Array(byteLength));
  return WEBHOOK_SECRET_PREFIX + btoa(String.fromCharCode(...bytes));
}

/**
 * True for `whsec_` followed by padded base64 of 24 to 64 bytes.
 *
 * @example
 * isWebhookSecret(generateWebhookSecret()); // true
 * isWebhookSecret('whsec_c2hvcnQ='); // false: 5 bytes
 */
export function isWebhookSecret(value: string): boolean {
  if (!value.startsWith(WEBHOOK_SECRET_PREFIX)) return false;
  const encoded = value.slice(WEBHOOK_SECRET_PREFIX.length);
  if (encoded.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(encoded)) return false;
  const byteLength = atob(encoded).length;
  return byteLength >= MIN_SECRET_BYTES && byteLength <= MAX_SECRET_BYTES;
}

/**
 * The three Standard Webhooks headers for one attempt, one `v1` signature per secret.
 *
 * @example
 * const headers = signWebhook({
 *   id: event.id, timestampS: Math.floor(Date.now() / 1000), body, secrets: [current, previous],
 * });
 * headers['webhook-signature']; // 'v1,K5oZ… v1,pI4x…'
 */
export function signWebhook(input: SignInput): WebhookSignatureHeaders {
  assertMessageId(input.id);
  if (!Number.isSafeInteger(input.timestampS) || input.timestampS <= 0) {
    throw new RangeError('the webhook timestamp must be whole seconds since the epoch');
  }
  const secrets = distinct(input.secrets);
  if (secrets.length === 0) throw new RangeError('at least one signing secret is needed');
  for (const secret of secrets) {
    if (!isWebhookSecret(secret)) throw new RangeError('a signing secret is not a whsec_ secret');
  }

  const at = new Date(input.timestampS * 1000);
  const signatures = secrets.map((secret) => new Webhook(secret).sign(input.id, at, input.body));
  return {
    'webhook-id': input.id,
    'webhook-timestamp': String(input.timestampS),
    'webhook-signature': signatures.join(' '),
  };
}

/**
 * The secrets that sign right now: the current one, and the previous one until it expires.
 *
 * @example
 * signingSecrets(endpoint.secrets, clock.nowMs()); // [current, previous] during a rotation
 */
export function signingSecrets(rotation: SecretRotation, nowMs: number): string[] {
  const { current, previous, previousExpiresAtMs } = rotation;
  if (previous === null || previousExpiresAtMs === null) return [current];
  return nowMs < previousExpiresAtMs ? [current, previous] : [current];
}

/**
 * Starts a rotation: a fresh current secret, with the old one signing alongside for `overlapMs`.
 * Rotating again during an overlap drops the oldest secret; at most two ever sign.
 *
 * @example
 * endpoint.secrets = rotateSecret(endpoint.secrets, clock.nowMs());
 */
export function rotateSecret(
  rotation: SecretRotation,
  nowMs: number,
  options: { overlapMs?: number; next?: string } = {},
): SecretRotation {
  const next = options.next ?? generateWebhookSecret();
  if (!isWebhookSecret(next)) throw new RangeError('the new secret is not a whsec_ secret');
  return {
    current: next,
    previous: rotation.current,
    previousExpiresAtMs: nowMs + (options.overlapMs ?? ROTATION_OVERLAP_MS),
  };
}

/**
 * The specification asks that ids never contain `.`, which would let one message's signed
 * content pass for another's; whitespace would break the header.
 */
function assertMessageId(id: string): void {
  if (!/^[A-Za-z0-9_-]{1,128}$/.test(id)) {
    throw new RangeError('a webhook id is 1 to 128 letters, digits, "_" or "-"');
  }
}

function distinct(values: readonly string[]): string[] {
  return [...new Set(values)];
}
