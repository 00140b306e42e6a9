import {
  providerIdInput,
  providerPageSchema,
  providerSchema,
  providerSearchInput,
  slotsInput,
  slotsOutput,
  TahoonError,
  unwrap,
} from '@tahoon/core';
import { partnerProcedure, router } from '../trpc/init.js';
import { checkWindow, providerSlots, renderSlots, searchProviders } from '../services/providers.js';
import { providerView } from '../services/views.js';

const notFound = (id: string) =>
  new TahoonError({ code: 'NOT_FOUND', detail: `No provider ${id}` });

export const providersRouter = router({
  search: partnerProcedure
    .meta({
      scope: 'providers:read',
      openapi: {
        method: 'GET',
        path: '/v1/providers',
        tags: ['providers'],
        summary: 'Search providers by specialty, language, price, licence and availability',
        protect: true,
        errorResponses: [400, 401, 403],
      },
    })
    .input(providerSearchInput)
    .output(providerPageSchema)
    .query(async ({ ctx, input }) => {
      const page = unwrap(await searchProviders(ctx.deps.store, input, ctx.deps.clock.nowMs()));
      return { data: page.data.map(providerView), nextCursor: page.nextCursor };
    }),

  get: partnerProcedure
    .meta({
      scope: 'providers:read',
      openapi: {
        method: 'GET',
        path: '/v1/providers/{id}',
        tags: ['providers'],
        summary: 'Read one provider',
        protect: true,
        errorResponses: [400, 401, 403, 404],
      },
    })
    .input(providerIdInput)
    .output(providerSchema)
    .query(async ({ ctx, input }) => {
      const provider = await ctx.deps.store.providers.get(input.id);
      if (!provider) throw notFound(input.id);
      return providerView(provider);
    }),

  slots: partnerProcedure
    .meta({
      scope: 'providers:read',
      openapi: {
        method: 'GET',
        path: '/v1/providers/{id}/slots',
        tags: ['providers'],
        summary: 'List the free slots of a provider in a window of up to 31 days',
        protect: true,
        errorResponses: [400, 401, 403, 404, 422],
      },
    })
    .input(slotsInput)
    .output(slotsOutput)
    .query(async ({ ctx, input }) => {
      const window = unwrap(checkWindow(input.from, input.to, { from: 'from', to: 'to' }));
      const provider = await ctx.deps.store.providers.get(input.id);
      if (!provider) throw notFound(input.id);
      if (!provider.active) {
        throw new TahoonError({
          code: 'NOT_ELIGIBLE',
          detail: `Provider ${provider.id} is not active`,
        });
      }
      if (!provider.sessionTypes.some((s) => s.duration === input.duration)) {
        const offered = provider.sessionTypes.map((s) => s.duration).join(', ');
        throw new TahoonError({
          code: 'NOT_ELIGIBLE',
          detail: `Provider ${provider.id} offers ${offered} minute sessions`,
          errors: [{ pointer: '/duration', message: `must be one of ${offered}` }],
        });
      }
      const { store, clock } = ctx.deps;
      const slots = await providerSlots(store, provider, window, input.duration, clock.nowMs());
      return { data: renderSlots(slots, input.timeZone), timeZone: input.timeZone };
    }),
});
