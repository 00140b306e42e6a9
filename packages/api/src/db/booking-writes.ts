import { and, asc, eq, lt } from 'drizzle-orm';
import {
  fail,
  ok,
  type Booking,
  type BookingStatus,
  type CancelledBy,
  type IdGenerator,
  type Result,
  type VideoRoom,
} from '@tahoon/core';
import {
  bookingEvent,
  reminderKeys,
  reminderMessages,
  roomCreateKey,
  roomCreateMessage,
  roomRemoveMessage,
} from '../outbox/booking-effects.js';
import type { DomainEventType, OutboxMessage } from '../outbox/types.js';
import { cancelByKeysIn, enqueueIn, findByKeysIn, recordEventsIn } from './outbox.js';
import { bookings } from './schema.js';
import { bookingRow, findConflict, isErased, lockParties, toBooking, type Db } from './store.js';

export interface Cancellation {
  by: CancelledBy;
  atMs: number;
  reason: string | null;
  late: boolean;
}

/** A booking change and the id of a message worth running at once, after the commit. */
export interface Written {
  booking: Booking;
  /** E.g. the room removal after a cancellation; null when there is none. */
  runNow: string | null;
}

/**
 * Every booking change that has side effects, each in one transaction with its domain events
 * and outbox messages, so a change is never committed without what must follow it, and
 * nothing follows a change that rolled back.
 */
export interface BookingWrites {
  /** Holds the slot as `pending`, with `booking.created` and the room-creation message. */
  hold(
    booking: Booking,
    requestKey?: string,
  ): Promise<Result<{ booking: Booking; roomMessageId: string }>>;
  /** The booking a request (credential and Idempotency-Key) made, if it made one. */
  findByRequestKey(organizationId: string, requestKey: string): Promise<Booking | null>;
  /** pending → confirmed with its room, `booking.confirmed` and its reminders; null if not pending. */
  confirm(id: string, room: VideoRoom, atMs: number): Promise<Booking | null>;
  /** pending → failed: the slot is released, `booking.failed`, any room removed. */
  fail(id: string, atMs: number): Promise<Written | null>;
  /** → cancelled from `from`: `booking.cancelled`, reminders cancelled, any room removed. */
  cancel(id: string, from: BookingStatus, cancellation: Cancellation): Promise<Written | null>;
  /** New times under the booking locks, `booking.rescheduled`, reminders re-timed. */
  move(
    moved: Booking,
    from: Pick<Booking, 'status' | 'startMs'>,
    atMs: number,
  ): Promise<Result<Booking>>;
  /** confirmed → completed | no_show, with its event. */
  mark(id: string, to: 'completed' | 'no_show', atMs: number): Promise<Booking | null>;
  /** Records `booking.reminder` if the booking is still confirmed at `startMs`; false if not. */
  remind(id: string, startMs: number, atMs: number): Promise<boolean>;
  /** Fails holds left `pending` since before `olderThanMs`; their ids. */
  expireHolds(olderThanMs: number, atMs: number): Promise<string[]>;
}

/**
 * The drizzle implementation of {@link BookingWrites}. `notify` runs after each commit that
 * wrote messages, so a dispatcher in this process picks them up at once.
 *
 * @example
 * const writes = createBookingWrites(database.db, webIds, () => dispatcher.kick());
 */
