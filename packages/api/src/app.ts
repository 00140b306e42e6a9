import { Hono, type Context, type MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { cors } from 'hono/cors';
import { secureHeaders } from 'hono/secure-headers';
import { Scalar } from '@scalar/hono-api-reference';
import { createAuth } from './auth.js';
import { docsEnabled } from './config.js';
import type { Deps } from './deps.js';
import type { AppEnv } from './http/env.js';
import { problem, problemResponse } from './http/problem.js';
import { idempotency } from './http/idempotency.js';
import { handleRest, handleTrpc } from './http/rest.js';
import { mountTokenRoutes } from './http/token.js';
import { mountOpsRoutes } from './http/ops.js';
import { mountTokenManagementRoutes } from './http/token-management.js';
import { buildOpenApiDocument } from './openapi.js';
import { clientIp, credentialRateLimit, tokenFailureRateLimit } from './ratelimit/index.js';
import { SIGNATURE_HEADERS, TahoonError } from '@tahoon/core';
import { signedRequests } from './signing/index.js';

const SIGNATURE_HEADER_NAMES = Object.values(SIGNATURE_HEADERS);

const INBOUND_REQUEST_ID = /^[A-Za-z0-9._:-]{8,64}$/;

function requestIdFor(inbound: string | undefined, deps: Deps): string {
  return inbound && INBOUND_REQUEST_ID.test(inbound) ? inbound : deps.ids.next('req');
}

function health(status: 'pass' | 'fail', checks?: Record<string, unknown>): Response {
  return new Response(JSON.stringify({ status, ...(checks ? { checks } : {}) }), {
    status: status === 'pass' ? 200 : 503,
    headers: { 'content-type': 'application/health+json', 'cache-control': 'no-store' },
  });
}

/** A device token in a path singles out one phone: the request log shows a placeholder. */
function loggablePath(path: string): string {
  return path.replace(/\/devices\/[^/]+/, '/devices/{token}');
}

/**
 * Builds the gateway from its adapters. Only web-standard APIs run on the request path, so the
 * same app can be served by Node or an edge runtime.
 *
 * @example
 * const app = createApp(deps);
 * serve({ fetch: app.fetch, port: 3000 });
 */
export function createApp(deps: Deps) {
  const app = new Hono<AppEnv>();
  const auth = createAuth(deps);
  let openApi: string | undefined;

  app.use('*', async (c, next) => {
    const requestId = requestIdFor(c.req.header('x-request-id'), deps);
    const log = deps.logger.child({ requestId });
    c.set('requestId', requestId);
    c.set('log', log);
    const started = performance.now();
    await next();
    c.res.headers.set('x-request-id', requestId);
    const path = loggablePath(c.req.path);
    if (path.startsWith('/v1') || path.startsWith('/trpc') || path.startsWith('/api')) {
      c.res.headers.set('cache-control', 'no-store');
    }
    log.info(
      {
        method: c.req.method,
        path,
        status: c.res.status,
        durationMs: Math.round(performance.now() - started),
      },
      'request',
    );
  });

  // The API serves JSON only: nothing may frame it, run scripts or load anything from it.
  const apiHeaders = secureHeaders({
    strictTransportSecurity: 'max-age=31536000; includeSubDomains',
    xFrameOptions: 'DENY',
    referrerPolicy: 'no-referrer',
    crossOriginResourcePolicy: 'same-origin',
    contentSecurityPolicy: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] },
  });
  // The reference page loads its viewer script and fonts; it still may not be framed.
  const docsHeaders = secureHeaders({
    strictTransportSecurity: 'max-age=31536000; includeSubDomains',
    xFrameOptions: 'DENY',
    referrerPolicy: 'no-referrer',
    contentSecurityPolicy: {
      defaultSrc: ["'self'"],
      scriptSrc: ["'self'", "'unsafe-inline'", 'https://cdn.jsdelivr.net'],
      styleSrc: [
        "'self'",
        "'unsafe-inline'",
        'https://cdn.jsdelivr.net',
        'https://fonts.scalar.com',
      ],
      fontSrc: ["'self'", 'https://fonts.scalar.com', 'https://cdn.jsdelivr.net'],
      imgSrc: ["'self'", 'data:'],
      connectSrc: ["'self'"],
      frameAncestors: ["'none'"],
    },
  });
  app.use('*', (c, next) => (c.req.path === '/docs' ? docsHeaders(c, next) : apiHeaders(c, next)));

  const origins = deps.config.TAHOON_CORS_ORIGINS;
  if (origins.length > 0) {
    // Only listed origins get CORS headers; any other Origin is answered without them.
    app.use(
      '*',
      cors({
        origin: (origin) => (origins.includes(origin) ? origin : null),
        allowHeaders: [
          'authorization',
          'content-type',
          'idempotency-key',
          'x-request-id',
          ...SIGNATURE_HEADER_NAMES,
        ],
        exposeHeaders: ['x-request-id', 'retry-after'],
        maxAge: 600,
      }),
    );
  }

  const limitBody = bodyLimit({
    maxSize: deps.config.TAHOON_BODY_LIMIT_BYTES,
    onError: (c) =>
      problemResponse(
        problem(
          'PAYLOAD_TOO_LARGE',
          `Bodies are limited to ${deps.config.TAHOON_BODY_LIMIT_BYTES} bytes`,
          c.get('requestId'),
        ),
      ),
  });
  // GET and HEAD carry no body. Asking one for its body builds a whole fetch Request from the
  // Node request (a sixth of an authenticated read's cost) only to find none.
  app.use('*', (c, next) =>
    c.req.method === 'GET' || c.req.method === 'HEAD' ? next() : limitBody(c, next),
  );

  app.get('/health', () => health('pass'));
  app.get('/health/live', () => health('pass'));
  app.get('/health/ready', async () => {
    if (deps.draining?.()) return health('fail', { shutdown: [{ status: 'fail' }] });
    const ready = await deps.store.ready().catch(() => false);
    return health(ready ? 'pass' : 'fail', { database: [{ status: ready ? 'pass' : 'fail' }] });
  });

  // Production deployments keep their API description private unless TAHOON_DOCS=on.
  if (docsEnabled(deps.config)) {
    app.get('/openapi.json', (c) => {
      // Without a configured public URL the server is relative ('/'), never a caller's Host
      // header: the document is built once and served to everyone.
      openApi ??= JSON.stringify(buildOpenApiDocument(deps.config.TAHOON_PUBLIC_URL ?? '/'));
      return c.body(openApi, 200, { 'content-type': 'application/json' });
    });
    app.get('/docs', Scalar({ url: '/openapi.json', pageTitle: 'Tahoon partner API' }));
  }

  const ipOf = (c: Context<AppEnv>) =>
    clientIp(c.req.raw, {
      socketAddress: deps.peerAddress?.(c.req.raw, c.env),
      trustedProxies: deps.limiter.config.trustedProxies,
    });
  const tokenLimit = tokenFailureRateLimit({ limiter: deps.limiter, ipOf });
  app.use('/v1/oauth/token', tokenLimit);
  app.use('/api/auth/token', tokenLimit);
  mountTokenRoutes(app, auth);
  mountOpsRoutes(app, deps);
  app.use('/v1/oauth/revoke', tokenLimit);
  app.use('/v1/oauth/introspect', tokenLimit);
  mountTokenManagementRoutes(app, auth);

  // The caller is verified once, before quotas and procedures; a bad token is answered by the
  // procedure (401 problem), so unknown routes still answer 404.
  const authenticate: MiddlewareHandler<AppEnv> = async (c, next) => {
    const bearer = /^Bearer\s+(\S+)$/i.exec(c.req.header('authorization') ?? '')?.[1];
    if (bearer) {
      try {
        c.set('principal', await auth.verifyToken(bearer));
      } catch (error) {
        if (!(error instanceof TahoonError)) throw error;
        c.set('authError', error);
      }
    }
    await next();
  };
  const quota = credentialRateLimit({
    limiter: deps.limiter,
    keyOf: (c) => c.get('principal')?.credentialId,
  });
  const remember = idempotency(deps.store, () => deps.clock.nowMs());
  // Signatures are checked once the caller is known: a key must belong to the token's credential.
  const signatures = signedRequests(deps);
  for (const path of ['/v1/*', '/trpc/*']) app.use(path, authenticate, signatures, quota, remember);
  app.all('/trpc/*', (c) => handleTrpc(c, deps, auth));
  app.all('/v1/*', (c) => handleRest(c, deps, auth));

  app.notFound((c) =>
    problemResponse(problem('NOT_FOUND', 'No such endpoint', c.get('requestId'))),
  );
  app.onError((err, c) => {
    c.get('log').error({ err }, 'unhandled error');
    return problemResponse(
      problem(
        'INTERNAL',
        'The request could not be completed; quote the requestId to support',
        c.get('requestId'),
      ),
    );
  });
  return app;
}

export type App = ReturnType<typeof createApp>;
