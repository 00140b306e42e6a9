/**
 * What the security suite needs beside the harness: calling any procedure by name on either
 * transport, and a fingerprint of every table so a refused request can be shown to have changed
 * nothing.
 */
import { sql } from 'drizzle-orm';
import { callTrpc, restRoute, type Transport } from '../acceptance.js';
import { rest, type Answer, type TestGateway } from '../harness.js';

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