export function createBookingWrites(db: Db, ids: IdGenerator, notify: () => void): BookingWrites {
  const messageId = () => ids.next('obx');
  const effects = async (
    tx: Db,
    type: DomainEventType,
    booking: Booking,
    atMs: number,
    messages: OutboxMessage[] = [],
  ) => {
    await recordEventsIn(tx, [bookingEvent(type, booking, atMs, ids)], messageId);
    await enqueueIn(tx, messages, atMs);
  };
  const committed = <T>(value: T) => {
    notify();
    return value;
  };

  /** Ends a booking that will not take place, and removes whatever room it has or may have. */
  async function abandon(
    to: 'failed' | 'cancelled',
    id: string,
    from: BookingStatus,
    atMs: number,
    cancellation?: Cancellation,
  ): Promise<Written | null> {
    const written = await db.transaction(async (tx) => {
      const [row] = await tx
        .update(bookings)
        .set({
          status: to,
          updatedAt: new Date(atMs),
          ...cancellationColumns(cancellation),
          // A failed hold frees its request's key with its slot: the retry books afresh.
          ...(to === 'failed' ? { requestKey: null } : {}),
        })
        .where(and(eq(bookings.id, id), eq(bookings.status, from)))
        .returning();
      if (!row) return null;
      const booking = toBooking(row);

      const [roomCreation] = await findByKeysIn(tx, [roomCreateKey(id)]);
      await cancelByKeysIn(tx, [roomCreateKey(id), ...reminderKeys(booking)], atMs);
      const remove = roomToRemove(booking, roomCreation?.attempts ?? 0, atMs, ids);
      await effects(
        tx,
        to === 'failed' ? 'booking.failed' : 'booking.cancelled',
        booking,
        atMs,
        remove,
      );
      return { booking, runNow: remove[0]?.id ?? null };
    });
    return written && committed(written);
  }

  return {
    async findByRequestKey(organizationId, requestKey) {
      const [row] = await db
        .select()
        .from(bookings)
        .where(
          and(eq(bookings.organizationId, organizationId), eq(bookings.requestKey, requestKey)),
        );
      return row ? toBooking(row) : null;
    },

    async hold(booking, requestKey) {
      const result = await db.transaction(async (tx) => {
        await lockParties(tx, booking);
        // An erasure may have committed while this booking waited for the patient's lock.
        if (await isErased(tx, booking.patientId)) {
          return fail<never>('NOT_FOUND', `No patient ${booking.patientId}`);
        }
        const conflict = await findConflict(tx, booking);
        if (!conflict.ok) return conflict;

        await tx
          .insert(bookings)
          .values({ ...bookingRow(booking, booking.createdAtMs), requestKey: requestKey ?? null });
        const room = roomCreateMessage(booking, ids);
        await effects(tx, 'booking.created', booking, booking.createdAtMs, [room]);
        return ok({ booking, roomMessageId: room.id });
      });
      if (!result.ok) return fail(result.failure.code, result.failure.detail);
      // The woken dispatcher publishes `booking.created` at once; the room message is left to the
      // request for INLINE_ROOM_GRACE_MS (outbox/booking-effects.ts), so it cannot be raced.
      return committed(result);
    },

    async confirm(id, room, atMs) {
      const confirmed = await db.transaction(async (tx) => {
        const [row] = await tx
          .update(bookings)
          .set({
            status: 'confirmed',
            videoProvider: room.provider,
            roomId: room.roomId,
            patientJoinUrl: room.patientJoinUrl,
            providerJoinUrl: room.providerJoinUrl,
            updatedAt: new Date(atMs),
          })
          .where(and(eq(bookings.id, id), eq(bookings.status, 'pending')))
          .returning();
        if (!row) return null;
        const booking = toBooking(row);
        await effects(tx, 'booking.confirmed', booking, atMs, reminderMessages(booking, atMs, ids));
        return booking;
      });
      return confirmed && committed(confirmed);
    },

    fail: (id, atMs) => abandon('failed', id, 'pending', atMs),
    cancel: (id, from, cancellation) =>
      abandon('cancelled', id, from, cancellation.atMs, cancellation),

    async move(moved, from, atMs) {
      const result = await db.transaction(async (tx) => {
        await lockParties(tx, moved);
        const conflict = await findConflict(tx, moved);
        if (!conflict.ok) return fail<Booking>(conflict.failure.code, conflict.failure.detail);

        const [row] = await tx
          .update(bookings)
          .set({ ...movedColumns(moved), updatedAt: new Date(atMs) })
          .where(
            and(
              eq(bookings.id, moved.id),
              eq(bookings.status, from.status),
              eq(bookings.startAt, new Date(from.startMs)),
            ),
          )
          .returning();
        if (!row)
          return fail<Booking>('INVALID_STATE', 'The booking changed meanwhile; read it again');
        const booking = toBooking(row);

        await cancelByKeysIn(tx, reminderKeys({ id: booking.id, startMs: from.startMs }), atMs);
        const reminders = reminderMessages(booking, atMs, ids);
        await effects(tx, 'booking.rescheduled', booking, atMs, reminders);
        return ok(booking);
      });
      return result.ok ? committed(result) : result;
    },

    async mark(id, to, atMs) {
      const marked = await db.transaction(async (tx) => {
        const [row] = await tx
          .update(bookings)
          .set({ status: to, updatedAt: new Date(atMs) })
          .where(and(eq(bookings.id, id), eq(bookings.status, 'confirmed')))
          .returning();
        if (!row) return null;
        const booking = toBooking(row);
        await effects(
          tx,
          to === 'completed' ? 'booking.completed' : 'booking.no_show',
          booking,
          atMs,
        );
        return booking;
      });
      return marked && committed(marked);
    },

    async remind(id, startMs, atMs) {
      const reminded = await db.transaction(async (tx) => {
        const [row] = await tx
          .select()
          .from(bookings)
          .where(
            and(
              eq(bookings.id, id),
              eq(bookings.status, 'confirmed'),
              eq(bookings.startAt, new Date(startMs)),
            ),
          )
          .for('update');
        if (!row) return false;
        await effects(tx, 'booking.reminder', toBooking(row), atMs);
        return true;
      });
      return reminded && committed(reminded);
    },

    async expireHolds(olderThanMs, atMs) {
      const stale = await db
        .select({ id: bookings.id })
        .from(bookings)
        .where(and(eq(bookings.status, 'pending'), lt(bookings.createdAt, new Date(olderThanMs))))
        .orderBy(asc(bookings.createdAt));
      const failed: string[] = [];
      for (const { id } of stale) {
        // Each hold fails on its own: one that was confirmed meanwhile is simply skipped.
        if (await abandon('failed', id, 'pending', atMs)) failed.push(id);
      }
      return failed;
    },
  };
}

/**
 * The room a booking that will not take place leaves behind: the one it records, or, when a
 * creation was attempted and may have succeeded unseen, the one VideoSDK holds under its id.
 * A creation never attempted cannot have made a room.
 */
function roomToRemove(
  booking: Booking,
  creationAttempts: number,
  atMs: number,
  ids: IdGenerator,
): OutboxMessage[] {
  if (booking.video) return [roomRemoveMessage(booking, booking.video.roomId, atMs, ids)];
  if (creationAttempts > 0) return [roomRemoveMessage(booking, null, atMs, ids)];
  return [];
}

function cancellationColumns(cancellation: Cancellation | undefined) {
  if (!cancellation) return {};
  return {
    cancelledBy: cancellation.by,
    cancelledAt: new Date(cancellation.atMs),
    cancelReason: cancellation.reason,
    cancelLate: cancellation.late,
  };
}

function movedColumns(moved: Booking) {
  return {
    startAt: new Date(moved.startMs),
    endAt: new Date(moved.endMs),
    blockedUntil: new Date(moved.blockedUntilMs),
    duration: moved.duration,
    priceAmount: moved.price.amount,
    priceCurrency: moved.price.currency,
    history: moved.history,
  };
}
