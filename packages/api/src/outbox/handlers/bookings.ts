import type { Clock, IdGenerator, Store, VideoRooms } from '@tahoon/core';
import type { Logger } from 'pino';
import type { BookingWrites } from '../../db/booking-writes.js';
import { classifyFailure } from '../../resilience/errors.js';
import { roomRemoveMessage } from '../booking-effects.js';
import { handlerLog, type DeadLetterHook } from '../runner.js';
import {
  PermanentDeliveryError,
  RetryableDeliveryError,
  type OutboxHandler,
  type OutboxRecord,
  type OutboxTopic,
} from '../types.js';

export interface BookingHandlerDeps {
  store: Store;
  writes: BookingWrites;
  /** Already under its resilience policy. */
  video: VideoRooms;
  ids: IdGenerator;
  log: Logger;
}

/**
 * The booking saga's steps that run from the outbox: make a booking's room and confirm it,
 * remove a room no booking needs, and publish a reminder. Each is idempotent, since the
 * dispatcher delivers at least once.
 *
 * @example
 * const handlers = { ...bookingHandlers(deps), ...webhookHandlers(deps) };
 */
export function bookingHandlers(
  deps: BookingHandlerDeps,
): Record<'video.room.create' | 'video.room.remove' | 'booking.reminder', OutboxHandler> {
  return {
    'video.room.create': (message, context) => createRoom(deps, message, context),
    'video.room.remove': (message, context) => removeRoom(deps, message, context),
    'booking.reminder': async (message, context) => {
      const bookingId = stringField(message, 'bookingId');
      const startMs = numberField(message, 'startMs');
      const sent = await deps.writes.remind(bookingId, startMs, context.nowMs());
      if (!sent)
        handlerLog(context, deps.log).info(
          { bookingId, outboxId: message.id },
          'reminder skipped: booking moved or ended',
        );
    },
  };
}

/**
 * Compensation when a topic gives up: a booking whose room could not be made fails, which
 * releases its slot and removes any room an unseen success left behind.
 */
export function bookingDeadLetterHooks(
  deps: Pick<BookingHandlerDeps, 'writes' | 'log'> & { clock: Clock },
): Partial<Record<OutboxTopic, DeadLetterHook>> {
  return {
    'video.room.create': async (message, log) => {
      const bookingId = stringField(message, 'bookingId');
      const failed = await deps.writes.fail(bookingId, deps.clock.nowMs());
      if (failed) log.warn({ bookingId }, 'booking failed: its video room could not be made');
    },
  };
}

/**
 * Makes the booking's room under the booking id, then confirms the booking if it is still
 * pending. A booking that ended meanwhile gets its room removed instead, so no room is left
 * without a record of it.
 */
async function createRoom(
  deps: BookingHandlerDeps,
  message: OutboxRecord,
  context: Parameters<OutboxHandler>[1],
): Promise<void> {
  const bookingId = stringField(message, 'bookingId');
  const booking = await deps.store.bookings.getAny(bookingId);
  if (!booking || booking.video) return;
  if (booking.status !== 'pending') {
    // Ending the booking enqueued the removal already when an attempt could have made a room.
    return;
  }

  const room = await callVideo(() =>
    deps.video.create(
      { bookingId, startMs: booking.startMs, endMs: booking.endMs },
      context.signal,
    ),
  );
  const log = handlerLog(context, deps.log);
  const confirmed = await deps.writes.confirm(bookingId, room, context.nowMs());
  if (confirmed) {
    log.info({ bookingId, outboxId: message.id }, 'booking confirmed');
    return;
  }
  log.warn({ bookingId }, 'booking ended while its room was made; removing the room');
  await context.enqueue([roomRemoveMessage(booking, room.roomId, context.nowMs(), deps.ids)]);
}

async function removeRoom(
  deps: BookingHandlerDeps,
  message: OutboxRecord,
  context: Parameters<OutboxHandler>[1],
): Promise<void> {
  const signal = context.signal;
  const bookingId = stringField(message, 'bookingId');
  const recorded = message.payload.roomId;
  const roomId = typeof recorded === 'string' ? recorded : await findRoom(deps, bookingId, signal);
  if (roomId === null) return;
  await callVideo(() => deps.video.remove(roomId, signal));
  handlerLog(context, deps.log).info({ bookingId, outboxId: message.id }, 'video room removed');
}

/**
 * The room made under a booking id whose creation answer was lost. Creation is idempotent per
 * booking id (VideoSDK's `customRoomId`), so asking again returns that room. A Jitsi room is
 * only a URL: without a recorded id there is nothing on any server to remove.
 */
async function findRoom(
  deps: BookingHandlerDeps,
  bookingId: string,
  signal: AbortSignal,
): Promise<string | null> {
  if (deps.video.name === 'jitsi') return null;
  const booking = await deps.store.bookings.getAny(bookingId);
  const times = booking
    ? { startMs: booking.startMs, endMs: booking.endMs }
    : { startMs: 0, endMs: 0 };
  const room = await callVideo(() => deps.video.create({ bookingId, ...times }, signal));
  return room.roomId;
}

/** Runs a video call, turning its failure into the outbox's retryable or permanent kind. */
async function callVideo<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    const failure = classifyFailure(error);
    const message = error instanceof Error ? error.message : 'video call failed';
    if (!failure.retryable) throw new PermanentDeliveryError(message, { cause: error });
    throw new RetryableDeliveryError(message, {
      cause: error,
      ...(failure.retryAfterMs === undefined ? {} : { retryAfterMs: failure.retryAfterMs }),
    });
  }
}

function stringField(message: OutboxRecord, name: string): string {
  const value = message.payload[name];
  if (typeof value !== 'string') throw new PermanentDeliveryError(`payload.${name} is missing`);
  return value;
}

function numberField(message: OutboxRecord, name: string): number {
  const value = message.payload[name];
  if (typeof value !== 'number') throw new PermanentDeliveryError(`payload.${name} is missing`);
  return value;
}
