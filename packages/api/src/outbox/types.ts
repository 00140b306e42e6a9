/**
 * The outbox's shared vocabulary. A change that causes side effects (a room to create, a
 * webhook to send, a reminder to schedule) writes outbox messages in its own transaction; the
 * dispatcher later hands each due message to the handler for its topic, with retries.
 */

/** Every kind of side effect the gateway knows how to carry out. */
export const OUTBOX_TOPICS = [
  /** Create the booking's video room and confirm it. Payload: { bookingId }. */
  'video.room.create',
  /** Remove a room no booking needs any more. Payload: { roomId, bookingId }. */
  'video.room.remove',
  /** Fan a domain event out to its webhook endpoints and push devices. Payload: { eventId }. */
  'event.publish',
  /** Send one event to one webhook endpoint. Payload: { eventId, endpointId }. */
  'webhook.deliver',
  /** Send one event's notification to one patient's devices. Payload: { eventId }. */
  'push.send',
  /** A session starts soon: publish `booking.reminder`. Payload: { bookingId, lead: '24h' | '1h' }. */
  'booking.reminder',
] as const;

export type OutboxTopic = (typeof OUTBOX_TOPICS)[number];

export type OutboxState = 'pending' | 'delivered' | 'dead' | 'cancelled';

/** A message to write: delivered not before `availableAtMs` (now when absent). */
export interface OutboxMessage {
  id: string;
  topic: OutboxTopic;
  organizationId: string | null;
  payload: Record<string, unknown>;
  availableAtMs?: number;
  /** At most one live message per key: a second enqueue with the same key is ignored. */
  dedupeKey?: string;
}

export interface OutboxRecord extends Required<Omit<OutboxMessage, 'dedupeKey'>> {
  dedupeKey: string | null;
  state: OutboxState;
  attempts: number;
  lastError: string | null;
  createdAtMs: number;
  deliveredAtMs: number | null;
}

/** The types of domain events partners can see, as webhooks and through `GET /v1/events`. */
export const DOMAIN_EVENT_TYPES = [
  'booking.created',
  'booking.confirmed',
  'booking.failed',
  'booking.cancelled',
  'booking.rescheduled',
  'booking.reminder',
  'booking.completed',
  'booking.no_show',
] as const;

export type DomainEventType = (typeof DOMAIN_EVENT_TYPES)[number];

/** A row of the `events` table: ids and an instant, never a patient's details. */
export interface DomainEvent {
  id: string;
  organizationId: string;
  type: DomainEventType;
  /** Ids only: bookingId, patientId, providerId. */
  data: Record<string, string>;
  occurredAtMs: number;
}

/**
 * A failure worth trying again later (a 5xx, a timeout, a 429), not sooner than
 * `retryAfterMs` when the other side said so. Any error that is not a
 * {@link PermanentDeliveryError} is treated as retryable.
 */
export class RetryableDeliveryError extends Error {
  readonly retryAfterMs: number | undefined;
  constructor(message: string, options: { retryAfterMs?: number; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'RetryableDeliveryError';
    this.retryAfterMs = options.retryAfterMs;
  }
}

/** A failure that will not go away by retrying: the message is dead-lettered at once. */
export class PermanentDeliveryError extends Error {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'PermanentDeliveryError';
  }
}

/** What a handler may use besides the app's dependencies. */
export interface OutboxHandlerContext {
  /** Writes follow-up messages (e.g. one `webhook.deliver` per endpoint). */
  enqueue(messages: OutboxMessage[]): Promise<void>;
  /** Aborted when the attempt's deadline passes or the server is stopping. */
  signal: AbortSignal;
  nowMs(): number;
}

/** Resolves when the message's side effect is done (or needs no doing); throws otherwise. */
export type OutboxHandler = (message: OutboxRecord, context: OutboxHandlerContext) => Promise<void>;

export type OutboxHandlers = Partial<Record<OutboxTopic, OutboxHandler>>;
