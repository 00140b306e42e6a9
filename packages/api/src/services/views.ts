import {
  renderInstant,
  type Booking,
  type BookingView,
  type ProviderRecord,
  type Provider,
} from '@tahoon/core';

/** The public shape of a booking: instants rendered in UTC with their offset. */
export function bookingView(booking: Booking): BookingView {
  return {
    id: booking.id,
    status: booking.status,
    patientId: booking.patientId,
    providerId: booking.providerId,
    start: renderInstant(booking.startMs),
    end: renderInstant(booking.endMs),
    duration: booking.duration,
    price: booking.price,
    video: booking.video,
    cancellation: booking.cancellation
      ? {
          by: booking.cancellation.by,
          at: renderInstant(booking.cancellation.atMs),
          reason: booking.cancellation.reason,
          late: booking.cancellation.late,
        }
      : null,
    history: booking.history.map((h) => ({
      start: renderInstant(h.startMs),
      end: renderInstant(h.endMs),
      changedAt: renderInstant(h.changedAtMs),
    })),
    createdAt: renderInstant(booking.createdAtMs),
  };
}

/** The public shape of a provider: everything but the internal schedule. */
export function providerView(record: ProviderRecord): Provider {
  const { schedule: _schedule, ...provider } = record;
  return provider;
}
