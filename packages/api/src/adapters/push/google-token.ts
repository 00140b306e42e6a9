import { importPKCS8, SignJWT } from 'jose';
import { DependencyError, isRetryableStatus, parseRetryAfter } from '../../resilience/errors.js';

/** The OAuth scope that lets a service account send through FCM's HTTP v1 API. */
export const FCM_SCOPE = 'https://www.googleapis.com/auth/firebase.messaging';

/** RFC 7523's grant type: "here is a JWT I signed; give me an access token for it". */
export const JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

/** Google accepts assertions that live an hour at most; ours live exactly that long. */
const ASSERTION_LIFETIME_S = 3600;

/**
 * A token is replaced this long before it expires, so a send never starts with a token that
 * expires in flight, and clocks a little apart do not matter.
 */
const REFRESH_MARGIN_MS = 5 * 60_000;

/** The fields of a service account's JSON key that minting a token needs. */
export interface ServiceAccount {
  project_id: string;
  client_email: string;
  /** PKCS #8 PEM. Never logged, never put in an error message. */
  private_key: string;
  token_uri: string;
  private_key_id?: string;
}

const REQUIRED_FIELDS = ['project_id', 'client_email', 'private_key', 'token_uri'] as const;

/**
 * Reads a service account's JSON key, as downloaded or as pasted into an environment
 * variable (where the PEM's newlines often arrive as the two characters `\n`). Refuses a key
 * that lacks a field, naming the fields but never echoing their values.
 *
 * @example
 * const account = parseServiceAccount(process.env.FCM_SERVICE_ACCOUNT_JSON ?? '');
 * account.project_id; // 'tahoon-prod'
 */
export function parseServiceAccount(input: string | object): ServiceAccount {
  const raw = typeof input === 'string' ? parseJsonObject(input) : input;
  const fields = raw as Record<string, unknown>;

  const missing = REQUIRED_FIELDS.filter((key) => typeof fields[key] !== 'string' || !fields[key]);
  if (missing.length > 0) {
    throw new TypeError(`FCM service account lacks ${missing.join(', ')}`);
  }
  if (fields.type !== undefined && fields.type !== 'service_account') {
    throw new TypeError('FCM credentials must be a service account key');
  }
  const account = fields as unknown as ServiceAccount;
  if (!URL.canParse(account.token_uri))
    throw new TypeError('FCM service account token_uri is not a URL');
  if (!account.private_key.includes('-----BEGIN PRIVATE KEY-----')) {
    throw new TypeError('FCM service account private_key is not a PKCS #8 PEM key');
  }

  return {
    project_id: account.project_id,
    client_email: account.client_email,
    private_key: account.private_key.replaceAll('\\n', '\n'),
    token_uri: account.token_uri,
    ...(typeof fields.private_key_id === 'string' ? { private_key_id: fields.private_key_id } : {}),
  };
}

function parseJsonObject(text: string): object {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    // The parser's message would quote the text, and the text holds a private key.
    throw new TypeError('FCM service account is not valid JSON');
  }
  if (typeof value !== 'object' || value === null) {
    throw new TypeError('FCM service account must be a JSON object');
  }
  return value;
}

export interface AccessTokensOptions {
  serviceAccount: ServiceAccount;
  /** Where to trade the assertion for a token; the service account's `token_uri` by default. */
  tokenUri?: string;
  fetch: typeof globalThis.fetch;
  now: () => number;
  /** Bound on one token request. */
  timeoutMs: number;
}

/** A cache of OAuth access tokens for one service account. */
export interface AccessTokens {
  /** A token valid for a while yet: the cached one, or a new one minted now. */
  get(): Promise<string>;
  /** Forgets `token` if it is still the cached one, e.g. after FCM refused it. */
  invalidate(token: string): void;
}

interface CachedToken {
  token: string;
  refreshAtMs: number;
}

/**
 * Access tokens for a service account by the JWT bearer grant: sign an RS256 assertion with
 * the account's key, post it to the token endpoint, and cache the token until shortly before
 * it expires. Concurrent callers share one request, so a burst of sends after a restart mints
 * a single token. A failed request is not cached: the next caller tries again.
 *
 * @example
 * const tokens = createAccessTokens({ serviceAccount, fetch, now: Date.now, timeoutMs: 10_000 });
 * const headers = { authorization: `Bearer ${await tokens.get()}` };
 */
