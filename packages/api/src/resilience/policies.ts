// Resilience policies are built on cockatiel, pinned at 3.2.1: its 4.x line needs Node 22 and
// the gateway runs on Node 20. Revisit the pin when the runtime moves to Node 22.
import {
  BrokenCircuitError,
  bulkhead,
  BulkheadRejectedError,
  circuitBreaker,
  CircuitState,
  ConsecutiveBreaker,
  DelegateBackoff,
  handleWhen,
  retry,
  SamplingBreaker,
  TaskCancelledError,
  timeout,
  TimeoutStrategy,
} from 'cockatiel';
import type { IBreaker, IRetryBackoffContext } from 'cockatiel';
import type { Logger } from 'pino';
import { classifyFailure, DependencyError, PolicyRejectedError } from './errors.js';
import type { FailureClass } from './errors.js';

/** The outbound dependencies that get a policy of their own. */
export const DEPENDENCIES = ['videosdk', 'fcm', 'webhooks'] as const;
export type Dependency = (typeof DEPENDENCIES)[number];

/** Opens after this many dependency failures in a row. */
export interface ConsecutiveBreakerOptions {
  kind: 'consecutive';
  failures: number;
  /** How long the breaker stays open before one trial call is let through. */
  halfOpenAfterMs: number;
}

/** Opens when more than `failureRatio` of the calls in the last `windowMs` failed. */
export interface SamplingBreakerOptions {
  kind: 'sampling';
  failureRatio: number;
  windowMs: number;
  /** Below this many calls in the window the breaker never opens: a quiet hour proves nothing. */
  minimumCalls: number;
  halfOpenAfterMs: number;
}

export type BreakerOptions = ConsecutiveBreakerOptions | SamplingBreakerOptions;

export interface PolicyOptions {
  /** Bound on one attempt, from sending the request to reading the whole answer. */
  attemptTimeoutMs: number;
  /** Attempts after the first; 0 turns retrying off. */
  maxRetries: number;
  /** Ceiling of the first backoff; it doubles with each retry up to `maxDelayMs`. */
  baseDelayMs: number;
  maxDelayMs: number;
  /**
   * The longest `Retry-After` waited out in-process. A dependency asking for longer ends the
   * retries at once, and its error keeps `retryAfterMs` for a scheduler to honour: holding a
   * request (and a bulkhead slot) for minutes helps nobody.
   */
  maxRetryAfterMs: number;
  breaker: BreakerOptions;
  /** Calls running at once, and calls allowed to wait for a slot; more are refused. */
  bulkhead: { maxConcurrent: number; maxQueued: number };
  /** Which endpoint of the dependency this policy guards, for logs and health (e.g. a host). */
  target?: string;
  /** Decides which failures are worth retrying; {@link classifyFailure} by default. */
  classify?: (error: unknown) => FailureClass;
  /** Random numbers in [0, 1) for the jitter; tests pin it. */
  random?: () => number;
}

/**
 * Defaults per dependency. The booking flow waits on VideoSDK while a partner's request is
 * open, so its budget is tight; push and webhooks run from the outbox, which can afford
 * longer waits and retries later on its own schedule anyway. Webhook policies guard one
 * partner endpoint each (set `target`), so one slow partner never opens the breaker for all.
 */
