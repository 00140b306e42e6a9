import { TahoonError } from '@tahoon/core';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { VideoSdkError } from '../adapters/video/videosdk.js';
import {
  classifyFailure,
  DependencyError,
  isRetryableStatus,
  parseRetryAfter,
  PolicyRejectedError,
} from './errors.js';
import { createPolicy, DEPENDENCIES, POLICY_DEFAULTS, retryDelayMs } from './policies.js';
import type { PolicyOptions } from './policies.js';

interface LogLine {
  level: number;
  msg: string;
  dependency?: string;
  attempt?: number;
  delayMs?: number;
  code?: string;
}

/** A real pino logger whose lines land in an array, parsed. */
function capturingLogger() {
  const lines: LogLine[] = [];
  const logger = pino(
    { level: 'debug' },
    { write: (line: string) => lines.push(JSON.parse(line)) },
  );
  return { logger, lines, messages: () => lines.map((line) => line.msg) };
}

/** Short delays everywhere so the suite stays fast; each test overrides what it exercises. */
const FAST: Partial<PolicyOptions> = {
  attemptTimeoutMs: 1_000,
  maxRetries: 3,
  baseDelayMs: 5,
  maxDelayMs: 20,
  maxRetryAfterMs: 500,
  breaker: { kind: 'consecutive', failures: 100, halfOpenAfterMs: 50 },
  bulkhead: { maxConcurrent: 4, maxQueued: 4 },
};

const transient = (extra: { retryAfterMs?: number } = {}) =>
  new DependencyError('dependency answered 503', {
    code: 'UNAVAILABLE',
    retryable: true,
    status: 503,
    ...extra,
  });
const permanent = () =>
  new DependencyError('dependency answered 400', {
    code: 'INVALID',
    retryable: false,
    status: 400,
  });

/** A function that throws the given failures in turn, then answers 'ok'; it counts its calls. */
function scripted(failures: Error[]) {
  const queue = [...failures];
  const calls: { attempt: number; signal: AbortSignal }[] = [];
  const fn = async (context: { attempt: number; signal: AbortSignal }) => {
    calls.push(context);
    const failure = queue.shift();
    if (failure) throw failure;
    return 'ok';
  };
  return { fn, calls };
}

