import { count } from 'drizzle-orm';
import { expect } from 'vitest';
import { bookings, patients } from '../src/db/schema.js';
import { appRouter } from '../src/routers/index.js';
import type { Answer, TestGateway } from './harness.js';

/** The two ways a partner reaches the same operation. */
export type Transport = 'rest' | 'trpc';

export const TRANSPORTS: Transport[] = ['rest', 'trpc'];

/** The problem document fields that must match whichever transport answered. */
export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  requestId: string;
  errors?: { pointer: string; message: string }[];
  error?: string;
}

/** What the tRPC error envelope carries beside the problem document. */
export interface TrpcErrorData {
  code: string;
  httpStatus: number;
  requestId: string;
  problem: ProblemBody;
}

/** A tRPC answer in the REST shape, plus the envelope's `error.data` when it failed. */
export interface TrpcAnswer extends Answer {
  errorData: TrpcErrorData | null;
  text: string;
}

/** What the tests read of a procedure's definition. */
interface ProcedureDef {
  _def: {
    type: string;
    meta?: { scope?: string; openapi?: { method: string; path: string } };
  };
}

/**
 * The router's procedures. Their static type mirrors the nested routers, but the router keeps
 * them in one flat record keyed by dotted path (`bookings.create`), which is what is read here.
 */
function procedures(): Record<string, ProcedureDef | undefined> {
  const flat: object = appRouter._def.procedures;
  return flat as Record<string, ProcedureDef | undefined>;
}

/** Every procedure name the router serves, e.g. `bookings.create`. */
export function procedureNames(): string[] {
  return Object.keys(procedures());
}

/** Whether a procedure is called as a query (GET) or a mutation (POST) over tRPC. */
export function procedureType(name: string): 'query' | 'mutation' {
  const type = procedures()[name]?._def.type;
  if (type !== 'query' && type !== 'mutation') throw new Error(`no procedure ${name}`);
  return type;
}

/** The scope a procedure declares in `meta.scope`, if any. */
export function procedureScope(name: string): string | undefined {
  return procedures()[name]?._def.meta?.scope;
}

/** The REST route a procedure is served at, e.g. `GET /v1/bookings/{id}`. */
export function restRoute(name: string): { method: string; path: string } {
  const openapi = procedures()[name]?._def.meta?.openapi;
  if (!openapi) throw new Error(`${name} has no REST route`);
  return openapi;
}

/**
 * One tRPC call as the typed client makes it. Unlike the harness's `trpc` it keeps the envelope,
 * so tests can check that `error.data` agrees with the problem document inside it.
 */
export async function callTrpc(
  gw: Pick<TestGateway, 'app'>,
  procedure: string,
  input: unknown,
  token?: string,
): Promise<TrpcAnswer> {
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  const url = new URL(`http://tahoon.test/trpc/${procedure}`);
  let request: Request;
  if (procedureType(procedure) === 'query') {
    if (input !== undefined) url.searchParams.set('input', JSON.stringify(input));
    request = new Request(url, { headers });
  } else {
    headers['content-type'] = 'application/json';
    request = new Request(url, { method: 'POST', headers, body: JSON.stringify(input ?? {}) });
  }
  return readTrpc(await gw.app.fetch(request));
}

/** Reads a raw /trpc response into the REST shape. */
export async function readTrpc(response: Response): Promise<TrpcAnswer> {
  const text = await response.text();
  // Refusals made before tRPC runs (an oversized body) leave as plain problem documents.
  if (response.headers.get('content-type')?.startsWith('application/problem+json')) {
    return {
      status: response.status,
      body: JSON.parse(text),
      headers: response.headers,
      errorData: null,
      text,
    };
  }
  const json = JSON.parse(text) as { result?: { data: unknown }; error?: { data: TrpcErrorData } };
  const errorData = json.error?.data ?? null;
  return {
    status: response.status,
    body: json.result ? json.result.data : errorData?.problem,
    headers: response.headers,
    errorData,
    text,
  };
}

/** Rows that a refused request must not have written. */
export async function rowCounts(gw: Pick<TestGateway, 'database'>) {
  const { db } = gw.database;
  const [p] = await db.select({ n: count() }).from(patients);
  const [b] = await db.select({ n: count() }).from(bookings);
  return { patients: p?.n ?? 0, bookings: b?.n ?? 0 };
}

/** The parts of a problem document a client may rely on: all but the per-request id. */
export function problemShape(body: unknown) {
  const { requestId: _requestId, ...shape } = body as ProblemBody;
  return shape;
}

/**
 * Text that belongs in logs, never in a response: stack frames, source paths, validator and
 * database internals.
 */
export const LEAK_PATTERNS: RegExp[] = [
  /^\s+at /m,
  /\bat [\w.<>$]+ \(/,
  /\.[cm]?[jt]s:\d+/,
  /node_modules/,
  /ZodError/,
  /TRPCError/,
  /\w+Error:/,
  /\bselect\s/i,
  /\binsert into\b/i,
  /drizzle/i,
  /postgres|pglite|SQLSTATE|duplicate key|violates/i,
];

export function expectNoLeak(text: string): void {
  for (const pattern of LEAK_PATTERNS)
    expect(text, `response matches ${pattern}`).not.toMatch(pattern);
}

/** A problem document as RFC 9457 and our envelope describe it, with the request id it names. */
export function expectProblemDocument(answer: Answer, status: number, code: string): ProblemBody {
  const body = answer.body as ProblemBody;
  expect(answer.status).toBe(status);
  expect(body).toMatchObject({ status, code });
  expect(body.type).toMatch(/^https:\/\//);
  expect(typeof body.title).toBe('string');
  expect(typeof body.detail).toBe('string');
  expect(body.requestId).toBe(answer.headers.get('x-request-id'));
  return body;
}

/** A registration that passes validation; tests spread it and change one field. */
export function patientInput(externalId: string, country = 'SA') {
  return {
    externalId,
    givenName: 'Noura',
    familyName: 'Saleh',
    birthDate: '1991-07-14',
    country,
    timeZone: 'Asia/Riyadh',
  };
}

/** Well-formed ids that name nothing: the right answer for them is 404, not 400. */
export const UNKNOWN = {
  patient: 'pat_k3m9q2x7w4n8p5rt',
  booking: 'bkg_k3m9q2x7w4n8p5rt',
  provider: 'prv_k3m9q2x7w4n8p5rt',
  credential: 'cred_k3m9q2x7w4n8p5rt',
};
