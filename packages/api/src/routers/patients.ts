import {
  patientCreateInput,
  patientIdInput,
  patientListInput,
  patientPageSchema,
  patientSchema,
  patientUpdateInput,
  TahoonError,
  unwrap,
} from '@tahoon/core';
import { partnerProcedure, router } from '../trpc/init.js';

const ERRORS = [400, 401, 403, 404, 409, 413];

export const patientsRouter = router({
  create: partnerProcedure
    .meta({
      scope: 'patients:write',
      openapi: {
        method: 'POST',
        path: '/v1/patients',
        tags: ['patients'],
        summary: 'Register a patient of your organization',
        protect: true,
        successDescription: 'The registered patient (status 201)',
        errorResponses: ERRORS,
      },
    })
    .input(patientCreateInput)
    .output(patientSchema)
    .mutation(async ({ ctx, input }) => {
      const { store, ids, clock } = ctx.deps;
      const id = ids.next('pat');
      const patient = unwrap(
        await store.patients.create(ctx.principal.organizationId, id, input, clock.nowMs()),
      );
      ctx.log.info({ patientId: patient.id }, 'patient registered');
      ctx.response.status = 201;
      return patient;
    }),

  get: partnerProcedure
    .meta({
      scope: 'patients:read',
      openapi: {
        method: 'GET',
        path: '/v1/patients/{id}',
        tags: ['patients'],
        summary: 'Read one patient',
        protect: true,
        errorResponses: ERRORS,
      },
    })
    .input(patientIdInput)
    .output(patientSchema)
    .query(async ({ ctx, input }) => {
      const patient = await ctx.deps.store.patients.get(ctx.principal.organizationId, input.id);
      if (!patient) throw new TahoonError({ code: 'NOT_FOUND', detail: `No patient ${input.id}` });
      return patient;
    }),

  update: partnerProcedure
    .meta({
      scope: 'patients:write',
      openapi: {
        method: 'PATCH',
        path: '/v1/patients/{id}',
        tags: ['patients'],
        summary: 'Change some fields of a patient',
        protect: true,
        errorResponses: ERRORS,
      },
    })
    .input(patientUpdateInput)
    .output(patientSchema)
    .mutation(async ({ ctx, input }) => {
      const { id, ...patch } = input;
      const { store, clock } = ctx.deps;
      const orgId = ctx.principal.organizationId;
      if (Object.values(patch).every((value) => value === undefined)) {
        // Nothing to change: answer the patient as it is, without touching updatedAt.
        const patient = await store.patients.get(orgId, id);
        if (!patient) throw new TahoonError({ code: 'NOT_FOUND', detail: `No patient ${id}` });
        return patient;
      }
      const patient = unwrap(await store.patients.update(orgId, id, patch, clock.nowMs()));
      ctx.log.info({ patientId: id, fields: Object.keys(patch) }, 'patient updated');
      return patient;
    }),

  list: partnerProcedure
    .meta({
      scope: 'patients:read',
      openapi: {
        method: 'GET',
        path: '/v1/patients',
        tags: ['patients'],
        summary: 'List your patients, optionally by externalId',
        protect: true,
        errorResponses: ERRORS,
      },
    })
    .input(patientListInput)
    .output(patientPageSchema)
    .query(({ ctx, input }) => ctx.deps.store.patients.list(ctx.principal.organizationId, input)),
});