/** A promise with its resolver, to hold a call open until the test lets it go. */
function gate() {
  let open: () => void = () => {};
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('createPolicy', () => {
  it('has defaults for each outbound dependency', () => {
    const { logger } = capturingLogger();

    for (const dependency of DEPENDENCIES) {
      const policy = createPolicy(dependency, {}, logger);
      expect(policy.dependency).toBe(dependency);
      expect(policy.health().breaker).toBe('closed');
      expect(POLICY_DEFAULTS[dependency].attemptTimeoutMs).toBeGreaterThan(0);
    }
  });

  it('refuses settings that could never work, naming each', () => {
    const { logger } = capturingLogger();
    const bad = {
      attemptTimeoutMs: 0,
      maxRetries: -1,
      bulkhead: { maxConcurrent: 0, maxQueued: 1 },
    };

    expect(() => createPolicy('fcm', bad, logger)).toThrow(
      /attemptTimeoutMs.*maxRetries.*bulkhead\.maxConcurrent/,
    );
    expect(() =>
      createPolicy(
        'fcm',
        { breaker: { kind: 'consecutive', failures: 0, halfOpenAfterMs: 1 } },
        logger,
      ),
    ).toThrow(/breaker\.failures/);
  });

  it('returns the value of a first attempt that succeeds, numbering it 1', async () => {
    const { logger, lines } = capturingLogger();
    const policy = createPolicy('videosdk', FAST, logger);
    const { fn, calls } = scripted([]);

    await expect(policy.execute(fn)).resolves.toBe('ok');

    expect(calls.map((call) => call.attempt)).toEqual([1]);
    expect(calls[0]?.signal.aborted).toBe(false);
    expect(lines).toEqual([]);
  });

  it('retries retryable failures and logs each retry with its attempt and delay', async () => {
    const { logger, lines } = capturingLogger();
    const policy = createPolicy('fcm', FAST, logger);
    const { fn, calls } = scripted([transient(), transient()]);

    await expect(policy.execute(fn)).resolves.toBe('ok');

    expect(calls.map((call) => call.attempt)).toEqual([1, 2, 3]);
    const retries = lines.filter((line) => line.msg === 'retrying');
    expect(retries.map((line) => line.attempt)).toEqual([2, 3]);
    for (const line of retries) {
      expect(line).toMatchObject({ level: 40, dependency: 'fcm', code: 'UNAVAILABLE' });
      expect(line.delayMs).toBeGreaterThanOrEqual(0);
    }
    expect(policy.health().retries).toBe(2);
  });

  it('does not retry a permanent failure, and rethrows it unchanged', async () => {
    const { logger, messages } = capturingLogger();
    const policy = createPolicy('fcm', FAST, logger);
    const failure = permanent();
    const { fn, calls } = scripted([failure]);

    await expect(policy.execute(fn)).rejects.toBe(failure);

    expect(calls).toHaveLength(1);
    expect(messages()).not.toContain('retrying');
  });

  it('gives up after maxRetries and rethrows the last failure', async () => {
    const { logger, messages } = capturingLogger();
    const policy = createPolicy('webhooks', { ...FAST, maxRetries: 2 }, logger);
    const last = transient();
    const { fn, calls } = scripted([transient(), transient(), last, transient()]);

    await expect(policy.execute(fn)).rejects.toBe(last);

    expect(calls).toHaveLength(3);
    expect(messages()).toContain('retries exhausted');
  });

  it('retries network failures as fetch reports them', async () => {
    const { logger } = capturingLogger();
    const policy = createPolicy('webhooks', FAST, logger);
    const reset = Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' });
    const { fn, calls } = scripted([new TypeError('fetch failed', { cause: reset })]);

    await expect(policy.execute(fn)).resolves.toBe('ok');

    expect(calls).toHaveLength(2);
  });

  it('times an attempt out, aborts its signal and retries', async () => {
    const { logger } = capturingLogger();
    const policy = createPolicy('videosdk', { ...FAST, attemptTimeoutMs: 30 }, logger);
    const signals: AbortSignal[] = [];
    const fn = async ({ signal, attempt }: { signal: AbortSignal; attempt: number }) => {
      signals.push(signal);
      if (attempt === 1) await new Promise((_, reject) => signal.addEventListener('abort', reject));
      return 'ok';
    };

    await expect(policy.execute(fn)).resolves.toBe('ok');

    expect(signals).toHaveLength(2);
    expect(signals[0]?.aborted).toBe(true);
    expect(policy.health().timeouts).toBe(1);
  });

  it('reports a retryable TIMEOUT even when the function ignores its signal', async () => {
    const { logger } = capturingLogger();
    const policy = createPolicy(
      'videosdk',
      { ...FAST, attemptTimeoutMs: 20, maxRetries: 1 },
      logger,
    );
    let calls = 0;
    const stubborn = () => {
      calls++;
      return new Promise<string>(() => {});
    };

    const error = await policy.execute(stubborn).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(DependencyError);
    expect(error).toMatchObject({ code: 'TIMEOUT', retryable: true });
    expect(calls).toBe(2);
  });

  it('waits at least as long as Retry-After asks before retrying', async () => {
    const { logger, lines } = capturingLogger();
    const policy = createPolicy('fcm', FAST, logger);
    const { fn, calls } = scripted([transient({ retryAfterMs: 150 })]);

    const started = performance.now();
    await expect(policy.execute(fn)).resolves.toBe('ok');

    expect(calls).toHaveLength(2);
    expect(lines.find((line) => line.msg === 'retrying')?.delayMs).toBeGreaterThanOrEqual(150);
    // A lower bound only, with slack for timer granularity: never sooner than asked.
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
  });

  it('hands back a Retry-After longer than its cap instead of waiting it out', async () => {
    const { logger, messages } = capturingLogger();
    const policy = createPolicy('fcm', { ...FAST, maxRetryAfterMs: 100 }, logger);
    const { fn, calls } = scripted([transient({ retryAfterMs: 60_000 })]);

    const error = await policy.execute(fn).catch((e: unknown) => e);

    expect(calls).toHaveLength(1);
    expect(error).toMatchObject({ code: 'UNAVAILABLE', retryAfterMs: 60_000 });
    expect(messages()).not.toContain('retrying');
  });

  it('opens the breaker after consecutive failures, then fails fast without calling', async () => {
    const { logger, lines } = capturingLogger();
    const breaker = { kind: 'consecutive', failures: 3, halfOpenAfterMs: 10_000 } as const;
    const policy = createPolicy('videosdk', { ...FAST, maxRetries: 0, breaker }, logger);
    const { fn, calls } = scripted(Array.from({ length: 10 }, () => transient()));

    for (let i = 0; i < 3; i++)
      await expect(policy.execute(fn)).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    const refused = await policy.execute(fn).catch((e: unknown) => e);

    expect(calls).toHaveLength(3);
    expect(refused).toBeInstanceOf(PolicyRejectedError);
    expect(refused).toMatchObject({ code: 'CIRCUIT_OPEN', retryable: true });
    expect((refused as PolicyRejectedError).retryAfterMs).toBeGreaterThan(0);
    expect(policy.health()).toMatchObject({ breaker: 'open', breakerOpenings: 1, rejectedOpen: 1 });
    expect(policy.health().halfOpenAt).toBeGreaterThan(Date.now());
    expect(lines.find((line) => line.msg === 'breaker opened')).toMatchObject({
      level: 40,
      dependency: 'videosdk',
    });
  });

  it('lets one trial call through after the delay and closes on its success', async () => {
    const { logger, messages } = capturingLogger();
    const breaker = { kind: 'consecutive', failures: 2, halfOpenAfterMs: 40 } as const;
    const policy = createPolicy('fcm', { ...FAST, maxRetries: 0, breaker }, logger);
    const { fn, calls } = scripted([transient(), transient()]);

    await policy.execute(fn).catch(() => undefined);
    await policy.execute(fn).catch(() => undefined);
    expect(policy.health().breaker).toBe('open');
    await sleep(80);

    await expect(policy.execute(fn)).resolves.toBe('ok');

    expect(calls).toHaveLength(3);
    expect(policy.health().breaker).toBe('closed');
    expect(messages()).toEqual(['breaker opened', 'breaker half-open', 'breaker closed']);
  });

  it('reopens when the trial call fails', async () => {
    const { logger, messages } = capturingLogger();
    const breaker = { kind: 'consecutive', failures: 1, halfOpenAfterMs: 30 } as const;
    const policy = createPolicy('fcm', { ...FAST, maxRetries: 0, breaker }, logger);
    const { fn } = scripted([transient(), transient()]);

    await policy.execute(fn).catch(() => undefined);
    await sleep(60);
    await policy.execute(fn).catch(() => undefined);

    expect(policy.health()).toMatchObject({ breaker: 'open', breakerOpenings: 2 });
    expect(messages()).toEqual(['breaker opened', 'breaker half-open', 'breaker opened']);
  });

  it('does not count permanent failures against the breaker', async () => {
    const { logger } = capturingLogger();
    const breaker = { kind: 'consecutive', failures: 2, halfOpenAfterMs: 10_000 } as const;
    const policy = createPolicy('webhooks', { ...FAST, breaker }, logger);
    const { fn, calls } = scripted(Array.from({ length: 5 }, permanent));

    for (let i = 0; i < 5; i++) await policy.execute(fn).catch(() => undefined);

    expect(calls).toHaveLength(5);
    expect(policy.health().breaker).toBe('closed');
  });

  it('opens a sampling breaker once enough calls in the window failed', async () => {
    const { logger } = capturingLogger();
    const breaker = {
      kind: 'sampling',
      failureRatio: 0.5,
      windowMs: 5_000,
      minimumCalls: 4,
      halfOpenAfterMs: 10_000,
    } as const;
    const policy = createPolicy('fcm', { ...FAST, maxRetries: 0, breaker }, logger);
    const { fn } = scripted(Array.from({ length: 10 }, () => transient()));

    await policy.execute(fn).catch(() => undefined);
    await policy.execute(fn).catch(() => undefined);
    expect(policy.health().breaker).toBe('closed');
    for (let i = 0; i < 3; i++) await policy.execute(fn).catch(() => undefined);

    expect(policy.health().breaker).toBe('open');
  });

  it('limits concurrent calls, queues a few and refuses the rest without retrying', async () => {
    const { logger } = capturingLogger();
    const bulkhead = { maxConcurrent: 2, maxQueued: 1 };
    const breaker = { kind: 'consecutive', failures: 1, halfOpenAfterMs: 10_000 } as const;
    const policy = createPolicy('webhooks', { ...FAST, bulkhead, breaker }, logger);
    const release = gate();
    let running = 0;
    let peak = 0;
    const slow = async () => {
      running++;
      peak = Math.max(peak, running);
      await release.opened;
      running--;
      return 'ok';
    };

    const admitted = [policy.execute(slow), policy.execute(slow), policy.execute(slow)];
    await sleep(5);
    const refused = await policy.execute(slow).catch((e: unknown) => e);
    expect(policy.health()).toMatchObject({ activeCalls: 2, queuedCalls: 1, rejectedFull: 1 });
    release.open();

    await expect(Promise.all(admitted)).resolves.toEqual(['ok', 'ok', 'ok']);
    expect(refused).toBeInstanceOf(PolicyRejectedError);
    expect(refused).toMatchObject({ code: 'BULKHEAD_FULL', retryable: true });
    expect(peak).toBe(2);
    expect(policy.health()).toMatchObject({ breaker: 'closed', retries: 0, activeCalls: 0 });
  });

  it("stops on the caller's abort with the caller's reason, counting nothing", async () => {
    const { logger } = capturingLogger();
    const breaker = { kind: 'consecutive', failures: 1, halfOpenAfterMs: 10_000 } as const;
    const slowBackoff = { baseDelayMs: 50, maxDelayMs: 50 };
    const policy = createPolicy('videosdk', { ...FAST, ...slowBackoff, breaker }, logger);
    const controller = new AbortController();
    const reason = new Error('partner hung up');
    let calls = 0;
    const fn = ({ signal }: { signal: AbortSignal }) => {
      calls++;
      return new Promise<string>((_, reject) =>
        signal.addEventListener('abort', () => reject(signal.reason)),
      );
    };

    const pending = policy.execute(fn, controller.signal);
    await sleep(5);
    controller.abort(reason);

    await expect(pending).rejects.toBe(reason);
    expect(calls).toBe(1);
    expect(policy.health()).toMatchObject({ breaker: 'closed', retries: 0, timeouts: 0 });
  });

  it('uses a custom classifier when given one', async () => {
    const { logger } = capturingLogger();
    const classify = (error: unknown) => ({ retryable: error instanceof RangeError });
    const policy = createPolicy('webhooks', { ...FAST, classify }, logger);
    const { fn, calls } = scripted([new RangeError('flaky'), permanent()]);

    await expect(policy.execute(fn)).rejects.toMatchObject({ code: 'INVALID' });

    expect(calls).toHaveLength(2);
  });

  it('labels its log lines and health with the target it guards', async () => {
    const { logger, lines } = capturingLogger();
    const policy = createPolicy('webhooks', { ...FAST, target: 'hooks.example.org' }, logger);
    const { fn } = scripted([transient()]);

    await policy.execute(fn);

    expect(lines[0]).toMatchObject({ msg: 'retrying', target: 'hooks.example.org' });
    expect(policy.health().target).toBe('hooks.example.org');
  });
});

describe('retryDelayMs', () => {
  const options = { baseDelayMs: 100, maxDelayMs: 1_000 };

  it('doubles the ceiling each retry up to the maximum, jittering within its upper half', () => {
    const low = [1, 2, 3, 4, 5, 6].map((n) =>
      retryDelayMs(n, { retryable: true }, options, () => 0),
    );
    const high = [1, 2, 3, 4, 5, 6].map((n) =>
      retryDelayMs(n, { retryable: true }, options, () => 0.999_999),
    );

    expect(low).toEqual([50, 100, 200, 400, 500, 500]);
    expect(high).toEqual([100, 200, 400, 800, 1_000, 1_000]);
  });

  it('never comes back sooner than Retry-After', () => {
    expect(retryDelayMs(1, { retryable: true, retryAfterMs: 3_000 }, options, () => 0.5)).toBe(
      3_000,
    );
    expect(retryDelayMs(4, { retryable: true, retryAfterMs: 10 }, options, () => 0)).toBe(400);
  });
});

describe('classifyFailure', () => {
  it('reads retryable and retryAfterMs from a DependencyError', () => {
    expect(classifyFailure(transient({ retryAfterMs: 1_500 }))).toEqual({
      retryable: true,
      retryAfterMs: 1_500,
    });
    expect(classifyFailure(permanent())).toEqual({ retryable: false });
  });

  it('treats network failures and timeouts as retryable', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });

    expect(classifyFailure(new TypeError('fetch failed', { cause: refused }))).toEqual({
      retryable: true,
    });
    expect(classifyFailure(new TypeError('fetch failed'))).toEqual({ retryable: true });
    expect(classifyFailure(new DOMException('timed out', 'TimeoutError'))).toEqual({
      retryable: true,
    });
  });

  it("looks through the gateway's own error to what the video service said", () => {
    const wrap = (cause: unknown) =>
      new TahoonError({ code: 'UNAVAILABLE', detail: 'The video service…' }, { cause });
    const busy = new VideoSdkError('VideoSDK answered 429', { status: 429, retryAfterMs: 2_000 });
    const refused = new VideoSdkError('VideoSDK answered 400', { status: 400 });

    expect(classifyFailure(wrap(busy))).toEqual({ retryable: true, retryAfterMs: 2_000 });
    expect(classifyFailure(wrap(refused))).toEqual({ retryable: false });
    expect(classifyFailure(wrap(new TypeError('fetch failed')))).toEqual({ retryable: true });
  });

  it('treats anything unrecognised as permanent', () => {
    expect(classifyFailure(new Error('bug'))).toEqual({ retryable: false });
    expect(classifyFailure('a string')).toEqual({ retryable: false });
    expect(classifyFailure(new DOMException('caller left', 'AbortError'))).toEqual({
      retryable: false,
    });
  });
});

describe('isRetryableStatus and parseRetryAfter', () => {
  it('retries 408, 429 and 5xx except 501', () => {
    expect([408, 429, 500, 502, 503, 504].every(isRetryableStatus)).toBe(true);
    expect([400, 401, 403, 404, 409, 422, 501].some(isRetryableStatus)).toBe(false);
  });

  it('reads delay seconds and HTTP dates, and ignores junk', () => {
    const now = Date.parse('2027-03-01T06:00:00Z');

    expect(parseRetryAfter('2', now)).toBe(2_000);
    expect(parseRetryAfter('Mon, 01 Mar 2027 06:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Mon, 01 Mar 2027 05:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter('-5', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });
});
