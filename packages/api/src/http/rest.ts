import type { Context as HonoContext } from 'hono';
import { fetchRequestHandler } from '@trpc/server/adapters/fetch';
import type { NodeHTTPResponse } from '@trpc/server/adapters/node-http';
import { TRPCError } from '@trpc/server';
import { createOpenApiNodeHttpHandler, type NodeHTTPRequest } from 'trpc-to-openapi';
import type { Auth } from '../auth.js';
import type { Deps } from '../deps.js';
import { appRouter } from '../routers/index.js';
import type { Context } from '../trpc/init.js';
import { classify } from '../trpc/errors.js';
import { clientIp } from '../ratelimit/index.js';
import { problem, problemResponse, type Problem } from './problem.js';
import type { AppEnv } from './env.js';

/** The tRPC batch endpoint limit: a batch is many calls for the price of one request. */
export const MAX_BATCH = 10;

function contextFor(c: HonoContext<AppEnv>, deps: Deps, auth: Auth, oneCall = true): Context {
  return {
    requestKey: oneCall ? c.get('requestKey') : undefined,
    deps,
    auth,
    requestId: c.get('requestId'),
    log: c.get('log'),
    principal: c.get('principal'),
    authError: c.get('authError'),
    response: {},
    clientIp: clientIp(c.req.raw, {
      socketAddress: deps.peerAddress?.(c.req.raw, c.env),
      trustedProxies: deps.limiter.config.trustedProxies,
    }),
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
export async function handleRest(
  c: HonoContext<AppEnv>,
  deps: Deps,
  auth: Auth,
): Promise<Response> {
  const ctx = contextFor(c, deps, auth);
  let request = c.req.raw;
  // A POST or PUT with no body (e.g. cancel without a reason, a device without a platform) is
  // an empty JSON object, not a 415.
  const bodyOptional = request.method === 'POST' || request.method === 'PUT';
  if (bodyOptional && !request.headers.get('content-type')) {
    const text = await request.text();
    if (text.length === 0) {
      const headers = new Headers(request.headers);
      headers.set('content-type', 'application/json');
      request = new Request(request.url, { method: request.method, headers, body: '{}' });
    }
  }
  const call: RestCall = { ctx, onError: (error, path) => logFailure(c, error, path) };
  const response = await serveRest(await restRequest(request, call));
  if (response.ok) return response;
  return toProblem(response, ctx.requestId);
}

/** What one REST request hands to the shared handler; it travels on the request object. */
interface RestCall {
  ctx: Context;
  onError(error: unknown, path: string | undefined): void;
}

const REST_CALL = Symbol('tahoon.restCall');

function restCallOf(req: object): RestCall {
  const call = (req as { [REST_CALL]?: RestCall })[REST_CALL];
  if (!call) throw new Error('a REST request reached the handler without its call state');
  return call;
}

/**
 * The REST handler, built once. trpc-to-openapi's fetch adapter builds a new one for every
 * request, and outside production that also regenerates the whole OpenAPI document each time:
 * tens of milliseconds per request, more than everything else on the path.
 */
let restHandler: ReturnType<typeof buildRestHandler> | undefined;

function buildRestHandler() {
  return createOpenApiNodeHttpHandler<typeof appRouter, NodeHTTPRequest, NodeHTTPResponse>({
    router: appRouter,
    createContext: ({ req }) => restCallOf(req).ctx,
    onError: ({ error, path, req }) => restCallOf(req).onError(error, path),
    responseMeta: ({ ctx, errors }) => {
      if (errors.length > 0 || !ctx?.response.status) return {};
      return { status: ctx.response.status };
    },
  });
}

/**
 * The request as the handler reads it: a JSON body already parsed (a malformed one is refused
 * as PARSE_ERROR when the handler reads it), and the call state under a private key.
 */
async function restRequest(request: Request, call: RestCall): Promise<Request> {
  // Other bodies are read only if asked for: on the Node server, touching `body` at all builds
  // a whole fetch Request.
  let body: { ok: true; value: unknown } | { ok: false; cause: unknown } | null = null;
  if (request.headers.get('content-type')?.includes('application/json')) {
    try {
      body = { ok: true, value: JSON.parse(await request.text()) };
    } catch (cause) {
      body = { ok: false, cause };
    }
  }
  return new Proxy(request, {
    get(target, property) {
      if (property === REST_CALL) return call;
      if (property !== 'body' || !body) return Reflect.get(target, property, target);
      if (body.ok) return body.value;
      const cause = body.cause instanceof Error ? body.cause : undefined;
      throw new TRPCError({ code: 'PARSE_ERROR', message: 'Failed to parse request body', cause });
    },
  });
}

/** Runs the shared handler against a response collector and answers with a fetch Response. */
function serveRest(request: Request): Promise<Response> {
  restHandler ??= buildRestHandler();
  const handler = restHandler;
  return new Promise((resolve, reject) => {
    const headers = new Headers();
    let status = 200;
    const response = {
      get statusCode() {
        return status;
      },
      set statusCode(code: number) {
        status = code;
      },
      setHeader(name: string, value: string | readonly string[]) {
        if (typeof value === 'string') headers.set(name, value);
        else for (const item of value) headers.append(name, item);
      },
      end(body?: string) {
        resolve(new Response(body ?? null, { status, headers }));
      },
    };
    handler(request as unknown as NodeHTTPRequest, response as unknown as NodeHTTPResponse).catch(
      reject,
    );
  });
}

async function toProblem(response: Response, requestId: string): Promise<Response> {
  let body: Problem | undefined;
  try {
    const json = (await response.json()) as { data?: { problem?: Problem } };
    body = json.data?.problem;
  } catch {
    body = undefined;
  }
  // A body that fails to parse is refused before the context exists, so the formatter could not
  // know the request id; the one in the X-Request-Id header is the one support can find.
  if (body) return problemResponse({ ...body, requestId });
  return problemResponse(problem('INTERNAL', 'The request could not be completed', requestId));
}

/** tRPC over HTTP at /trpc, for the typed internal client. */
export function handleTrpc(c: HonoContext<AppEnv>, deps: Deps, auth: Auth): Promise<Response> {
  // `/trpc/a,b?batch=1` carries several calls under one request (and one Idempotency-Key).
  const oneCall = !new URL(c.req.url).pathname.includes(',');
  const ctx = contextFor(c, deps, auth, oneCall);
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
