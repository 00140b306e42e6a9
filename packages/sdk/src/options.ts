import { SIGNING_KEY_ID, SIGNING_SECRET, Signer, type SigningOptions } from './signing.js';

/**
 * The `fetch` the client sends requests with. The runtime's global `fetch` fits, and so does any
 * function with the same call shape (a test double, a fetch with a proxy agent).
 *
 * @example
 * const client = new Tahoon({ ...credentials, fetch: (url, init) => fetch(url, init) });
 */
export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

/**
 * What `new Tahoon()` takes. Any other key is refused, so a misspelt option fails loudly instead
 * of being ignored.
 *
 * @example
 * const options: TahoonOptions = {
 *   baseUrl: 'https://gateway.tahoon.example',
 *   clientId: process.env.TAHOON_CLIENT_ID!,
 *   clientSecret: process.env.TAHOON_CLIENT_SECRET!,
 *   timeoutMs: 10_000,
 * };
 */
export interface TahoonOptions {
  /** Where the gateway is, without `/v1`: `https://gateway.tahoon.example`. */
  baseUrl: string;
  clientId: string;
  clientSecret: string;
  /** Longest one attempt may take, response body included. Default 30 000. */
  timeoutMs?: number;
  /** Retries after the first attempt of a call that failed in a retryable way. Default 2. */
  maxRetries?: number;
  /** Replaces the global `fetch`. */
  fetch?: FetchLike;
  /** Signs every request with this signing key (see "Signed requests" in the gateway's README). */
  signing?: SigningOptions;
}

/**
 * Per-call options for reads, given as a call's last argument; they override the client's.
 *
 * @example
 * const controller = new AbortController();
 * await client.providers.get(id, { timeoutMs: 5_000, maxRetries: 0, signal: controller.signal });
 */
export interface RequestOptions {
  /** Longest one attempt may take, response body included. */
  timeoutMs?: number;
  /** Retries after the first attempt. `0` turns retries off for this call. */
  maxRetries?: number;
  /** Aborts the call, and any wait between its attempts, with an `ABORTED` error. */
  signal?: AbortSignal;
}

/**
 * Per-call options for writes (`create`, `update`, `cancel`).
 *
 * @example
 * await client.bookings.create(input, { idempotencyKey: `booking-${orderId}` });
 */
export interface WriteRequestOptions extends RequestOptions {
  /**
   * Sent as `Idempotency-Key`. Without one the SDK makes a random key per call and reuses it on
   * that call's retries; give your own to make a write safe to repeat across processes.
   */
  idempotencyKey?: string;
}

export const DEFAULT_TIMEOUT_MS = 30_000;
export const DEFAULT_MAX_RETRIES = 2;
const MAX_RETRIES_LIMIT = 10;

const CLIENT_OPTION_KEYS = [
  'baseUrl',
  'clientId',
  'clientSecret',
  'timeoutMs',
  'maxRetries',
  'fetch',
  'signing',
] as const;
const READ_OPTION_KEYS = ['timeoutMs', 'maxRetries', 'signal'] as const;
const WRITE_OPTION_KEYS = [...READ_OPTION_KEYS, 'idempotencyKey'] as const;

/** The client's settings once checked: every default filled in. */
export interface Settings {
  baseUrl: string;
  clientId: string;
  clientSecret: string;
  timeoutMs: number;
  maxRetries: number;
  fetch: FetchLike;
  /** Present when the client signs its requests. */
  signer: Signer | undefined;
}

/** Checks constructor options, naming every problem at once. */
export function checkClientOptions(options: unknown): Settings {
  const record = asRecord(options, 'new Tahoon() needs an options object');
  const problems = unknownKeys(record, CLIENT_OPTION_KEYS);
  const baseUrl = checkBaseUrl(record.baseUrl, problems);

  for (const key of ['clientId', 'clientSecret'] as const) {
    const value = record[key];
    if (typeof value !== 'string' || value.length === 0) {
      problems.push(`${key} must be a non-empty string`);
    }
  }
  checkLimits(record, problems);
  if (record.fetch !== undefined && typeof record.fetch !== 'function') {
    problems.push('fetch must be a function');
  }
  if (record.fetch === undefined && typeof globalThis.fetch !== 'function') {
    problems.push('this runtime has no global fetch; pass one as the fetch option');
  }
  checkSigning(record.signing, problems);
  if (problems.length > 0) throw new TypeError(`Invalid Tahoon options: ${problems.join('; ')}`);

  return {
    baseUrl,
    clientId: String(record.clientId),
    clientSecret: String(record.clientSecret),
    timeoutMs: typeof record.timeoutMs === 'number' ? record.timeoutMs : DEFAULT_TIMEOUT_MS,
    maxRetries: typeof record.maxRetries === 'number' ? record.maxRetries : DEFAULT_MAX_RETRIES,
    // A browser's fetch throws "Illegal invocation" when called on any receiver but the global.
    fetch: (record.fetch as FetchLike | undefined) ?? globalThis.fetch.bind(globalThis),
    signer: record.signing === undefined ? undefined : new Signer(record.signing as SigningOptions),
  };
}

