import {
  organizationSettingsSchema,
  organizationUpdateInput,
  TahoonError,
  type OrganizationSettings,
} from '@tahoon/core';
import { z } from 'zod';
import type { Deps } from '../deps.js';
import { setSigningRequired } from '../signing/index.js';
import { router } from '../trpc/init.js';
import { ADMIN_SCOPE, adminProcedure } from './admin.js';

const ERRORS = [400, 401, 403, 404, 409];

const UPDATE_DESCRIPTION =
  'requireSignedRequests: true refuses every request of your organization that is not signed ' +
  '(see "Signed requests"); it needs an active signing key. The change applies at once on the ' +
  'instance that makes it and within 5 seconds on the others.';

async function settingsOf(deps: Deps, organizationId: string): Promise<OrganizationSettings> {
  const org = await deps.store.organizations.get(organizationId);
  const required = await deps.store.signing.required(organizationId);
  if (!org || required === null) {
    throw new TahoonError({ code: 'NOT_FOUND', detail: `No organization ${organizationId}` });
  }
  return { id: org.id, name: org.name, requireSignedRequests: required };
}

export const organizationRouter = router({
  get: adminProcedure
    .meta({
      scope: ADMIN_SCOPE,
      openapi: {
        method: 'GET',
        path: '/v1/organization',
        tags: ['organization'],
        summary: "Read your organization's settings",
        protect: true,
        errorResponses: ERRORS,
      },
    })
    .input(z.strictObject({}))
    .output(organizationSettingsSchema)
    .query(({ ctx }) => settingsOf(ctx.deps, ctx.principal.organizationId)),

  update: adminProcedure
    .meta({
      scope: ADMIN_SCOPE,
      openapi: {
        method: 'PATCH',
        path: '/v1/organization',
        tags: ['organization'],
        summary: "Change your organization's settings",
        description: UPDATE_DESCRIPTION,
        protect: true,
        errorResponses: ERRORS,
      },
    })
    .input(organizationUpdateInput)
    .output(organizationSettingsSchema)
    .mutation(async ({ ctx, input }) => {
      const orgId = ctx.principal.organizationId;
      if (input.requireSignedRequests !== undefined) {
        await setSigningRequired(ctx.deps, orgId, input.requireSignedRequests);
        ctx.log.info(
          { requireSignedRequests: input.requireSignedRequests },
          'signing requirement changed',
        );
      }
      return settingsOf(ctx.deps, orgId);
    }),
});
