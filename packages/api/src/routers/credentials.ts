import {
  credentialCreatedSchema,
  credentialCreateInput,
  credentialIdInput,
  credentialListSchema,
  credentialRotatedSchema,
  credentialRotateInput,
  credentialSchema,
} from '@tahoon/core';
import { z } from 'zod';
import {
  createCredential,
  listCredentials,
  readCredential,
  revokeCredential,
  rotateCredential,
  scopesToGrant,
} from '../services/credentials.js';
import { partnerProcedure, router } from '../trpc/init.js';

const ERRORS = [400, 401, 403, 404, 409];
const SCOPE = 'credentials:admin';

const ROTATE_DESCRIPTION =
  'Issues a new client secret, shown once. The secrets the credential already has keep ' +
  'working for previousSecretExpiresInSeconds (default 86400, at most 604800; 0 ends them ' +
  'now), so the new secret can be rolled out before the old one stops.';

const REVOKE_DESCRIPTION =
  'Revokes the credential: its secrets and every access token issued to it stop working on ' +
  'their next use.';

/** Managing the organization's own client credentials; needs the credentials:admin scope. */
export const credentialsRouter = router({
  list: partnerProcedure
    .meta({
      scope: SCOPE,
      openapi: {
        method: 'GET',
        path: '/v1/credentials',
        tags: ['credentials'],
        summary: "List your organization's credentials and their secrets' ages",
        protect: true,
        errorResponses: [400, 401, 403],
      },
    })
    .input(z.strictObject({}))
    .output(credentialListSchema)
    .query(async ({ ctx }) => ({
      data: await listCredentials(ctx.deps, ctx.principal.organizationId),
    })),

  create: partnerProcedure
    .meta({
      successStatuses: [201],
      scope: SCOPE,
      openapi: {
        method: 'POST',
        path: '/v1/credentials',
        tags: ['credentials'],
        summary: 'Create a credential; its client secret is answered this once',
        protect: true,
        successDescription: 'The new credential and its secret (status 201)',
        errorResponses: ERRORS,
      },
    })
    .input(credentialCreateInput)
    .output(credentialCreatedSchema)
    .mutation(async ({ ctx, input }) => {
      const scopes = scopesToGrant(input.scopes, ctx.principal.scopes);
      const created = await createCredential(
        { ...ctx.deps, auth: ctx.auth },
        ctx.principal.organizationId,
        { label: input.label, scopes },
      );
      ctx.log.info({ createdCredentialId: created.id }, 'credential created');
      ctx.response.status = 201;
      return created;
    }),

  get: partnerProcedure
    .meta({
      scope: SCOPE,
      openapi: {
        method: 'GET',
        path: '/v1/credentials/{id}',
        tags: ['credentials'],
        summary: 'Read one credential',
        protect: true,
        errorResponses: [400, 401, 403, 404],
      },
    })
    .input(credentialIdInput)
    .output(credentialSchema)
    .query(({ ctx, input }) => readCredential(ctx.deps, ctx.principal.organizationId, input.id)),

  rotate: partnerProcedure
    .meta({
      scope: SCOPE,
      openapi: {
        method: 'POST',
        path: '/v1/credentials/{id}/rotate',
        tags: ['credentials'],
        summary: 'Issue a new secret; the old one keeps working for a while',
        description: ROTATE_DESCRIPTION,
        protect: true,
        errorResponses: ERRORS,
      },
    })
    .input(credentialRotateInput)
    .output(credentialRotatedSchema)
    .mutation(async ({ ctx, input }) => {
      const rotated = await rotateCredential(
        { ...ctx.deps, auth: ctx.auth },
        ctx.principal.organizationId,
        input.id,
        input.previousSecretExpiresInSeconds,
        ctx.principal.scopes,
      );
      ctx.log.info({ rotatedCredentialId: input.id }, 'credential secret rotated');
      return rotated;
    }),

  revoke: partnerProcedure
    .meta({
      scope: SCOPE,
      openapi: {
        method: 'DELETE',
        path: '/v1/credentials/{id}',
        tags: ['credentials'],
        summary: 'Revoke a credential and every token issued to it',
        description: REVOKE_DESCRIPTION,
        protect: true,
        errorResponses: [400, 401, 403, 404],
      },
    })
    .input(credentialIdInput)
    .output(credentialSchema)
    .mutation(async ({ ctx, input }) => {
      const revoked = await revokeCredential(
        ctx.deps,
        ctx.principal.organizationId,
        input.id,
        ctx.principal.scopes,
      );
      ctx.log.info({ revokedCredentialId: input.id }, 'credential revoked');
      return revoked;
    }),
});
