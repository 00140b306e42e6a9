import { z } from 'zod';
import { CURRENCIES, GENDERS, LANGUAGES, PROVIDER_TYPES, SPECIALTIES } from '@tahoon/core';
import { partnerProcedure, router } from '../trpc/init.js';

const catalogueSchema = z
  .object({
    specialties: z.array(z.string()),
    languages: z.array(z.string()),
    providerTypes: z.array(z.string()),
    genders: z.array(z.string()),
    currencies: z.array(z.string()),
  })
  .meta({ id: 'Catalogue' });

export const catalogueRouter = router({
  get: partnerProcedure
    .meta({
      scope: 'providers:read',
      openapi: {
        method: 'GET',
        path: '/v1/catalogue',
        tags: ['providers'],
        summary: 'List the specialties, languages and provider types used in search filters',
        protect: true,
      },
    })
    .input(z.strictObject({}))
    .output(catalogueSchema)
    .query(() => ({
      specialties: [...SPECIALTIES],
      languages: [...LANGUAGES],
      providerTypes: [...PROVIDER_TYPES],
      genders: [...GENDERS],
      currencies: [...CURRENCIES],
    })),
});
