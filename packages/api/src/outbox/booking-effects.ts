import type { Booking, IdGenerator } from '@tahoon/core';
import type { DomainEvent, DomainEventType, OutboxMessage } from './types.js';

const HOUR_MS = 60 * 60 * 1000;

/** How long before a session each reminder is due. */
export const REMINDER_LEADS = { '24h': 24 * HOUR_MS, '1h': HOUR_MS } as const;
export type ReminderLead = keyof typeof REMINDER_LEADS;

/** One room creation per booking, ever: a second enqueue for the same booking is ignored. */
export const roomCreateKey = (bookingId: string) => `video.room.create:${bookingId}`;
export const roomRemoveKey = (bookingId: string) => `video.room.remove:${bookingId}`;

/**
 * A reminder is keyed by its booking, its lead and the start it reminds of, so moving a booking
 * cancels the old start's reminders and schedules new ones without the keys colliding.
 */
export const reminderKey = (bookingId: string, lead: ReminderLead, startMs: number) =>
  `booking.reminder:${bookingId}:${lead}:${startMs}`;

export function reminderKeys(booking: Pick<Booking, 'id' | 'startMs'>): string[] {
  return (Object.keys(REMINDER_LEADS) as ReminderLead[]).map((lead) =>
    reminderKey(booking.id, lead, booking.startMs),
  );
}

/**
 * The reminders of a confirmed booking that are still ahead: one due 24 h and one due 1 h
 * before its start. A reminder whose time has passed is not sent late.
 *
 * @example
 * reminderMessages(booking, Date.now(), ids); // up to two `booking.reminder` messages
 */
export function reminderMessages(
  booking: Pick<Booking, 'id' | 'organizationId' | 'startMs'>,
  nowMs: number,
  ids: IdGenerator,
): OutboxMessage[] {
  return (Object.entries(REMINDER_LEADS) as [ReminderLead, number][])
    .filter(([, leadMs]) => booking.startMs - leadMs > nowMs)
    .map(([lead, leadMs]) => ({
      id: ids.next('obx'),
      topic: 'booking.reminder',
      organizationId: booking.organizationId,
      payload: { bookingId: booking.id, lead, startMs: booking.startMs },
      availableAtMs: booking.startMs - leadMs,
      dedupeKey: reminderKey(booking.id, lead, booking.startMs),
    }));
}

/**
 * How long the dispatcher leaves a new booking's room to the request that holds the slot. That
 * request makes the room at once (so the partner gets a confirmed booking, not a 202); the
 * dispatcher takes over only when that attempt did not happen (the process died) or failed
 * (its retry is then scheduled with backoff). Without the grace an idle dispatcher, woken by
 * the commit, would race the request for the message.
 */
export const INLINE_ROOM_GRACE_MS = 10_000;

export function roomCreateMessage(booking: Booking, ids: IdGenerator): OutboxMessage {
  return {
    id: ids.next('obx'),
    topic: 'video.room.create',
    organizationId: booking.organizationId,
    payload: { bookingId: booking.id },
    availableAtMs: booking.createdAtMs + INLINE_ROOM_GRACE_MS,
    dedupeKey: roomCreateKey(booking.id),
  };
}

/**
 * The message that removes a room no booking needs. `roomId` is null when a room may exist
 * without the gateway knowing its id (an answer lost in transit): the handler then finds it
 * by the booking id, under which rooms are created.
 */
export function roomRemoveMessage(
  booking: Pick<Booking, 'id' | 'organizationId'>,
  roomId: string | null,
  atMs: number,
  ids: IdGenerator,
): OutboxMessage {
  return {
    id: ids.next('obx'),
    topic: 'video.room.remove',
    organizationId: booking.organizationId,
    payload: { bookingId: booking.id, roomId },
    availableAtMs: atMs,
    dedupeKey: roomRemoveKey(booking.id),
  };
}

/** A domain event about a booking: its ids, never a patient's details. */
export function bookingEvent(
  type: DomainEventType,
  booking: Pick<Booking, 'id' | 'organizationId' | 'patientId' | 'providerId'>,
  atMs: number,
  ids: IdGenerator,
): DomainEvent {
  return {
    id: ids.next('evt'),
    organizationId: booking.organizationId,
    type,
    data: { bookingId: booking.id, patientId: booking.patientId, providerId: booking.providerId },
    occurredAtMs: atMs,
  };
}
