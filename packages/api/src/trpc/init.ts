import { initTRPC } from '@trpc/server';
import type { OpenApiMeta } from 'trpc-to-openapi';
import { TahoonError } from '@tahoon/core';
import type { Logger } from 'pino';
import type { Auth, Principal } from '../auth.js';
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
}

export type Meta = OpenApiMeta<{ scope?: string }>;

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

/**
 * Procedures for partners: a valid access token for an organization is required, and the token
 * must carry the scope the procedure declares in `meta.scope`. A procedure that declares none
 * is refused to everyone, so a forgotten declaration fails closed.
 */
export const partnerProcedure = publicProcedure.use(async ({ ctx, meta, next }) => {
  const principal = ctx.principal;
  if (!principal) {
    throw toTrpcError(
      ctx.authError ??
        new TahoonError({ code: 'UNAUTHENTICATED', detail: 'Send an access token as Bearer' }),
    );
  }
  const scope = meta?.scope;
  if (!scope || !principal.scopes.includes(scope)) {
    throw toTrpcError(
      new TahoonError({
        code: 'FORBIDDEN',
        detail: scope
          ? `This token lacks the ${scope} scope`
          : 'This operation declares no scope; no token may call it',
      }),
    );
  }
  const log = ctx.log.child({
    orgId: principal.organizationId,
    credentialId: principal.credentialId,
  });
  return next({ ctx: { ...ctx, principal, log } });
});
