/**
 * A partner's signing client for tests, written from the README recipe with Node's own crypto
 * rather than the gateway's code, so the tests check the server against the recipe.
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { Answer, TestGateway } from './harness.js';

export interface SigningKeyPair {
  keyId: string;
  secret: string;
}

export interface SignOptions {
  /** Unix seconds; the gateway's clock when left out. */
  timestamp?: number;
  nonce?: string;
  /** Sent in Tahoon-Content-SHA256 instead of the body's real hash. */
  contentSha256?: string;
  /** Replaces the computed signature. */
  signature?: string;
  /** Headers to leave out. */
  omit?: string[];
}

export const sha256 = (body: string) => createHash('sha256').update(body).digest('hex');

export function freshNonce(): string {
  return randomBytes(18).toString('base64url');
}

export function canonical(
  method: string,
  target: string,
  timestamp: string,
  nonce: string,
  contentSha256: string,
): string {
  return ['tahoon-hmac-sha256-v1', method, target, timestamp, nonce, contentSha256].join('\n');
}

/** The five signature headers for one request. */
export function signatureHeaders(
  gw: Pick<TestGateway, 'clock'>,
  key: SigningKeyPair,
  method: string,
  target: string,
  body: string,
  options: SignOptions = {},
): Record<string, string> {
  const timestamp = String(options.timestamp ?? Math.floor(gw.clock.nowMs() / 1000));
  const nonce = options.nonce ?? freshNonce();
  const contentSha256 = sha256(body);
  const mac = createHmac('sha256', key.secret)
    .update(canonical(method, target, timestamp, nonce, contentSha256))
    .digest('hex');
  const headers: Record<string, string> = {
    'tahoon-signature-key': key.keyId,
    'tahoon-timestamp': timestamp,
    'tahoon-nonce': nonce,
    'tahoon-content-sha256': options.contentSha256 ?? contentSha256,
    'tahoon-signature': options.signature ?? `v1=${mac}`,
  };
  for (const name of options.omit ?? []) delete headers[name];
  return headers;
}

/** A REST call, signed unless `key` is null. */
export async function signedRest(
  gw: Pick<TestGateway, 'app' | 'clock'>,
  key: SigningKeyPair | null,
  method: string,
  target: string,
  options: { token: string; body?: unknown; sign?: SignOptions; sendBody?: string } = {
    token: '',
  },
): Promise<Answer> {
  const body = options.body === undefined ? '' : JSON.stringify(options.body);
  const headers: Record<string, string> = { authorization: `Bearer ${options.token}` };
  if (body !== '') headers['content-type'] = 'application/json';
  if (key) Object.assign(headers, signatureHeaders(gw, key, method, target, body, options.sign));
  const sent = options.sendBody ?? body;
  const response = await gw.app.fetch(
    new Request(`http://tahoon.test${target}`, {
      method,
      headers,
      body: sent === '' ? undefined : sent,
    }),
  );
  const text = await response.text();
  return {
    status: response.status,
    body: text ? JSON.parse(text) : null,
    headers: response.headers,
  };
}

/** A tRPC call, signed unless `key` is null; answers data or the problem document. */
export async function signedTrpc(
  gw: Pick<TestGateway, 'app' | 'clock'>,
  key: SigningKeyPair | null,
  type: 'query' | 'mutation',
  procedure: string,
  input: unknown,
  token: string,
  sign: SignOptions = {},
): Promise<Answer> {
  const url = new URL(`http://tahoon.test/trpc/${procedure}`);
  const headers: Record<string, string> = { authorization: `Bearer ${token}` };
  let body = '';
  if (type === 'query') {
    url.searchParams.set('input', JSON.stringify(input));
  } else {
    body = JSON.stringify(input);
    headers['content-type'] = 'application/json';
  }
  const method = type === 'query' ? 'GET' : 'POST';
  const target = url.pathname + url.search;
  if (key) Object.assign(headers, signatureHeaders(gw, key, method, target, body, sign));
  const response = await gw.app.fetch(
    new Request(url, { method, headers, body: body === '' ? undefined : body }),
  );
  const json = (await response.json()) as {
    result?: { data: unknown };
    error?: { data: { problem: unknown } };
  };
  return {
    status: response.status,
    body: json.result ? json.result.data : json.error?.data.problem,
    headers: response.headers,
  };
}

/** Rows in a table, for checking that a refused request wrote nothing. */
export async function countRows(gw: TestGateway, table: string): Promise<number> {
  const result = await gw.database.db.execute(sql.raw(`select count(*)::int as n from ${table}`));
  return (result as unknown as { rows: { n: number }[] }).rows[0]?.n ?? 0;
}
