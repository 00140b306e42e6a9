import {
  createdSigningKeySchema,
  signingKeyCreateInput,
  signingKeyIdInput,
  signingKeyListSchema,
  signingKeyRotateInput,
  signingKeyRotationSchema,
  signingKeySchema,
} from '@tahoon/core';
import { z } from 'zod';
import {
  createSigningKey,
  listSigningKeys,
  revokeSigningKey,
  rotateSigningKey,
} from '../signing/index.js';
import { router } from '../trpc/init.js';
import { ADMIN_SCOPE, adminProcedure } from './admin.js';

const ERRORS = [400, 401, 403, 404, 409];

const CREATE_DESCRIPTION =
  'Makes a signing key for the calling credential, or for another credential of your ' +
  'organization. The secret is in this answer only; store it now. See "Signed requests".';

const ROTATE_DESCRIPTION =
  'Makes a new key for the same credential; the old key keeps working for overlapSeconds ' +
  '(default one day), so the new secret can be rolled out first.';

export const signingKeysRouter = router({
  list: adminProcedure
    .meta({
      scope: ADMIN_SCOPE,
      openapi: {
        method: 'GET',
        path: '/v1/signing-keys',
        tags: ['signing keys'],
        summary: "List your organization's signing keys (never their secrets)",
        protect: true,
        errorResponses: ERRORS,
      },
    })
    .input(z.strictObject({}))
    .output(signingKeyListSchema)
    .query(({ ctx }) => listSigningKeys(ctx.deps, ctx.principal.organizationId)),

  create: adminProcedure
    .meta({
      successStatuses: [201],
      scope: ADMIN_SCOPE,
      openapi: {
        method: 'POST',
        path: '/v1/signing-keys',
        tags: ['signing keys'],
        summary: 'Create a signing key',
        description: CREATE_DESCRIPTION,
        protect: true,
        successDescription: 'The key with its secret, shown once (status 201)',
        errorResponses: ERRORS,
      },
    })
    .input(signingKeyCreateInput)
    .output(createdSigningKeySchema)
    .mutation(async ({ ctx, input }) => {
      const credentialId = input.credentialId ?? ctx.principal.credentialId;
      const key = await createSigningKey(
        ctx.deps,
        ctx.principal.organizationId,
        {
          credentialId,
          expiresInSeconds: input.expiresInSeconds,
        },
        ctx.principal,
      );
      ctx.log.info({ signingKeyId: key.id, forCredential: credentialId }, 'signing key created');
      ctx.response.status = 201;
      return key;
    }),

  rotate: adminProcedure
    .meta({
      successStatuses: [201],
      scope: ADMIN_SCOPE,
      openapi: {
        method: 'POST',
        path: '/v1/signing-keys/{id}/rotate',
        tags: ['signing keys'],
        summary: 'Replace a signing key, keeping the old one valid for a while',
        description: ROTATE_DESCRIPTION,
        protect: true,
        successDescription: 'The new key with its secret, shown once, and the old key (status 201)',
        errorResponses: ERRORS,
      },
    })
    .input(signingKeyRotateInput)
    .output(signingKeyRotationSchema)
    .mutation(async ({ ctx, input }) => {
      const rotation = await rotateSigningKey(
        ctx.deps,
        ctx.principal.organizationId,
        input,
        ctx.principal,
      );
      ctx.log.info(
        { signingKeyId: rotation.key.id, previousSigningKeyId: rotation.previous.id },
        'signing key rotated',
      );
      ctx.response.status = 201;
      return rotation;
    }),

  revoke: adminProcedure
    .meta({
      scope: ADMIN_SCOPE,
      openapi: {
        method: 'DELETE',
        path: '/v1/signing-keys/{id}',
        tags: ['signing keys'],
        summary: 'Revoke a signing key at once',
        protect: true,
        errorResponses: ERRORS,
      },
    })
    .input(signingKeyIdInput)
    .output(signingKeySchema)
    .mutation(async ({ ctx, input }) => {
      const key = await revokeSigningKey(
        ctx.deps,
        ctx.principal.organizationId,
        input.id,
        ctx.principal,
      );
      ctx.log.info({ signingKeyId: key.id }, 'signing key revoked');
      return key;
    }),
});
