/**
 * What the security suite needs beside the harness: calling any procedure by name on either
 * transport, and a fingerprint of every table so a refused request can be shown to have changed
 * nothing.
 */
import { createPublicKey, createSecretKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sql } from 'drizzle-orm';
import { decodeJwt, importJWK, SignJWT, type JWTHeaderParameters, type JWTPayload } from 'jose';
import { callTrpc, restRoute, type Transport } from '../acceptance.js';
import { rest, TEST_SIGNING_KEY, type Answer, type Partner, type TestGateway } from '../harness.js';

/** The OWASP API Security Top 10 (2023) categories the suite is organised by. */
export const OWASP = {
  API1: 'Broken Object Level Authorization',
  API2: 'Broken Authentication',
  API3: 'Broken Object Property Level Authorization',
  API4: 'Unrestricted Resource Consumption',
  API5: 'Broken Function Level Authorization',
  API6: 'Unrestricted Access to Sensitive Business Flows',
  API7: 'Server Side Request Forgery',
  API8: 'Security Misconfiguration',
  API9: 'Improper Inventory Management',
  API10: 'Unsafe Consumption of APIs',
} as const;

export type OwaspCategory = keyof typeof OWASP;

/**
 * Calls a procedure the way a partner would on `transport`: over REST its path parameters are
 * filled from the input and the rest goes to the query (GET, DELETE) or the JSON body.
 */
export async function invoke(
  gw: Pick<TestGateway, 'app'>,
  transport: Transport,
  procedure: string,
  input: Record<string, unknown>,
  token?: string,
): Promise<Answer> {
  if (transport === 'trpc') return callTrpc(gw, procedure, input, token);
  const { method, path } = restRoute(procedure);
  const remaining: Record<string, unknown> = { ...input };
  const filled = path.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = remaining[name];
    delete remaining[name];
    return encodeURIComponent(String(value));
  });
  if (method === 'GET' || method === 'DELETE') {
    const query = new URLSearchParams();
    for (const [key, value] of Object.entries(remaining)) {
      for (const item of Array.isArray(value) ? value : [value]) query.append(key, String(item));
    }
    const suffix = query.size > 0 ? `?${query.toString()}` : '';
    return rest(gw, method, filled + suffix, { token });
  }
  return rest(gw, method, filled, { token, body: remaining });
}

/**
 * Tables whose rows legitimately change when a request is refused: the refusal is itself
 * recorded (audit, idempotency claims, replay nonces, quota counters).
 */
const BOOKKEEPING = /audit|idempotency|nonce|revoked/;

/** One digest per table of everything in it, to compare before and after a refused request. */
export async function databaseDigest(gw: Pick<TestGateway, 'database'>) {
  const { db } = gw.database;
  const tables = (await db.execute(
    sql`select table_name as name from information_schema.tables
        where table_schema = 'public' and table_type = 'BASE TABLE' order by table_name`,
  )) as unknown as { rows: { name: string }[] };
  const digest: Record<string, string> = {};
  for (const { name } of tables.rows) {
    if (BOOKKEEPING.test(name) || name.startsWith('__drizzle')) continue;
    const result = (await db.execute(
      sql.raw(`select count(*)::text || ':' || coalesce(md5(string_agg(t::text, '|' order by t::text)), '')
               as d from "${name}" t`),
    )) as unknown as { rows: { d: string }[] };
    digest[name] = result.rows[0]?.d ?? '';
  }
  return digest;
}

/**
 * Access tokens an attacker can make for `victim` without the gateway's private key, and some
 * that are signed with the real key but say the wrong thing. `valid` carries the victim's own
 * claims, properly signed, so a test can show the gateway accepts the unaltered token.
 */
export async function tokenAttacks(
  gw: Pick<TestGateway, 'clock'>,
  victim: Partner,
  other: Partner,
) {
  const real = victim.token;
  const [header, , signature] = real.split('.') as [string, string, string];
  const claims = decodeJwt(real);
  const nowS = Math.floor(gw.clock.nowMs() / 1000);
  const fresh = () => ({ ...claims, jti: randomBytes(16).toString('hex') });
  const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const serverKey = await importJWK(TEST_SIGNING_KEY, 'EdDSA');
  const publicPem = createPublicKey({
    key: { kty: 'OKP', crv: 'Ed25519', x: TEST_SIGNING_KEY.x },
    format: 'jwk',
  }).export({ type: 'spki', format: 'pem' });
  const { privateKey: strangerKey } = generateKeyPairSync('ed25519');

  const sign = (
    payload: JWTPayload,
    protectedHeader: Partial<JWTHeaderParameters> = {},
    key: Parameters<SignJWT['sign']>[0] = serverKey,
  ) =>
    new SignJWT(payload)
      .setProtectedHeader({
        alg: 'EdDSA',
        typ: 'at+jwt',
        kid: TEST_SIGNING_KEY.kid,
        ...protectedHeader,
      })
      .sign(key);
  const { exp: _exp, ...withoutExp } = fresh();

  const attacks: Record<string, string> = {
    'alg none': `${b64({ alg: 'none', typ: 'at+jwt', kid: TEST_SIGNING_KEY.kid })}.${b64(fresh())}.`,
    'HS256 keyed with the public key bytes (algorithm confusion)': await sign(
      fresh(),
      { alg: 'HS256' },
      createSecretKey(Buffer.from(TEST_SIGNING_KEY.x, 'base64url')),
    ),
    'HS256 keyed with the PEM public key (algorithm confusion)': await sign(
      fresh(),
      { alg: 'HS256' },
      createSecretKey(Buffer.from(publicPem)),
    ),
    'wrong audience': await sign({ ...fresh(), aud: 'another-api' }),
    'wrong issuer': await sign({ ...fresh(), iss: 'https://issuer.attacker.example' }),
    'expired an hour ago': await sign({ ...fresh(), iat: nowS - 4_500, exp: nowS - 3_600 }),
    'no expiry': await sign(withoutExp),
    'unknown kid': await sign(fresh(), { kid: 'sgk_attacker' }),
    "a stranger's key under the server's kid": await sign(fresh(), {}, strangerKey),
    'wrong typ (JWT)': await sign(fresh(), { typ: 'JWT' }),
    'tampered payload (organization swapped)': `${header}.${b64({ ...claims, org: other.organizationId })}.${signature}`,
    'tampered payload (credential swapped)': `${header}.${b64({ ...claims, sub: other.clientId })}.${signature}`,
    'signature stripped': `${header}.${b64(claims)}.`,
    garbage: 'not-a-token',
  };
  return { valid: await sign(fresh()), attacks };
}

/** A server on a loopback port that answers every request with `answer` and counts them. */
export async function localServer(answer: {
  status: number;
  headers?: Record<string, string>;
  body?: string;
}) {
  const received: string[] = [];
  const server = createServer((request, response) => {
    received.push(`${request.method} ${request.url}`);
    request.resume();
    request.on('end', () => {
      response.writeHead(answer.status, answer.headers);
      response.end(answer.body ?? '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
