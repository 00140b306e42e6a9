import { auditEventPageSchema, auditListInput, toEpochMs } from '@tahoon/core';
import { auditEventView } from '../audit/view.js';
import { partnerProcedure, router } from '../trpc/init.js';

const LIST_DESCRIPTION =
  "Your organization's audit trail, newest first: every access to patient data and every " +
  'booking change, with the credential, token, request id, client address and outcome. ' +
  'Entries hold ids only. `resourceId` finds entries about a resource, or about a patient.';

export const auditRouter = router({
  list: partnerProcedure
    .meta({
      scope: 'audit:read',
      openapi: {
        method: 'GET',
        path: '/v1/audit-events',
        tags: ['audit'],
        summary: 'Read the audit trail',
        description: LIST_DESCRIPTION,
        protect: true,
        errorResponses: [400, 401, 403],
      },
    })
    .input(auditListInput)
    .output(auditEventPageSchema)
    .query(async ({ ctx, input }) => {
      const page = await ctx.deps.store.audit.list(ctx.principal.organizationId, {
        limit: input.limit,
        cursor: input.cursor,
        action: input.action,
        resourceId: input.resourceId,
        fromMs: input.from ? toEpochMs(input.from) : undefined,
        toMs: input.to ? toEpochMs(input.to) : undefined,
      });
      return { data: page.data.map(auditEventView), nextCursor: page.nextCursor };
    }),
});
