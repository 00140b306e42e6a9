import type { Context as HonoContext } from 'hono';
import { fetchRequestHandler } from '@trpc/server/adapters/fetch';
import { createOpenApiFetchHandler } from 'trpc-to-openapi';
import type { Auth } from '../auth.js';
import type { Deps } from '../deps.js';
import { appRouter } from '../routers/index.js';
import type { Context } from '../trpc/init.js';
import { classify } from '../trpc/errors.js';
import { problem, problemResponse, type Problem } from './problem.js';
import type { AppEnv } from './env.js';

/** The tRPC batch endpoint limit: a batch is many calls for the price of one request. */
export const MAX_BATCH = 10;

function bearerOf(header: string | undefined): string | null {
  const match = /^Bearer\s+(\S+)$/i.exec(header ?? '');
  return match?.[1] ?? null;
}

function contextFor(c: HonoContext<AppEnv>, deps: Deps, auth: Auth): Context {
  return {
    deps,
    auth,
    requestId: c.get('requestId'),
    log: c.get('log'),
    bearer: bearerOf(c.req.header('authorization')),
    response: {},
  };
}

function logFailure(c: HonoContext<AppEnv>, error: unknown, path: string | undefined) {
  const { failure, unexpected } = classify(error);
  if (unexpected) c.get('log').error({ err: error, procedure: path }, 'procedure failed');
  else c.get('log').debug({ code: failure.code, procedure: path }, 'procedure refused');
}

/**
 * REST: the same procedures, routed by their OpenAPI paths. Errors leave as RFC 9457 problem
 * documents built by the shared error formatter.
 */
export async function handleRest(c: HonoContext<AppEnv>, deps: Deps, auth: Auth): Promise<Response> {
  const ctx = contextFor(c, deps, auth);
  let request = c.req.raw;
  // A POST with no body (e.g. cancel without a reason) is an empty JSON object, not a 415.
  if (request.method === 'POST' && !request.headers.get('content-type')) {
    const text = await request.text();
    if (text.length === 0) {
      const headers = new Headers(request.headers);
      headers.set('content-type', 'application/json');
      request = new Request(request.url, { method: 'POST', headers, body: '{}' });
    }
  }
  const response = await createOpenApiFetchHandler({
    // trpc-to-openapi strips this prefix; paths in the document are already absolute (/v1/…).
    endpoint: '/__tahoon_rest__',
    router: appRouter,
    req: request,
    createContext: () => ctx,
    onError: ({ error, path }) => logFailure(c, error, path),
    responseMeta: ({ errors }) => {
      if (errors.length > 0) return {};
      return ctx.response.status ? { status: ctx.response.status } : {};
    },
  });
  if (response.ok) return response;
  return toProblem(response, ctx.requestId);
}

async function toProblem(response: Response, requestId: string): Promise<Response> {
  let body: Problem | undefined;
  try {
    const json = (await response.json()) as { data?: { problem?: Problem } };
    body = json.data?.problem;
  } catch {
    body = undefined;
  }
  return problemResponse(body ?? problem('INTERNAL', 'The request could not be completed', requestId));
}

/** tRPC over HTTP at /trpc, for the typed internal client. */
export function handleTrpc(c: HonoContext<AppEnv>, deps: Deps, auth: Auth): Promise<Response> {
  const ctx = contextFor(c, deps, auth);
  return fetchRequestHandler({
    endpoint: '/trpc',
    router: appRouter,
    req: c.req.raw,
    createContext: () => ctx,
    maxBatchSize: MAX_BATCH,
    onError: ({ error, path }) => logFailure(c, error, path),
    responseMeta: ({ errors }) => {
      if (errors.length > 0) return {};
      return ctx.response.status ? { status: ctx.response.status } : {};
    },
  });
}
