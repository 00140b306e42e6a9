import { eventListInput, eventPageSchema, eventRedeliverInput, queuedSchema } from '@tahoon/core';
import { partnerProcedure, router } from '../trpc/init.js';
import {
  endpointDisabled,
  EVENT_SETTLE_MS,
  eventView,
  queueDeliveries,
  requireEndpoint,
  requireEvent,
} from '../notifications/service.js';

const ERRORS = [400, 401, 403, 404, 409];

const LIST_DESCRIPTION =
  'Your events, oldest first, after the event named by `after` (from the first without it). ' +
  'Keep the id of the last event you processed and ask again with it to recover anything a ' +
  `webhook missed. Events appear ${EVENT_SETTLE_MS / 1000} seconds after they occur, so that ` +
  'one written by a slower transaction is never skipped.';

export const eventsRouter = router({
  list: partnerProcedure
    .meta({
      scope: 'events:read',
      openapi: {
        method: 'GET',
        path: '/v1/events',
        tags: ['events'],
        summary: 'List your events in order, after a given one',
        description: LIST_DESCRIPTION,
        protect: true,
        errorResponses: ERRORS,
      },
    })
    .input(eventListInput)
    .output(eventPageSchema)
    .query(async ({ ctx, input }) => {
      const orgId = ctx.principal.organizationId;
      const after = input.after
        ? await requireEvent(ctx.deps, orgId, input.after, '/after')
        : undefined;

      const events = await ctx.deps.store.notifications.events.list(orgId, {
        afterSequence: after?.sequence ?? 0,
        settledAtMs: ctx.deps.clock.nowMs() - EVENT_SETTLE_MS,
        limit: input.limit,
      });
      const last = events.at(-1);
      return {
        data: events.map(eventView),
        nextCursor: last && events.length === input.limit ? last.id : null,
      };
    }),

  redeliver: partnerProcedure
    .meta({
      scope: 'webhooks:manage',
      openapi: {
        method: 'POST',
        path: '/v1/events/{id}/redeliver',
        tags: ['events'],
        summary: 'Send one event to your endpoints again',
        description:
          'Queues the event for every enabled endpoint whose filter takes it, or for the one ' +
          'named by endpointId. The webhook-id header stays the event id.',
        protect: true,
        errorResponses: ERRORS,
      },
    })
    .input(eventRedeliverInput)
    .output(queuedSchema)
    .mutation(async ({ ctx, input }) => {
      const orgId = ctx.principal.organizationId;
      const event = await requireEvent(ctx.deps, orgId, input.id);
      const endpoints = input.endpointId
        ? [await requireEndpoint(ctx.deps, orgId, input.endpointId)]
        : await ctx.deps.store.notifications.endpoints.list(orgId);
      const [only] = endpoints;
      if (input.endpointId && only?.disabledReason) throw endpointDisabled(input.endpointId);

      const queued = await queueDeliveries(ctx.deps, [event], endpoints);
      ctx.log.info({ eventId: event.id, queued }, 'event redelivery queued');
      return { queued };
    }),
});
