import {
  bookingCancelInput,
  bookingCreateInput,
  bookingIdInput,
  bookingListInput,
  bookingRescheduleInput,
  bookingPageSchema,
  bookingSchema,
  TahoonError,
  toEpochMs,
} from '@tahoon/core';
import { partnerProcedure, router } from '../trpc/init.js';
import { cancelBooking, createBooking, rescheduleBooking } from '../services/bookings.js';
import { bookingView } from '../services/views.js';

const ERRORS = [400, 401, 403, 404, 409, 422, 503];

export const bookingsRouter = router({
  create: partnerProcedure
    .meta({
      successStatuses: [201, 202],
      audit: { action: 'booking.create', resource: 'booking' },
      scope: 'bookings:write',
      openapi: {
        method: 'POST',
        path: '/v1/bookings',
        tags: ['bookings'],
        summary: 'Book a video session in a free slot',
        description:
          'Answers 201 with the confirmed booking and its video room. When the video service is ' +
          'slow or failing, answers 202 with the booking `pending` and `video` null: the slot ' +
          'is held and the room is being provisioned; read the booking (or wait for the ' +
          '`booking.confirmed` or `booking.failed` event). A slot that is taken or not offered ' +
          'answers 409 SLOT_UNAVAILABLE; a patient with an overlapping session 409 PATIENT_BUSY; ' +
          'a video service that refuses for good 503 UNAVAILABLE.',
        protect: true,
        errorResponses: ERRORS,
      },
    })
    .input(bookingCreateInput)
    .output(bookingSchema)
    .mutation(async ({ ctx, input }) => {
      const booking = await createBooking(
        { ...ctx.deps, log: ctx.log },
        ctx.principal.organizationId,
        input,
        ctx.requestKey,
      );
      // 202: accepted and holding the slot, with the video room still being provisioned.
      ctx.response.status = booking.status === 'confirmed' ? 201 : 202;
      return bookingView(booking);
    }),

  get: partnerProcedure
    .meta({
      audit: { action: 'booking.read', resource: 'booking' },
      scope: 'bookings:read',
      openapi: {
        method: 'GET',
        path: '/v1/bookings/{id}',
        tags: ['bookings'],
        summary: 'Read one booking',
        protect: true,
        errorResponses: [400, 401, 403, 404],
      },
    })
    .input(bookingIdInput)
    .output(bookingSchema)
    .query(async ({ ctx, input }) => {
      const booking = await ctx.deps.store.bookings.get(ctx.principal.organizationId, input.id);
      if (!booking) throw new TahoonError({ code: 'NOT_FOUND', detail: `No booking ${input.id}` });
      return bookingView(booking);
    }),

  list: partnerProcedure
    .meta({
      audit: { action: 'booking.list', resource: 'booking' },
      scope: 'bookings:read',
      openapi: {
        method: 'GET',
        path: '/v1/bookings',
        tags: ['bookings'],
        summary: 'List bookings by patient, provider, status and start time',
        protect: true,
        errorResponses: [400, 401, 403],
      },
    })
    .input(bookingListInput)
    .output(bookingPageSchema)
    .query(async ({ ctx, input }) => {
      const page = await ctx.deps.store.bookings.list(ctx.principal.organizationId, {
        ...input,
        fromMs: input.from ? toEpochMs(input.from) : undefined,
        toMs: input.to ? toEpochMs(input.to) : undefined,
      });
      return { data: page.data.map(bookingView), nextCursor: page.nextCursor };
    }),

  reschedule: partnerProcedure
    .meta({
      audit: { action: 'booking.reschedule', resource: 'booking' },
      scope: 'bookings:write',
      openapi: {
        method: 'POST',
        path: '/v1/bookings/{id}/reschedule',
        tags: ['bookings'],
        summary: 'Move a confirmed booking to another free slot, keeping its id',
        description:
          'The old times are kept in the booking history and the video room stays the same. A ' +
          'cancelled, failed or started booking answers 409 INVALID_STATE.',
        protect: true,
        errorResponses: [400, 401, 403, 404, 409, 422],
      },
    })
    .input(bookingRescheduleInput)
    .output(bookingSchema)
    .mutation(async ({ ctx, input }) => {
      const booking = await rescheduleBooking(
        { ...ctx.deps, log: ctx.log },
        ctx.principal.organizationId,
        input,
      );
      return bookingView(booking);
    }),

  cancel: partnerProcedure
    .meta({
      audit: { action: 'booking.cancel', resource: 'booking' },
      scope: 'bookings:write',
      openapi: {
        method: 'POST',
        path: '/v1/bookings/{id}/cancel',
        tags: ['bookings'],
        summary: 'Cancel a booking before it starts',
        protect: true,
        errorResponses: [400, 401, 403, 404, 409],
      },
    })
    .input(bookingCancelInput)
    .output(bookingSchema)
    .mutation(async ({ ctx, input }) => {
      const policy = { lateWindowMinutes: ctx.deps.config.TAHOON_LATE_CANCEL_MINUTES };
      const booking = await cancelBooking(
        { ...ctx.deps, log: ctx.log, policy },
        ctx.principal.organizationId,
        input,
      );
      return bookingView(booking);
    }),
});
