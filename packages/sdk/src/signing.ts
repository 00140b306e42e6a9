/**
 * Signed requests: each request to the gateway carries an HMAC-SHA256 over its method, path and
 * query, a timestamp, a fresh nonce and its body's hash, made with a per-credential signing key.
 * Web Crypto only, so it runs in Node 20 and in browsers alike. The recipe is in the gateway's
 * README ("Signed requests").
 */

/** First line of the canonical string. */
const SIGNATURE_VERSION = 'tahoon-hmac-sha256-v1';

const encoder = new TextEncoder();

/**
 * A signing key as `POST /v1/signing-keys` answers it: its id and its secret.
 *
 * @example
 * const signing: SigningOptions = { keyId: 'sgk_k3m9q2x7w4n8p5rt', secret: process.env.TAHOON_SIGNING_SECRET! };
 */
export interface SigningOptions {
  /** `sgk_…` */
  keyId: string;
  /** `tks_…`, shown once when the key was made. */
  secret: string;
}

export const SIGNING_KEY_ID = /^sgk_[a-z2-9]{16}$/;
export const SIGNING_SECRET = /^tks_[A-Za-z0-9_-]{43}$/;

function hex(bytes: ArrayBuffer): string {
  return Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** 128 random bits as base64url: 22 characters. */
function newNonce(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');
}

/** Signs requests with one key; the imported HMAC key is made once. */
export class Signer {
  readonly #keyId: string;
  readonly #key: Promise<CryptoKey>;

  constructor(signing: SigningOptions) {
    this.#keyId = signing.keyId;
    this.#key = crypto.subtle.importKey(
      'raw',
      encoder.encode(signing.secret),
      { name: 'HMAC', hash: 'SHA-256' },
      false,
      ['sign'],
    );
  }

  /** The five signature headers for one attempt of a request. */
  async headers(
    method: string,
    url: string,
    body: string | undefined,
  ): Promise<Record<string, string>> {
    const { pathname, search } = new URL(url);
    const timestamp = String(Math.floor(Date.now() / 1000));
    const nonce = newNonce();
    const contentSha256 = hex(await crypto.subtle.digest('SHA-256', encoder.encode(body ?? '')));
    const canonical = [
      SIGNATURE_VERSION,
      method.toUpperCase(),
      pathname + search,
      timestamp,
      nonce,
      contentSha256,
    ].join('\n');
    const mac = await crypto.subtle.sign('HMAC', await this.#key, encoder.encode(canonical));
    return {
      'tahoon-signature-key': this.#keyId,
      'tahoon-timestamp': timestamp,
      'tahoon-nonce': nonce,
      'tahoon-content-sha256': contentSha256,
      'tahoon-signature': `v1=${hex(mac)}`,
    };
  }
}
