import type { Clock } from '@tahoon/core';
import type { Logger } from 'pino';
import type { OutboxStore } from '../db/outbox.js';
import type { DeliveryResult, OutboxRunner } from './runner.js';
import type { OutboxRecord } from './types.js';

export interface DispatcherOptions {
  messages: OutboxStore;
  runner: OutboxRunner;
  clock: Clock;
  log: Logger;
  /** Messages claimed at once. */
  batchSize: number;
  /** Handlers running at once within a batch. */
  concurrency: number;
  /** Wait between polls when nothing is due; a local enqueue wakes the loop sooner. */
  pollIntervalMs: number;
  /**
   * The shortest time between two claims (ms). Commits wake the loop; on a busy gateway the
   * commits of this window are gathered into one claim rather than one claim each. Default 100.
   */
  minClaimGapMs?: number;
}

export interface Dispatcher {
  start(): void;
  /** Wakes a sleeping loop: messages were just written in this process. */
  kick(): void;
  /** Claims and delivers one batch; how many messages it held. For tests and the CLI. */
  runOnce(): Promise<number>;
  /** Stops claiming, lets the batch in hand finish (up to `graceMs`), then resolves. */
  stop(graceMs?: number): Promise<void>;
}

/**
 * The outbox's delivery loop. Several dispatchers may share one PostgreSQL: each claims rows
 * with `FOR UPDATE SKIP LOCKED` and a lease, so no row is worked on twice at once, and a
 * crashed dispatcher's rows come back when their lease runs out. Delivery is therefore at least
 * once; handlers are idempotent.
 *
 * Batches are claimed oldest due first. A failing message is pushed back by its backoff, so it
 * leaves the head of the queue and cannot hold up other topics or organizations.
 *
 * No library was adopted for this: PostgreSQL job queues (pg-boss, graphile-worker) own their
 * tables and schemas, while this outbox's rows must be written by the same transaction as the
 * booking, on PGlite as well as PostgreSQL. The loop below is the whole of it.
 *
 * @example
 * const dispatcher = createDispatcher({ messages, runner, clock, log, batchSize: 50, concurrency: 8, pollIntervalMs: 1000 });
 * dispatcher.start();
 * process.once('SIGTERM', () => dispatcher.stop());
 */
export function createDispatcher(options: DispatcherOptions): Dispatcher {
  const { messages, runner, clock, log } = options;
  const stopping = new AbortController();
  let loop: Promise<void> | undefined;
  let wake: (() => void) | undefined;
  let interrupt: (() => void) | undefined;
  let kicked = false;
  let stopRequested = false;

  async function runOnce(): Promise<number> {
    const batch = await messages.claim({
      limit: options.batchSize,
      leaseMs: runner.leaseMs,
      nowMs: clock.nowMs(),
    });
    const results = await mapBounded(batch, options.concurrency, (claimed) =>
      runner.deliver(claimed, stopping.signal),
    );
    logBatch(log, batch, results);
    return batch.length;
  }

  function sleep(ms: number): Promise<void> {
    if (kicked || stopRequested) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        wake = undefined;
        resolve();
      }
      wake = done;
    });
  }

  const minGapMs = options.minClaimGapMs ?? 100;

  /** Waits `ms` of real time; only a stop cuts it short (kicks do not). */
  function pause(ms: number): Promise<void> {
    if (stopRequested || ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        interrupt = undefined;
        resolve();
      }
      interrupt = done;
    });
  }

  async function forever(): Promise<void> {
    while (!stopRequested) {
      const startedAt = performance.now();
      kicked = false;
      let held = 0;
      try {
        held = await runOnce();
      } catch (err) {
        log.error({ err }, 'outbox dispatch failed; retrying after the poll interval');
      }
      // A full batch suggests more is due: go again at once.
      if (held < options.batchSize) await sleep(options.pollIntervalMs);
      await pause(minGapMs - (performance.now() - startedAt));
    }
  }

  const unsubscribe = messages.onEnqueued(() => {
    kicked = true;
    wake?.();
  });

  return {
    start() {
      loop ??= forever();
    },
    kick() {
      kicked = true;
      wake?.();
    },
    runOnce,
    async stop(graceMs = 30_000) {
      unsubscribe();
      stopRequested = true;
      wake?.();
      interrupt?.();
      // The batch in hand finishes; handlers that outlast the grace period are aborted (their
      // rows are retried after the lease, like a crashed dispatcher's).
      const running = loop ?? Promise.resolve();
      let grace: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        running,
        new Promise((resolve) => (grace = setTimeout(resolve, graceMs))),
      ]);
      clearTimeout(grace);
      stopping.abort(new Error('The dispatcher is stopping'));
      await running;
    },
  };
}

/** Runs `work` over `items` with at most `limit` running at once, keeping the input order. */
export async function mapBounded<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

function logBatch(log: Logger, batch: OutboxRecord[], results: DeliveryResult[]): void {
  if (batch.length === 0) return;
  const counts: Partial<Record<DeliveryResult, number>> = {};
  for (const result of results) counts[result] = (counts[result] ?? 0) + 1;
  log.debug({ claimed: batch.length, ...counts }, 'outbox batch done');
}