export const POLICY_DEFAULTS: Readonly<Record<Dependency, Readonly<PolicyOptions>>> = {
  videosdk: {
    attemptTimeoutMs: 5_000,
    maxRetries: 2,
    baseDelayMs: 200,
    maxDelayMs: 2_000,
    maxRetryAfterMs: 2_000,
    breaker: { kind: 'consecutive', failures: 5, halfOpenAfterMs: 15_000 },
    bulkhead: { maxConcurrent: 10, maxQueued: 20 },
  },
  fcm: {
    attemptTimeoutMs: 10_000,
    maxRetries: 3,
    baseDelayMs: 500,
    maxDelayMs: 10_000,
    maxRetryAfterMs: 30_000,
    breaker: {
      kind: 'sampling',
      failureRatio: 0.5,
      windowMs: 30_000,
      minimumCalls: 10,
      halfOpenAfterMs: 30_000,
    },
    bulkhead: { maxConcurrent: 20, maxQueued: 50 },
  },
  webhooks: {
    attemptTimeoutMs: 10_000,
    maxRetries: 2,
    baseDelayMs: 1_000,
    maxDelayMs: 10_000,
    maxRetryAfterMs: 10_000,
    breaker: { kind: 'consecutive', failures: 5, halfOpenAfterMs: 60_000 },
    bulkhead: { maxConcurrent: 5, maxQueued: 10 },
  },
};

/** What one attempt is given: a signal that aborts on the attempt's timeout or the caller's. */
export interface AttemptContext {
  signal: AbortSignal;
  /** 1 for the first attempt, 2 for the first retry, … */
  attempt: number;
}

export type BreakerState = 'closed' | 'open' | 'half-open' | 'isolated';

/** A policy's state for a health endpoint or a metrics scrape. Counters only ever grow. */
export interface PolicyHealth {
  dependency: Dependency;
  target: string | undefined;
  breaker: BreakerState;
  /** While open: when a trial call will be let through (epoch ms). */
  halfOpenAt: number | undefined;
  activeCalls: number;
  queuedCalls: number;
  retries: number;
  timeouts: number;
  breakerOpenings: number;
  rejectedOpen: number;
  rejectedFull: number;
}

export interface ResiliencePolicy {
  readonly dependency: Dependency;
  readonly target: string | undefined;
  /**
   * Runs `fn` under the policy. Resolves with its value, or rejects with: the last error of
   * `fn` when it was permanent or the retries ran out; a {@link DependencyError} with code
   * `TIMEOUT` when the last attempt timed out; a {@link PolicyRejectedError} when the breaker
   * is open or the bulkhead full; or the caller's abort reason once `signal` aborts.
   */
  execute<T>(fn: (context: AttemptContext) => Promise<T>, signal?: AbortSignal): Promise<T>;
  health(): PolicyHealth;
}

/** The part of the logger a policy writes to. */
export type PolicyLogger = Pick<Logger, 'info' | 'warn'>;

/**
 * One policy per outbound dependency: per-attempt timeout, retries of retryable failures with
 * jittered exponential backoff that honours `Retry-After`, a circuit breaker that counts only
 * the dependency's own failures, and a bulkhead with a small queue. From outside in: retry →
 * breaker → bulkhead → timeout, so an open breaker refuses before anything queues, and
 * backoff waits hold no bulkhead slot.
 *
 * Create each policy once and share it: the breaker and bulkhead only work across calls.
 *
 * @example
 * const policy = createPolicy('fcm', {}, logger);
 * const result = await policy.execute(({ signal }) => sendOnce(message, signal));
 * policy.health().breaker; // 'closed'
 */
export function createPolicy(
  name: Dependency,
  overrides: Partial<PolicyOptions>,
  logger: PolicyLogger,
): ResiliencePolicy {
  const options: PolicyOptions = { ...POLICY_DEFAULTS[name], ...overrides };
  checkOptions(name, options);

  const guard: Guard = {
    name,
    options,
    classify: options.classify ?? classifyFailure,
    counters: { retries: 0, timeouts: 0, breakerOpenings: 0, rejectedOpen: 0, rejectedFull: 0 },
    openedAt: undefined,
  };
  const parts = buildParts(guard);
  observe(parts, guard, logger);

  return {
    dependency: name,
    target: options.target,

    async execute<T>(fn: (context: AttemptContext) => Promise<T>, signal?: AbortSignal) {
      const attempt = (number: number) => attemptOnce(parts.deadline, guard, fn, number, signal);
      try {
        return await parts.retrier.execute(
          (context) =>
            parts.breaker.execute(() => parts.limiter.execute(() => attempt(context.attempt + 1))),
          signal,
        );
      } catch (error) {
        throw translate(error, signal, guard);
      }
    },

    health: () => healthOf(parts, guard),
  };
}

