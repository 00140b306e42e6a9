import { z } from 'zod';
import {
  queuedSchema,
  TahoonError,
  webhookDeliveriesInput,
  webhookDeliveryPageSchema,
  webhookEndpointCreateInput,
  webhookEndpointIdInput,
  webhookEndpointListSchema,
  webhookEndpointSchema,
  webhookEndpointUpdateInput,
  webhookEndpointWithSecretSchema,
  webhookReplayInput,
  webhookRotateInput,
} from '@tahoon/core';
import { partnerProcedure, router } from '../trpc/init.js';
import {
  assertWebhookUrl,
  deliveryView,
  endpointDisabled,
  endpointView,
  MAX_REPLAY_EVENTS,
  queueDeliveries,
  requireEndpoint,
  requireEvent,
} from '../notifications/service.js';
import { generateWebhookSecret } from '../webhooks/signing.js';

const ERRORS = [400, 401, 403, 404, 409, 413];
const TAGS = ['webhooks'];
const SCOPE = 'webhooks:manage';

const CREATE_DESCRIPTION =
  'Answers 201 with the endpoint and its signing secret (whsec_…), shown this once. The URL ' +
  'must be https on a public host; private, loopback, link-local and metadata addresses are ' +
  'refused, at registration and again before every delivery.';

const ROTATE_DESCRIPTION =
  'Answers a new secret, shown this once. Until previousSecretExpiresAt (overlapSeconds, a day ' +
  'by default) each delivery carries a signature under the new and one under the old secret.';

const REPLAY_DESCRIPTION =
  `Queues the events after \`after\` (and before \`before\`) for this endpoint again, at most ` +
  `${MAX_REPLAY_EVENTS} per call; continue from the last event replayed for more.`;