export function createAccessTokens(options: AccessTokensOptions): AccessTokens {
  const { serviceAccount, now, timeoutMs } = options;
  const tokenUri = options.tokenUri ?? serviceAccount.token_uri;
  let key: Promise<CryptoKey> | undefined;
  let cached: CachedToken | undefined;
  let inFlight: Promise<CachedToken> | undefined;

  function signingKey(): Promise<CryptoKey> {
    key ??= importPKCS8(serviceAccount.private_key, 'RS256').catch((error: unknown) => {
      key = undefined;
      throw new DependencyError(
        'The FCM service account key cannot be read',
        { code: 'CREDENTIALS_INVALID', retryable: false },
        { cause: error },
      );
    });
    return key;
  }

  async function mint(): Promise<CachedToken> {
    const startedMs = now();
    const assertion = await signAssertion(serviceAccount, tokenUri, await signingKey(), startedMs);
    const response = await postForm(options.fetch, tokenUri, assertion, timeoutMs);
    const granted = await readGrant(response, now());
    const lifetimeMs = granted.expires_in * 1000;
    // Counted from before the request: the token may have been issued a moment earlier.
    const margin = Math.min(REFRESH_MARGIN_MS, lifetimeMs / 2);
    cached = { token: granted.access_token, refreshAtMs: startedMs + lifetimeMs - margin };
    return cached;
  }

  return {
    async get() {
      if (cached && now() < cached.refreshAtMs) return cached.token;
      inFlight ??= mint().finally(() => {
        inFlight = undefined;
      });
      return (await inFlight).token;
    },

    invalidate(token) {
      if (cached?.token === token) cached = undefined;
    },
  };
}

function signAssertion(
  account: ServiceAccount,
  audience: string,
  key: CryptoKey,
  nowMs: number,
): Promise<string> {
  const issuedAt = Math.floor(nowMs / 1000);
  const header = account.private_key_id
    ? { alg: 'RS256', typ: 'JWT', kid: account.private_key_id }
    : { alg: 'RS256', typ: 'JWT' };
  return new SignJWT({ scope: FCM_SCOPE })
    .setProtectedHeader(header)
    .setIssuer(account.client_email)
    .setAudience(audience)
    .setIssuedAt(issuedAt)
    .setExpirationTime(issuedAt + ASSERTION_LIFETIME_S)
    .sign(key);
}

async function postForm(
  fetchImpl: typeof globalThis.fetch,
  tokenUri: string,
  assertion: string,
  timeoutMs: number,
): Promise<Response> {
  const deadline = AbortSignal.timeout(timeoutMs);
  const body = new URLSearchParams({ grant_type: JWT_BEARER_GRANT, assertion });
  try {
    return await fetchImpl(tokenUri, { method: 'POST', body, signal: deadline });
  } catch (error) {
    const detail = deadline.aborted
      ? `did not answer within ${timeoutMs} ms`
      : 'could not be reached';
    const code = deadline.aborted ? 'TIMEOUT' : 'NETWORK';
    throw new DependencyError(
      `The OAuth token endpoint ${detail}`,
      { code, retryable: true },
      {
        cause: error,
      },
    );
  }
}

interface Grant {
  access_token: string;
  expires_in: number;
}

/**
 * A refused assertion (`invalid_grant`: wrong key, revoked account, clock far off) will be
 * refused again, so it is permanent; an overloaded endpoint is worth another try.
 */
async function readGrant(response: Response, nowMs: number): Promise<Grant> {
  const body: unknown = await response.json().catch(() => undefined);
  if (response.ok && isGrant(body)) return body;

  const status = response.status;
  const retryable = isRetryableStatus(status);
  const oauthError = isRecord(body) && typeof body.error === 'string' ? body.error : undefined;
  const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'), nowMs);
  const reason = response.ok ? 'an unreadable token' : `${status} ${oauthError ?? ''}`.trim();
  throw new DependencyError(`The OAuth token endpoint answered ${reason}`, {
    code: retryable ? 'TOKEN_UNAVAILABLE' : 'TOKEN_REJECTED',
    retryable,
    status,
    ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
  });
}

function isGrant(body: unknown): body is Grant {
  return (
    isRecord(body) &&
    typeof body.access_token === 'string' &&
    body.access_token.length > 0 &&
    typeof body.expires_in === 'number' &&
    body.expires_in > 0
  );
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}