/** What one policy knows about itself, shared by the helpers below. */
interface Guard {
  name: Dependency;
  options: PolicyOptions;
  classify: (error: unknown) => FailureClass;
  counters: Pick<
    PolicyHealth,
    'retries' | 'timeouts' | 'breakerOpenings' | 'rejectedOpen' | 'rejectedFull'
  >;
  /** When the breaker last opened (epoch ms), while it is open. */
  openedAt: number | undefined;
}

function buildParts(guard: Guard) {
  const { options, classify } = guard;
  const random = options.random ?? Math.random;
  const isDependencyFault = (error: unknown) => !isPolicyOwn(error) && classify(error).retryable;
  const shouldRetry = (error: unknown) =>
    isDependencyFault(error) && fitsRetryAfterCap(classify(error), options.maxRetryAfterMs);

  return {
    retrier: retry(handleWhen(shouldRetry), {
      maxAttempts: options.maxRetries,
      backoff: new DelegateBackoff((context: IRetryBackoffContext<unknown>) =>
        retryDelayMs(context.attempt, failureOf(context, classify), options, random),
      ),
    }),
    breaker: circuitBreaker(handleWhen(isDependencyFault), {
      halfOpenAfter: options.breaker.halfOpenAfterMs,
      breaker: makeBreaker(options.breaker),
    }),
    limiter: bulkhead(options.bulkhead.maxConcurrent, options.bulkhead.maxQueued),
    // Aggressive: the attempt fails at the deadline even if `fn` ignores its signal. The signal
    // is left alone after a normal return, so "aborted" can only mean a deadline or the caller.
    deadline: timeout(options.attemptTimeoutMs, {
      strategy: TimeoutStrategy.Aggressive,
      abortOnReturn: false,
    }),
  };
}

type Parts = ReturnType<typeof buildParts>;

/** Counts retries and breaker changes, and logs them with the dependency's name. */
function observe(parts: Parts, guard: Guard, logger: PolicyLogger): void {
  const { options, counters } = guard;
  const fields = options.target
    ? { dependency: guard.name, target: options.target }
    : { dependency: guard.name };

  parts.retrier.onRetry((event) => {
    counters.retries++;
    const failure = 'error' in event ? failureFields(event.error) : {};
    const attempt = event.attempt + 1;
    logger.warn({ ...fields, attempt, delayMs: event.delay, ...failure }, 'retrying');
  });
  parts.retrier.onGiveUp((event) => {
    // With retries off, every failure would read as "exhausted"; the caller logs those.
    if (options.maxRetries === 0) return;
    const failure = 'error' in event ? failureFields(event.error) : {};
    logger.warn({ ...fields, attempts: options.maxRetries + 1, ...failure }, 'retries exhausted');
  });

  parts.breaker.onBreak(() => {
    counters.breakerOpenings++;
    guard.openedAt = Date.now();
    logger.warn({ ...fields, halfOpenAfterMs: options.breaker.halfOpenAfterMs }, 'breaker opened');
  });
  parts.breaker.onHalfOpen(() => logger.info(fields, 'breaker half-open'));
  parts.breaker.onReset(() => {
    guard.openedAt = undefined;
    logger.info(fields, 'breaker closed');
  });
}