export const webhooksRouter = router({
  create: partnerProcedure
    .meta({
      successStatuses: [201],
      scope: SCOPE,
      openapi: {
        method: 'POST',
        path: '/v1/webhook-endpoints',
        tags: TAGS,
        summary: 'Register a webhook endpoint',
        description: CREATE_DESCRIPTION,
        protect: true,
        errorResponses: ERRORS,
      },
    })
    .input(webhookEndpointCreateInput)
    .output(webhookEndpointWithSecretSchema)
    .mutation(async ({ ctx, input }) => {
      const { store, ids, clock } = ctx.deps;
      await assertWebhookUrl(ctx.deps, input.url);

      const nowMs = clock.nowMs();
      const secret = generateWebhookSecret();
      const endpoint = {
        id: ids.next('wep'),
        organizationId: ctx.principal.organizationId,
        url: input.url,
        description: input.description ?? null,
        eventTypes: input.eventTypes ?? null,
        disabledReason: null,
        disabledAtMs: null,
        secret,
        previousSecret: null,
        previousSecretExpiresAtMs: null,
        consecutiveFailures: 0,
        failingSinceMs: null,
        createdAtMs: nowMs,
        updatedAtMs: nowMs,
      };
      await store.notifications.endpoints.create(endpoint);

      ctx.log.info({ endpointId: endpoint.id }, 'webhook endpoint registered');
      ctx.response.status = 201;
      return { ...endpointView(endpoint, nowMs), secret };
    }),

  list: partnerProcedure
    .meta({
      scope: SCOPE,
      openapi: {
        method: 'GET',
        path: '/v1/webhook-endpoints',
        tags: TAGS,
        summary: 'List your webhook endpoints',
        protect: true,
        errorResponses: ERRORS,
      },
    })
    .input(z.strictObject({}))
    .output(webhookEndpointListSchema)
    .query(async ({ ctx }) => {
      const nowMs = ctx.deps.clock.nowMs();
      const rows = await ctx.deps.store.notifications.endpoints.list(ctx.principal.organizationId);
      return { data: rows.map((row) => endpointView(row, nowMs)) };
    }),

  get: partnerProcedure
    .meta({
      scope: SCOPE,
      openapi: {
        method: 'GET',
        path: '/v1/webhook-endpoints/{id}',
        tags: TAGS,
        summary: 'Read one webhook endpoint',
        protect: true,
        errorResponses: ERRORS,
      },
    })
    .input(webhookEndpointIdInput)
    .output(webhookEndpointSchema)
    .query(async ({ ctx, input }) => {
      const endpoint = await requireEndpoint(ctx.deps, ctx.principal.organizationId, input.id);
      return endpointView(endpoint, ctx.deps.clock.nowMs());
    }),

  update: partnerProcedure
    .meta({
      scope: SCOPE,
      openapi: {
        method: 'PATCH',
        path: '/v1/webhook-endpoints/{id}',
        tags: TAGS,
        summary: 'Change an endpoint, or disable or re-enable it',
        description: '`enabled: true` re-enables a disabled endpoint and clears its failures.',
        protect: true,
        errorResponses: ERRORS,
      },
    })
    .input(webhookEndpointUpdateInput)
    .output(webhookEndpointSchema)
    .mutation(async ({ ctx, input }) => {
      const { id, ...patch } = input;
      const orgId = ctx.principal.organizationId;
      if (patch.url !== undefined) await assertWebhookUrl(ctx.deps, patch.url);

      const nowMs = ctx.deps.clock.nowMs();
      const endpoint = await ctx.deps.store.notifications.endpoints.update(orgId, id, patch, nowMs);
      if (!endpoint)
        throw new TahoonError({ code: 'NOT_FOUND', detail: `No webhook endpoint ${id}` });

      ctx.log.info({ endpointId: id, fields: Object.keys(patch) }, 'webhook endpoint updated');
      return endpointView(endpoint, nowMs);
    }),

  delete: partnerProcedure
    .meta({
      scope: SCOPE,
      openapi: {
        method: 'DELETE',
        path: '/v1/webhook-endpoints/{id}',
        tags: TAGS,
        summary: 'Remove a webhook endpoint and its delivery log',
        protect: true,
        errorResponses: ERRORS,
      },
    })
    .input(webhookEndpointIdInput)
    .output(z.strictObject({ id: z.string(), deleted: z.literal(true) }))
    .mutation(async ({ ctx, input }) => {
      const orgId = ctx.principal.organizationId;
      const removed = await ctx.deps.store.notifications.endpoints.remove(orgId, input.id);
      if (!removed) {
        throw new TahoonError({ code: 'NOT_FOUND', detail: `No webhook endpoint ${input.id}` });
      }
      ctx.log.info({ endpointId: input.id }, 'webhook endpoint removed');
      return { id: input.id, deleted: true as const };
    }),

  rotateSecret: partnerProcedure
    .meta({
      scope: SCOPE,
      openapi: {
        method: 'POST',
        path: '/v1/webhook-endpoints/{id}/rotate-secret',
        tags: TAGS,
        summary: "Replace an endpoint's signing secret",
        description: ROTATE_DESCRIPTION,
        protect: true,
        errorResponses: ERRORS,
      },
    })
    .input(webhookRotateInput)
    .output(webhookEndpointWithSecretSchema)
    .mutation(async ({ ctx, input }) => {
      const { store, clock } = ctx.deps;
      const nowMs = clock.nowMs();
      const secret = generateWebhookSecret();
      const next = { secret, previousExpiresAtMs: nowMs + input.overlapSeconds * 1000 };
      const orgId = ctx.principal.organizationId;
      const endpoint = await store.notifications.endpoints.rotate(orgId, input.id, next, nowMs);
      if (!endpoint) {
        throw new TahoonError({ code: 'NOT_FOUND', detail: `No webhook endpoint ${input.id}` });
      }
      ctx.log.info({ endpointId: input.id }, 'webhook secret rotated');
      return { ...endpointView(endpoint, nowMs), secret };
    }),

  deliveries: partnerProcedure
    .meta({
      scope: SCOPE,
      openapi: {
        method: 'GET',
        path: '/v1/webhook-endpoints/{id}/deliveries',
        tags: TAGS,
        summary: 'The delivery attempts made to an endpoint, newest first',
        protect: true,
        errorResponses: ERRORS,
      },
    })
    .input(webhookDeliveriesInput)
    .output(webhookDeliveryPageSchema)
    .query(async ({ ctx, input }) => {
      const orgId = ctx.principal.organizationId;
      await requireEndpoint(ctx.deps, orgId, input.id);
      const page = await ctx.deps.store.notifications.endpoints.deliveries(orgId, input.id, input);
      return { data: page.data.map(deliveryView), nextCursor: page.nextCursor };
    }),

  replay: partnerProcedure
    .meta({
      scope: SCOPE,
      openapi: {
        method: 'POST',
        path: '/v1/webhook-endpoints/{id}/replay',
        tags: TAGS,
        summary: 'Send a range of past events to an endpoint again',
        description: REPLAY_DESCRIPTION,
        protect: true,
        errorResponses: ERRORS,
      },
    })
    .input(webhookReplayInput)
    .output(queuedSchema)
    .mutation(async ({ ctx, input }) => {
      const orgId = ctx.principal.organizationId;
      const endpoint = await requireEndpoint(ctx.deps, orgId, input.id);
      if (endpoint.disabledReason !== null) throw endpointDisabled(input.id);
      const after = await requireEvent(ctx.deps, orgId, input.after, '/after');
      const before = input.before
        ? await requireEvent(ctx.deps, orgId, input.before, '/before')
        : undefined;

      const events = await ctx.deps.store.notifications.events.list(orgId, {
        afterSequence: after.sequence,
        ...(before ? { beforeSequence: before.sequence } : {}),
        settledAtMs: ctx.deps.clock.nowMs(),
        limit: MAX_REPLAY_EVENTS,
      });
      const queued = await queueDeliveries(ctx.deps, events, [endpoint]);
      ctx.log.info({ endpointId: input.id, queued }, 'webhook replay queued');
      return { queued };
    }),
});
