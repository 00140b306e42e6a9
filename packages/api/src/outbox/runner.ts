import { timeout, TimeoutStrategy } from 'cockatiel';
import type { Clock } from '@tahoon/core';
import type { Logger } from 'pino';
import type { AttemptOutcome, OutboxStore } from '../db/outbox.js';
import { decideAfterFailure, errorText, UNKNOWN_TOPIC_DELAY_MS } from './backoff.js';
import type { OutboxHandlerContext, OutboxHandlers, OutboxRecord, OutboxTopic } from './types.js';

/** What became of one claimed message. */
export type DeliveryResult = 'delivered' | 'retry' | 'dead' | 'deferred' | 'lost';

/**
 * The context a handler receives from this runner: the shared one, plus the logger of the
 * request that runs it inline (so those lines carry its request id), or the outbox's own.
 */
export interface LoggedHandlerContext extends OutboxHandlerContext {
  log: Logger;
}

/** The logger a handler should write to, whichever runner called it. */
export function handlerLog(context: OutboxHandlerContext, fallback: Logger): Logger {
  return (context as Partial<LoggedHandlerContext>).log ?? fallback;
}

/** Runs after a message is dead-lettered: the saga's compensation for its topic. */
export type DeadLetterHook = (record: OutboxRecord, log: Logger) => Promise<void>;

export interface OutboxRunnerOptions {
  messages: OutboxStore;
  handlers: OutboxHandlers;
  onDead?: Partial<Record<OutboxTopic, DeadLetterHook>>;
  clock: Clock;
  log: Logger;
  /** Bound on one handler call; the lease must outlast it. */
  handlerTimeoutMs: number;
  leaseMs: number;
  /** Random numbers in [0, 1) for the backoff's jitter; tests pin it. */
  random?: () => number;
}

export interface OutboxRunner {
  /** Runs a claimed message's handler and records the result on its row. */
  deliver(claimed: OutboxRecord, stopping?: AbortSignal, log?: Logger): Promise<DeliveryResult>;
  /**
   * Claims these messages and delivers them now, in this process: a booking's room is made
   * while its partner waits, by the same code the dispatcher would run later.
   */
  deliverNow(ids: string[], log?: Logger): Promise<DeliveryResult[]>;
  readonly leaseMs: number;
}

/**
 * Delivery of single messages, shared by the dispatcher and the inline first attempts. A
 * handler runs under a cockatiel timeout whose signal it receives; any failure becomes a retry
 * with backoff, or a dead letter (then the topic's {@link DeadLetterHook} runs). Logs carry
 * ids, topics and counts only.
 *
 * @example
 * const runner = createOutboxRunner({ messages, handlers, clock, log, handlerTimeoutMs: 30_000, leaseMs: 60_000 });
 * await runner.deliverNow([roomMessageId]);
 */
export function createOutboxRunner(options: OutboxRunnerOptions): OutboxRunner {
  const { messages, handlers, clock } = options;
  const random = options.random ?? Math.random;
  const deadline = timeout(options.handlerTimeoutMs, TimeoutStrategy.Aggressive);

  async function run(
    claimed: OutboxRecord,
    stopping: AbortSignal | undefined,
    log: Logger,
  ): Promise<void> {
    const handler = handlers[claimed.topic];
    if (!handler) throw new MissingHandler(claimed.topic);
    await deadline.execute(({ signal }) => {
      const context: LoggedHandlerContext = {
        enqueue: (follow) => messages.enqueue(follow, clock.nowMs()),
        signal,
        nowMs: () => clock.nowMs(),
        log,
      };
      return handler(claimed, context);
    }, stopping);
  }

  async function record(
    claimed: OutboxRecord,
    error: unknown,
    log: Logger,
  ): Promise<DeliveryResult> {
    const nowMs = clock.nowMs();
    const fields = { outboxId: claimed.id, topic: claimed.topic, attempt: claimed.attempts };
    const outcome = outcomeOf(claimed, error, nowMs, random);
    if (!(await messages.recordFailure(claimed, outcome, nowMs))) return 'lost';

    if (outcome.kind === 'defer') {
      log.warn({ ...fields, retryAt: outcome.availableAtMs }, 'outbox topic has no handler');
      return 'deferred';
    }
    if (outcome.kind === 'retry') {
      log.warn(
        { ...fields, retryAt: outcome.availableAtMs, err: errorName(error) },
        'outbox attempt failed',
      );
      return 'retry';
    }
    log.error({ ...fields, err: errorName(error) }, 'outbox message dead-lettered');
    await options.onDead?.[claimed.topic]?.(claimed, log).catch((hookError: unknown) => {
      log.error(
        { outboxId: claimed.id, err: errorName(hookError) },
        'dead-letter compensation failed',
      );
    });
    return 'dead';
  }

  async function deliver(
    claimed: OutboxRecord,
    stopping?: AbortSignal,
    log: Logger = options.log,
  ): Promise<DeliveryResult> {
    try {
      await run(claimed, stopping, log);
    } catch (error) {
      return record(claimed, error, log);
    }
    const delivered = await messages.markDelivered(claimed, clock.nowMs());
    log.debug(
      { outboxId: claimed.id, topic: claimed.topic, attempt: claimed.attempts },
      'outbox message delivered',
    );
    return delivered ? 'delivered' : 'lost';
  }

  return {
    deliver,
    async deliverNow(ids, log) {
      const results: DeliveryResult[] = [];
      for (const id of ids) {
        const claimed = await messages.claimById(id, options.leaseMs, clock.nowMs());
        // Another process holds it, or it is done already: nothing to do here.
        results.push(claimed ? await deliver(claimed, undefined, log) : 'lost');
      }
      return results;
    },
    leaseMs: options.leaseMs,
  };
}

/** No handler for the topic in this process: the message waits, it is never dropped. */
class MissingHandler extends Error {
  constructor(topic: string) {
    super(`No handler for topic ${topic}`);
    this.name = 'MissingHandler';
  }
}

function outcomeOf(
  claimed: OutboxRecord,
  error: unknown,
  nowMs: number,
  random: () => number,
): AttemptOutcome {
  const text = errorText(error);
  if (error instanceof MissingHandler) {
    return { kind: 'defer', availableAtMs: nowMs + UNKNOWN_TOPIC_DELAY_MS, error: text };
  }
  const decision = decideAfterFailure(claimed.topic, claimed.attempts, error, nowMs, random);
  return decision.kind === 'dead'
    ? { kind: 'dead', error: text }
    : { kind: 'retry', availableAtMs: decision.availableAtMs, error: text };
}

/** Error names only: messages from dependencies could echo what they were sent. */
function errorName(error: unknown): string {
  return error instanceof Error ? error.name : typeof error;
}
