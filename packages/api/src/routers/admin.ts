import { TahoonError } from '@tahoon/core';
import { partnerProcedure } from '../trpc/init.js';

/** The scope of procedures that manage an organization's own access. */
export const ADMIN_SCOPE = 'credentials:admin';

/**
 * Procedures that change how an organization authenticates: the token must carry
 * `credentials:admin`.
 */
export const adminProcedure = partnerProcedure.use(({ ctx, next }) => {
  if (!ctx.principal.scopes.includes(ADMIN_SCOPE)) {
    throw new TahoonError({
      code: 'FORBIDDEN',
      detail: `This needs a token with the ${ADMIN_SCOPE} scope`,
    });
  }
  return next();
});
