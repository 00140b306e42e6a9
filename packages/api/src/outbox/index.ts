import type { Clock, IdGenerator, Store, VideoRooms } from '@tahoon/core';
import type { Logger } from 'pino';
import { createBookingWrites, type BookingWrites } from '../db/booking-writes.js';
import { createOutboxStore, type OutboxStore } from '../db/outbox.js';
import type { Db } from '../db/store.js';
import { createDispatcher, type Dispatcher } from './dispatcher.js';
import { bookingDeadLetterHooks, bookingHandlers } from './handlers/bookings.js';
import { createOutboxRunner, type DeadLetterHook, type OutboxRunner } from './runner.js';
import type { OutboxHandlers, OutboxTopic } from './types.js';

export type { OutboxStore } from '../db/outbox.js';
export type { BookingWrites } from '../db/booking-writes.js';
export type { Dispatcher } from './dispatcher.js';
export type { OutboxRunner, DeliveryResult } from './runner.js';

/** The outbox as the rest of the gateway sees it. */
export interface Outbox {
  messages: OutboxStore;
  /** Booking changes written with their events and messages in one transaction. */
  bookings: BookingWrites;
  runner: OutboxRunner;
  dispatcher: Dispatcher;
}

export interface OutboxSettings {
  batchSize: number;
  concurrency: number;
  pollIntervalMs: number;
  /** Bound on one handler call. */
  handlerTimeoutMs: number;
}

export const DEFAULT_OUTBOX_SETTINGS: OutboxSettings = {
  batchSize: 50,
  concurrency: 8,
  pollIntervalMs: 1000,
  handlerTimeoutMs: 30_000,
};

export interface OutboxParts {
  db: Db;
  store: Store;
  /** Already under its resilience policy. */
  video: VideoRooms;
  clock: Clock;
  ids: IdGenerator;
  logger: Logger;
  settings?: Partial<OutboxSettings>;
  /** Handlers of other topics (webhooks, push), added to the booking saga's own. */
  handlers?: OutboxHandlers;
  onDead?: Partial<Record<OutboxTopic, DeadLetterHook>>;
  random?: () => number;
}

/**
 * Wires the outbox: its store, the booking writes that feed it, the runner that delivers one
 * message and the dispatcher loop (not started). The Node runtime and the tests build it the
 * same way.
 *
 * @example
 * const outbox = createOutbox({ db, store, video, clock, ids, logger });
 * outbox.dispatcher.start();
 */
export function createOutbox(parts: OutboxParts): Outbox {
  const settings = { ...DEFAULT_OUTBOX_SETTINGS, ...parts.settings };
  const log = parts.logger.child({ component: 'outbox' });
  const messages = createOutboxStore(parts.db);
  const bookings = createBookingWrites(parts.db, parts.ids, messages.notify);
  const sagaDeps = {
    store: parts.store,
    writes: bookings,
    video: parts.video,
    ids: parts.ids,
    log,
  };

  const runner = createOutboxRunner({
    messages,
    handlers: { ...parts.handlers, ...bookingHandlers(sagaDeps) },
    onDead: { ...parts.onDead, ...bookingDeadLetterHooks({ ...sagaDeps, clock: parts.clock }) },
    clock: parts.clock,
    log,
    handlerTimeoutMs: settings.handlerTimeoutMs,
    // The lease outlasts the handler's deadline, so a live attempt never loses its row.
    leaseMs: settings.handlerTimeoutMs * 2,
    ...(parts.random ? { random: parts.random } : {}),
  });
  const dispatcher = createDispatcher({
    messages,
    runner,
    clock: parts.clock,
    log,
    batchSize: settings.batchSize,
    concurrency: settings.concurrency,
    pollIntervalMs: settings.pollIntervalMs,
  });
  return { messages, bookings, runner, dispatcher };
}
