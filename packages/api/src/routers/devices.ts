import { z } from 'zod';
import { deviceRegisterInput, deviceRemoveInput, deviceSchema, TahoonError } from '@tahoon/core';
import { partnerProcedure, router } from '../trpc/init.js';

const ERRORS = [400, 401, 403, 404];

/**
 * A patient's devices for push notifications. The token travels in the path because the
 * operation is "this device, for this patient"; it is sealed at rest and never logged.
 */
export const devicesRouter = router({
  register: partnerProcedure
    .meta({
      scope: 'patients:write',
      openapi: {
        method: 'PUT',
        path: '/v1/patients/{id}/devices/{token}',
        tags: ['patients'],
        summary: "Register a patient's device for push notifications",
        description: 'Idempotent: registering a known token again answers the same device.',
        protect: true,
        errorResponses: ERRORS,
      },
    })
    .input(deviceRegisterInput)
    .output(deviceSchema)
    .mutation(async ({ ctx, input }) => {
      const { store, ids, clock } = ctx.deps;
      const orgId = ctx.principal.organizationId;
      await requirePatient(ctx.deps.store, orgId, input.id);

      const device = await store.notifications.devices.register({
        id: ids.next('dev'),
        organizationId: orgId,
        patientId: input.id,
        token: input.token,
        platform: input.platform ?? null,
        createdAtMs: clock.nowMs(),
      });
      ctx.log.info({ patientId: input.id, deviceId: device.id }, 'device registered');
      return {
        id: device.id,
        patientId: device.patientId,
        platform: device.platform,
        createdAt: new Date(device.createdAtMs).toISOString(),
      };
    }),

  remove: partnerProcedure
    .meta({
      scope: 'patients:write',
      openapi: {
        method: 'DELETE',
        path: '/v1/patients/{id}/devices/{token}',
        tags: ['patients'],
        summary: "Stop push notifications to a patient's device",
        protect: true,
        errorResponses: ERRORS,
      },
    })
    .input(deviceRemoveInput)
    .output(z.strictObject({ deleted: z.literal(true) }))
    .mutation(async ({ ctx, input }) => {
      const orgId = ctx.principal.organizationId;
      await requirePatient(ctx.deps.store, orgId, input.id);
      const removed = await ctx.deps.store.notifications.devices.remove(
        orgId,
        input.id,
        input.token,
      );
      if (!removed) throw new TahoonError({ code: 'NOT_FOUND', detail: 'No such device' });
      ctx.log.info({ patientId: input.id }, 'device removed');
      return { deleted: true as const };
    }),
});

async function requirePatient(
  store: { patients: { get(orgId: string, id: string): Promise<unknown> } },
  orgId: string,
  id: string,
): Promise<void> {
  const patient = await store.patients.get(orgId, id);
  if (!patient) throw new TahoonError({ code: 'NOT_FOUND', detail: `No patient ${id}` });
}