function checkSigning(signing: unknown, problems: string[]): void {
  if (signing === undefined) return;
  const { keyId, secret } = (signing ?? {}) as Record<string, unknown>;
  if (typeof keyId !== 'string' || !SIGNING_KEY_ID.test(keyId)) {
    problems.push('signing.keyId must be a signing key id (sgk_…)');
  }
  if (typeof secret !== 'string' || !SIGNING_SECRET.test(secret)) {
    problems.push('signing.secret must be a signing secret (tks_ and 43 characters)');
  }
}

/** Checks per-call options; `undefined` stands for none. */
export function checkCallOptions(options: unknown, kind: 'read' | 'write'): WriteRequestOptions {
  if (options === undefined) return {};
  const record = asRecord(options, 'request options must be an object');
  const known = kind === 'write' ? WRITE_OPTION_KEYS : READ_OPTION_KEYS;
  const problems = unknownKeys(record, known);

  checkLimits(record, problems);
  const key = record.idempotencyKey;
  if (key !== undefined && (typeof key !== 'string' || key.length === 0 || key.length > 255)) {
    problems.push('idempotencyKey must be a string of 1 to 255 characters');
  }
  if (record.signal !== undefined && !isAbortSignal(record.signal)) {
    problems.push('signal must be an AbortSignal');
  }
  if (problems.length > 0) throw new TypeError(`Invalid request options: ${problems.join('; ')}`);
  return record as WriteRequestOptions;
}

function asRecord(value: unknown, message: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TypeError(message);
  }
  return value as Record<string, unknown>;
}

function unknownKeys(record: Record<string, unknown>, known: readonly string[]): string[] {
  const unknown = Object.keys(record).filter((key) => !known.includes(key));
  if (unknown.length === 0) return [];
  return [`unknown option ${unknown.join(', ')} (known: ${known.join(', ')})`];
}

function checkLimits(record: Record<string, unknown>, problems: string[]): void {
  const { timeoutMs, maxRetries } = record;
  if (timeoutMs !== undefined && !(typeof timeoutMs === 'number' && timeoutMs > 0)) {
    problems.push('timeoutMs must be a positive number of milliseconds');
  }
  if (timeoutMs === Infinity) problems.push('timeoutMs must be finite');
  if (
    maxRetries !== undefined &&
    !(
      Number.isInteger(maxRetries) &&
      Number(maxRetries) >= 0 &&
      Number(maxRetries) <= MAX_RETRIES_LIMIT
    )
  ) {
    problems.push(`maxRetries must be a whole number from 0 to ${MAX_RETRIES_LIMIT}`);
  }
}

function checkBaseUrl(value: unknown, problems: string[]): string {
  const url = typeof value === 'string' ? parseUrl(value) : undefined;
  if (url === undefined) {
    problems.push('baseUrl must be an absolute URL such as https://gateway.tahoon.example');
    return '';
  }
  const path = url.pathname.replace(/\/+$/, '');
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    problems.push('baseUrl must use https: or http:');
  }
  if (url.search !== '' || url.hash !== '') problems.push('baseUrl must not have a query or hash');
  // Every path the SDK sends starts with /v1; a base ending in it would ask for /v1/v1/….
  if (path.endsWith('/v1')) problems.push('baseUrl must not end in /v1; the SDK adds it');
  return url.origin + path;
}

function parseUrl(value: string): URL | undefined {
  try {
    return new URL(value);
  } catch {
    return undefined;
  }
}

function isAbortSignal(value: unknown): value is AbortSignal {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as AbortSignal).aborted === 'boolean' &&
    typeof (value as AbortSignal).addEventListener === 'function'
  );
}
