import { z } from 'zod';
import {
  bodyInt,
  idSchema,
  moneySchema,
  pageSchema,
  paginationInput,
  type Money,
} from './common.js';
import { safeText } from './text.js';
import { instantSchema } from './time.js';

/**
 * Every status a booking can have, across the whole product. `pending` holds the slot while
 * side effects run; `failed` releases it.
 */
export const BOOKING_STATUSES = [
  'pending',
  'confirmed',
  'completed',
  'cancelled',
  'no_show',
  'failed',
] as const;

export type BookingStatus = (typeof BOOKING_STATUSES)[number];

/** Statuses whose booking occupies its slot. */
export const ACTIVE_STATUSES: readonly BookingStatus[] = ['pending', 'confirmed'];

export const CANCELLED_BY = ['partner', 'operator', 'provider'] as const;
export type CancelledBy = (typeof CANCELLED_BY)[number];

export const videoRoomSchema = z
  .strictObject({
    provider: z.string().describe('Which video service hosts the room'),
    roomId: z.string(),
    patientJoinUrl: z.string(),
    providerJoinUrl: z.string(),
  })
  .meta({ id: 'VideoRoom' });

export type VideoRoom = z.infer<typeof videoRoomSchema>;

export const cancellationSchema = z
  .strictObject({
    by: z.enum(CANCELLED_BY),
    at: z.string(),
    reason: z.string().nullable(),
    late: z.boolean().describe('Cancelled inside the late-cancellation window'),
  })
  .meta({ id: 'Cancellation' });

export const bookingSchema = z
  .strictObject({
    id: z.string(),
    status: z.enum(BOOKING_STATUSES),
    patientId: z.string(),
    providerId: z.string(),
    start: z.string(),
    end: z.string(),
    duration: z.number().int(),
    price: moneySchema,
    video: videoRoomSchema.nullable(),
    cancellation: cancellationSchema.nullable(),
    history: z
      .array(z.strictObject({ start: z.string(), end: z.string(), changedAt: z.string() }))
      .describe('Earlier times of a rescheduled booking, oldest first'),
    createdAt: z.string(),
  })
  .meta({ id: 'Booking' });

/**
 * Booking a session: one patient of the caller's, one provider, a start offered by `slots`
 * and a duration the provider offers.
 *
 * @example
 * bookingCreateInput.parse({ patientId: 'pat_…', providerId: 'prv_…',
 *   start: '2026-05-03T10:00:00+03:00', duration: 50 });
 */
export const bookingCreateInput = z.strictObject({
  patientId: idSchema('pat'),
  providerId: idSchema('prv'),
  start: instantSchema,
  duration: bodyInt(1, 1440).describe('Minutes; one the provider offers'),
});

export const bookingIdInput = z.strictObject({ id: idSchema('bkg') });

export const bookingCancelInput = z.strictObject({
  id: idSchema('bkg'),
  reason: safeText(500).optional(),
});

export const bookingRescheduleInput = z.strictObject({
  id: idSchema('bkg'),
  start: instantSchema,
  duration: bodyInt(1, 1440).optional().describe('Minutes; the current duration when omitted'),
});

export const bookingListInput = z.strictObject({
  ...paginationInput,
  patientId: idSchema('pat').optional(),
  providerId: idSchema('prv').optional(),
  status: z.enum(BOOKING_STATUSES).optional(),
  from: instantSchema.optional().describe('Bookings starting at or after this instant'),
  to: instantSchema.optional().describe('Bookings starting before this instant'),
});

export const bookingPageSchema = pageSchema(bookingSchema);

export type BookingView = z.infer<typeof bookingSchema>;
export type BookingCreate = z.infer<typeof bookingCreateInput>;
export type BookingReschedule = z.infer<typeof bookingRescheduleInput>;

/** A booking as the domain holds it: instants as epoch milliseconds. */
export interface Booking {
  id: string;
  organizationId: string;
  patientId: string;
  providerId: string;
  status: BookingStatus;
  startMs: number;
  endMs: number;
  /** End of the time the booking blocks: its end plus the provider's buffer. */
  blockedUntilMs: number;
  duration: number;
  price: Money;
  video: VideoRoom | null;
  cancellation: { by: CancelledBy; atMs: number; reason: string | null; late: boolean } | null;
  history: { startMs: number; endMs: number; changedAtMs: number }[];
  createdAtMs: number;
}
