import { isId } from '@tahoon/core';
import type { PushNotification } from './types.js';

/** The booking events a patient's device hears about. */
export const BOOKING_PUSH_TYPES = [
  'booking.confirmed',
  'booking.cancelled',
  'booking.rescheduled',
  'booking.reminder',
] as const;

export type BookingPushType = (typeof BOOKING_PUSH_TYPES)[number];

/** The one thing a booking notification is made from, besides its type: the booking's id. */
export interface BookingPushEvent {
  type: BookingPushType;
  bookingId: string;
}

/**
 * Fixed texts: no provider, time, specialty or reason, since a lock screen is read by
 * whoever holds the phone and a therapy appointment is itself health information. The app
 * shows the details after the patient unlocks it and it fetches the booking.
 */
const TEXTS: Record<BookingPushType, { title: string; body: string }> = {
  'booking.confirmed': { title: 'Your session is confirmed', body: 'Open the app for details.' },
  'booking.cancelled': { title: 'Your session was cancelled', body: 'Open the app for details.' },
  'booking.rescheduled': {
    title: 'Your session was moved',
    body: 'Open the app for the new time.',
  },
  'booking.reminder': { title: 'Your session starts soon', body: 'Open the app to join.' },
};

/**
 * The notification for a booking event: a fixed title and body, and data holding the event
 * type and the booking id only. Whatever else the event object carries is never read, and a
 * booking id that is not one (an email pasted in by mistake, say) is refused.
 *
 * @example
 * const notification = bookingNotification({ type: 'booking.confirmed', bookingId: booking.id });
 * notification.title; // 'Your session is confirmed'
 * notification.data;  // { type: 'booking.confirmed', bookingId: 'bkg_k3m9…' }
 */
export function bookingNotification(event: BookingPushEvent): PushNotification {
  if (!Object.hasOwn(TEXTS, event.type)) throw new TypeError('not a booking notification type');
  const texts = TEXTS[event.type];
  if (typeof event.bookingId !== 'string' || !isId('bkg', event.bookingId)) {
    // The value itself stays out of the message: it was meant to be an id and may not be one.
    throw new TypeError('bookingId must be a booking id (bkg_…)');
  }
  const notification = {
    title: texts.title,
    body: texts.body,
    data: { type: event.type, bookingId: event.bookingId },
  };
  // The brand exists only in types: this is the one place that may grant it.
  return notification as unknown as PushNotification;
}