/** One attempt under the deadline; a deadline that passes becomes a retryable `TIMEOUT`. */
async function attemptOnce<T>(
  deadline: Parts['deadline'],
  guard: Guard,
  fn: (context: AttemptContext) => Promise<T>,
  attempt: number,
  signal: AbortSignal | undefined,
): Promise<T> {
  if (signal?.aborted) throw new CallerAbort(signal.reason);
  let attemptSignal: AbortSignal | undefined;
  try {
    return await deadline.execute((context) => {
      attemptSignal = context.signal;
      return fn({ signal: context.signal, attempt });
    }, signal);
  } catch (error) {
    if (signal?.aborted) throw new CallerAbort(signal.reason);
    if (!(error instanceof TaskCancelledError) && !attemptSignal?.aborted) throw error;
    guard.counters.timeouts++;
    const message = `${guard.name} did not answer within ${guard.options.attemptTimeoutMs} ms`;
    throw new DependencyError(message, { code: 'TIMEOUT', retryable: true }, { cause: error });
  }
}

/** Turns what cockatiel and the caller's abort threw into what callers of the policy expect. */
function translate(error: unknown, signal: AbortSignal | undefined, guard: Guard): unknown {
  if (error instanceof CallerAbort) return error.reason;
  if (signal?.aborted) return signal.reason;
  // An isolated breaker's error is a BrokenCircuitError too. (Cockatiel 3.2.1's own
  // isIsolatedCircuitError and isTaskCancelledError test the bulkhead's flag: use instanceof.)
  if (error instanceof BrokenCircuitError) {
    guard.counters.rejectedOpen++;
    const until = halfOpenAt(guard);
    const retryAfterMs = until === undefined ? undefined : Math.max(0, until - Date.now());
    return new PolicyRejectedError(`${guard.name} breaker is open`, {
      code: 'CIRCUIT_OPEN',
      retryable: true,
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    });
  }
  if (error instanceof BulkheadRejectedError) {
    guard.counters.rejectedFull++;
    return new PolicyRejectedError(`${guard.name} has too many calls in flight`, {
      code: 'BULKHEAD_FULL',
      retryable: true,
    });
  }
  return error;
}

function healthOf(parts: Parts, guard: Guard): PolicyHealth {
  const { options } = guard;
  const breaker = breakerStateName(parts.breaker.state);
  return {
    dependency: guard.name,
    target: options.target,
    breaker,
    halfOpenAt: breaker === 'open' ? halfOpenAt(guard) : undefined,
    activeCalls: options.bulkhead.maxConcurrent - parts.limiter.executionSlots,
    queuedCalls: options.bulkhead.maxQueued - parts.limiter.queueSlots,
    ...guard.counters,
  };
}

function halfOpenAt(guard: Guard): number | undefined {
  return guard.openedAt === undefined
    ? undefined
    : guard.openedAt + guard.options.breaker.halfOpenAfterMs;
}

/**
 * The wait before retry number `retry` (1 for the first): "equal jitter" over an exponential
 * ceiling, so waits grow but callers that failed together do not come back together. A
 * dependency's `Retry-After` is a floor: we never come back sooner than it asked.
 *
 * @example
 * retryDelayMs(1, { retryable: true }, { baseDelayMs: 100, maxDelayMs: 1000 }, () => 0.5); // 75
 * retryDelayMs(1, { retryable: true, retryAfterMs: 2000 }, options, Math.random); // 2000
 */
export function retryDelayMs(
  retry: number,
  failure: FailureClass,
  options: Pick<PolicyOptions, 'baseDelayMs' | 'maxDelayMs'>,
  random: () => number,
): number {
  const ceiling = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** Math.max(0, retry - 1));
  const backoff = ceiling / 2 + (random() * ceiling) / 2;
  return Math.round(Math.max(backoff, failure.retryAfterMs ?? 0));
}

/** Marks a failure caused by the caller giving up, which nothing may retry or count. */
class CallerAbort extends Error {
  constructor(readonly reason: unknown) {
    super('The caller aborted the call');
    this.name = 'CallerAbort';
  }
}

