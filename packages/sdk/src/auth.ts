import { TahoonApiError } from './errors.js';
import type { Settings } from './options.js';
import { type Authorizer, type Reply, isRecord, send, untilAborted } from './transport.js';

/** A token is replaced this long before it expires, so a call never races its expiry. */
const REFRESH_MARGIN_S = 60;

interface HeldToken {
  value: string;
  refreshAtMs: number;
}

/**
 * Client-credentials tokens for one client: fetched on first use, replaced shortly before they
 * expire, and fetched once for any number of calls waiting at the same time.
 */
export class TokenSource implements Authorizer {
  readonly #settings: Settings;
  #held: HeldToken | undefined;
  #pending: Promise<string> | undefined;

  constructor(settings: Settings) {
    this.#settings = settings;
  }

  token(signal?: AbortSignal): Promise<string> {
    const held = this.#held;
    if (held !== undefined && Date.now() < held.refreshAtMs) return Promise.resolve(held.value);

    if (this.#pending === undefined) {
      const pending = this.#fetch().finally(() => {
        this.#pending = undefined;
      });
      // Every waiter handles the outcome; this keeps a failure nobody waits for any more (all
      // waiters aborted) from surfacing as an unhandled rejection.
      pending.catch(() => undefined);
      this.#pending = pending;
    }
    // One caller's abort must not cancel the request the others share, so only the wait ends.
    return untilAborted(this.#pending, signal);
  }

  reject(token: string): void {
    if (this.#held?.value === token) this.#held = undefined;
  }

  async #fetch(): Promise<string> {
    const { clientId, clientSecret } = this.#settings;
    const reply = await send(this.#settings, {
      method: 'POST',
      path: '/v1/oauth/token',
      form: { grant_type: 'client_credentials' },
      headers: { authorization: basicAuthorization(clientId, clientSecret) },
      options: {},
    });

    const { value, expiresInS } = readToken(reply);
    const lifetimeMs = refreshAfterS(expiresInS) * 1000;
    this.#held = { value, refreshAtMs: Date.now() + lifetimeMs };
    return value;
  }
}

/**
 * RFC 6749 §2.3.1: id and secret are form-encoded before they are joined, so a `:` in either
 * survives the trip.
 */
function basicAuthorization(clientId: string, clientSecret: string): string {
  const formEncode = (value: string) => encodeURIComponent(value).replaceAll('%20', '+');
  return `Basic ${btoa(`${formEncode(clientId)}:${formEncode(clientSecret)}`)}`;
}

function readToken(reply: Reply): { value: string; expiresInS: number | undefined } {
  const body = isRecord(reply.body) ? reply.body : {};
  const { access_token: value, token_type: type, expires_in: expiresIn } = body;
  const bearer = typeof type !== 'string' || type.toLowerCase() === 'bearer';
  if (typeof value !== 'string' || value === '' || !bearer) {
    throw new TahoonApiError({
      code: 'UNEXPECTED_RESPONSE',
      status: reply.status,
      requestId: reply.requestId || undefined,
      detail: 'The token endpoint answered without a bearer access_token',
    });
  }
  const valid = typeof expiresIn === 'number' && expiresIn > 0;
  return { value, expiresInS: valid ? expiresIn : undefined };
}

/** Seconds a token is used for: until a minute before expiry, or half a short lifetime. */
function refreshAfterS(expiresInS: number | undefined): number {
  // Without expires_in the token is kept until the server refuses it.
  if (expiresInS === undefined) return Infinity;
  return expiresInS - Math.min(REFRESH_MARGIN_S, expiresInS / 2);
}
