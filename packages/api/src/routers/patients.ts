import {
  patientEraseInput,
  patientErasureSchema,
  patientExportSchema,
  patientCreateInput,
  patientIdInput,
  patientListInput,
  patientPageSchema,
  patientSchema,
  patientUpdateInput,
  TahoonError,
  unwrap,
} from '@tahoon/core';
import { entryFor } from '../audit/trail.js';
import { erasePatient, exportPatient } from '../services/patient-rights.js';
import { partnerProcedure, router } from '../trpc/init.js';

const ERRORS = [400, 401, 403, 404, 409, 413];

const EXPORT_DESCRIPTION =
  'Everything Tahoon holds about the patient, for a data-subject access request: the record, ' +
  'every booking with its history and cancellation, and the audit entries about the patient.';

const ERASE_DESCRIPTION =
  'Erases the patient: its details are removed, sessions still to come are cancelled (reason ' +
  '"patient erased") and past bookings are kept without details for the provider\'s records. ' +
  'The patient then answers 404 everywhere, and its externalId may be registered again.';

const ERASE_AUDIT = { action: 'patient.erase', resource: 'patient' } as const;

export const patientsRouter = router({
  create: partnerProcedure
    .meta({
      successStatuses: [201],
      audit: { action: 'patient.create', resource: 'patient' },
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
      audit: { action: 'patient.read', resource: 'patient' },
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
      audit: { action: 'patient.update', resource: 'patient' },
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
      audit: { action: 'patient.list', resource: 'patient' },
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

  export: partnerProcedure
    .meta({
      audit: { action: 'patient.export', resource: 'patient' },
      scope: 'patients:read',
      openapi: {
        method: 'GET',
        path: '/v1/patients/{id}/export',
        tags: ['patients'],
        summary: 'Export everything held about a patient',
        description: EXPORT_DESCRIPTION,
        protect: true,
        errorResponses: [400, 401, 403, 404, 503],
      },
    })
    .input(patientIdInput)
    .output(patientExportSchema)
    .query(({ ctx, input }) =>
      exportPatient({ ...ctx.deps, log: ctx.log }, ctx.principal.organizationId, input.id),
    ),

  erase: partnerProcedure
    .meta({
      audit: ERASE_AUDIT,
      scope: 'patients:write',
      openapi: {
        method: 'DELETE',
        path: '/v1/patients/{id}',
        tags: ['patients'],
        summary: 'Erase a patient (right to erasure)',
        description: ERASE_DESCRIPTION,
        protect: true,
        errorResponses: [400, 401, 403, 404, 409],
      },
    })
    .input(patientEraseInput)
    .output(patientErasureSchema)
    .mutation(async ({ ctx, input }) => {
      const { ids, clock } = ctx.deps;
      // The entry is written in the erasing transaction, so the trail must not add another.
      const entry = () =>
        entryFor(ids, clock.nowMs(), ctx, ERASE_AUDIT, {
          ok: true,
          data: { id: input.id },
          raw: input,
          note: {},
        });
      const erased = await erasePatient(
        { ...ctx.deps, log: ctx.log },
        ctx.principal.organizationId,
        input.id,
        entry,
      );
      ctx.audit.recorded = true;
      return erased;
    }),
});