/** Failures the policy raised itself, or the caller caused: never the dependency's fault. */
function isPolicyOwn(error: unknown): boolean {
  return (
    error instanceof CallerAbort ||
    error instanceof PolicyRejectedError ||
    error instanceof BrokenCircuitError ||
    error instanceof BulkheadRejectedError
  );
}

function fitsRetryAfterCap(failure: FailureClass, capMs: number): boolean {
  return failure.retryAfterMs === undefined || failure.retryAfterMs <= capMs;
}

function failureOf(
  context: IRetryBackoffContext<unknown>,
  classify: (error: unknown) => FailureClass,
): FailureClass {
  return 'error' in context.result ? classify(context.result.error) : { retryable: true };
}

/** The fields of a failure that are safe to log: its code and status, never its message. */
function failureFields(error: unknown): { code?: string; status?: number } {
  if (typeof error !== 'object' || error === null) return {};
  const { code, status } = error as { code?: unknown; status?: unknown };
  return {
    ...(typeof code === 'string' ? { code } : {}),
    ...(typeof status === 'number' ? { status } : {}),
  };
}

function makeBreaker(options: BreakerOptions): IBreaker {
  if (options.kind === 'consecutive') return new ConsecutiveBreaker(options.failures);
  return new SamplingBreaker({
    threshold: options.failureRatio,
    duration: options.windowMs,
    // Cockatiel measures the floor in calls per second over the window.
    minimumRps: (options.minimumCalls * 1000) / options.windowMs,
  });
}

function breakerStateName(state: CircuitState): BreakerState {
  switch (state) {
    case CircuitState.Closed:
      return 'closed';
    case CircuitState.Open:
      return 'open';
    case CircuitState.HalfOpen:
      return 'half-open';
    case CircuitState.Isolated:
      return 'isolated';
  }
}

/** Refuses a policy that could never work, naming every bad setting at once. */
function checkOptions(name: Dependency, options: PolicyOptions): void {
  const problems: string[] = [];
  const positive = { attemptTimeoutMs: options.attemptTimeoutMs, baseDelayMs: options.baseDelayMs };
  for (const [key, value] of Object.entries(positive)) {
    if (!(value > 0)) problems.push(`${key} must be positive`);
  }
  if (!Number.isInteger(options.maxRetries) || options.maxRetries < 0) {
    problems.push('maxRetries must be a whole number, 0 or more');
  }
  if (!(options.maxDelayMs >= options.baseDelayMs))
    problems.push('maxDelayMs must be ≥ baseDelayMs');
  if (!(options.maxRetryAfterMs >= 0)) problems.push('maxRetryAfterMs must not be negative');
  if (!(options.breaker.halfOpenAfterMs > 0))
    problems.push('breaker.halfOpenAfterMs must be positive');
  problems.push(...breakerProblems(options.breaker));
  const { maxConcurrent, maxQueued } = options.bulkhead;
  if (!Number.isInteger(maxConcurrent) || maxConcurrent < 1) {
    problems.push('bulkhead.maxConcurrent must be a whole number, 1 or more');
  }
  if (!Number.isInteger(maxQueued) || maxQueued < 0) {
    problems.push('bulkhead.maxQueued must be a whole number, 0 or more');
  }
  if (problems.length > 0) {
    throw new RangeError(`Invalid ${name} policy: ${problems.join('; ')}`);
  }
}

function breakerProblems(options: BreakerOptions): string[] {
  if (options.kind === 'consecutive') {
    return Number.isInteger(options.failures) && options.failures >= 1
      ? []
      : ['breaker.failures must be a whole number, 1 or more'];
  }
  const problems: string[] = [];
  if (!(options.failureRatio > 0 && options.failureRatio < 1)) {
    problems.push('breaker.failureRatio must be between 0 and 1');
  }
  if (!(options.windowMs > 0)) problems.push('breaker.windowMs must be positive');
  if (!(options.minimumCalls >= 1)) problems.push('breaker.minimumCalls must be 1 or more');
  return problems;
}
