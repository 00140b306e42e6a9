import { initTRPC } from '@trpc/server';
import type { OpenApiMeta } from 'trpc-to-openapi';
import { TahoonError } from '@tahoon/core';
import type { Logger } from 'pino';
import type { Auth, Principal } from '../auth.js';
import { recordCall, type AuditNote, type AuditSpec } from '../audit/trail.js';
import type { Deps } from '../deps.js';
import { problem, type Problem } from '../http/problem.js';
import { classify, toTrpcError } from './errors.js';

/** Per-request state shared by the transports and the procedures. */
export interface Context {
  deps: Deps;
  auth: Auth;
  requestId: string;
  log: Logger;
  /** The caller, verified by the app before any procedure runs; absent without a valid token. */
  principal: Principal | undefined;
  /** Why the presented token was refused, if one was. */
  authError: TahoonError | undefined;
  /** Set by a procedure to answer with another success status (201 on create). */
  response: { status?: number };
  /** The caller's address as src/ratelimit/client-ip.ts reads it; null when unknown. */
  clientIp: string | null;
  /**
   * The request's credential and Idempotency-Key, for a request that is one call (a tRPC
   * batch shares its key among calls, so it has none).
   */
  requestKey?: string | undefined;
}

/** `audit`: every call of the procedure by a partner is recorded in the audit trail. */
/**
 * `successStatuses`: what the procedure answers on success when it is not 200 (it sets
 * `ctx.response.status`); the OpenAPI document lists these instead of 200.
 */
export type Meta = OpenApiMeta<{
  scope?: string;
  audit?: AuditSpec;
  successStatuses?: readonly (201 | 202)[];
}>;

const t = initTRPC
  .context<Context>()
  .meta<Meta>()
  .create({
    // Never include stack traces in responses, whatever NODE_ENV says.
    isDev: false,
    errorFormatter({ shape, error, ctx }) {
      const requestId = ctx?.requestId ?? 'req_unknown';
      const { failure } = classify(error);
      const body: Problem = problem(failure.code, failure.detail, requestId, failure.errors);
      return {
        message: body.detail,
        code: shape.code,
        data: { code: body.code, httpStatus: body.status, requestId, problem: body },
      };
    },
  });

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;

/** Domain failures thrown as TahoonError become tRPC errors with the right status. */
const domainErrors = t.middleware(async ({ next }) => {
  const result = await next();
  if (!result.ok && result.error.cause instanceof TahoonError) {
    throw toTrpcError(result.error.cause);
  }
  return result;
});

export const publicProcedure = t.procedure.use(domainErrors);

/** A valid access token for an organization is required; its scopes are checked later. */
const authenticatedProcedure = publicProcedure.use(async ({ ctx, next }) => {
  const principal = ctx.principal;
  if (!principal) {
    throw toTrpcError(
      ctx.authError ??
        new TahoonError({ code: 'UNAUTHENTICATED', detail: 'Send an access token as Bearer' }),
    );
  }
  const log = ctx.log.child({
    orgId: principal.organizationId,
    credentialId: principal.credentialId,
  });
  return next({ ctx: { ...ctx, principal, log } });
});

/**
 * Partner procedures, with the audit trail wrapped around everything after authentication, so
 * refusals by later checks (scopes, validation, not found) are recorded as well as successes.
 * Each call gets its own note: a tRPC batch shares one context between its calls.
 */
const auditedProcedure = authenticatedProcedure.use(async (opts) => {
  const { ctx, meta, next } = opts;
  const audit: AuditNote = {};
  const result = await next({ ctx: { audit } });
  const spec = meta?.audit;
  if (!spec) return result;

  const raw = await opts.getRawInput().catch(() => undefined);
  const call = result.ok
    ? { ok: true, data: result.data, raw, note: audit }
    : { ok: false, error: result.error, raw, note: audit };
  const { store, ids, clock } = ctx.deps;
  await recordCall({ store, ids, log: ctx.log, nowMs: clock.nowMs() }, ctx, spec, call);
  return result;
});

/**
 * Procedures for partners: authenticated, audited, and the token must carry the scope the
 * procedure declares in `meta.scope`. A procedure that declares none is refused to everyone,
 * so a forgotten declaration fails closed.
 */
export const partnerProcedure = auditedProcedure.use(async ({ ctx, meta, next }) => {
  const scope = meta?.scope;
  if (!scope || !ctx.principal.scopes.includes(scope)) {
    throw toTrpcError(
      new TahoonError({
        code: 'FORBIDDEN',
        detail: scope
          ? `This token lacks the ${scope} scope`
          : 'This operation declares no scope; no token may call it',
      }),
    );
  }
  return next();
});
