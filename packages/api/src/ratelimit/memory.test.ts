import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createRateLimiter, type RateLimitDecision } from './limiter.js';
import { InProcessCounters, NO_REDIS } from './memory.js';

// Mid-window, so a test's requests share one fixed window of 60 s.
const START = Date.parse('2027-03-01T06:00:10Z');

function limiter(limit = 3) {
  return createRateLimiter({
    config: { perCredential: { limit }, tokenFailuresPerIp: { limit: 2 } },
  });
}

const summary = (d: RateLimitDecision) => ({ allowed: d.allowed, remaining: d.remaining });

describe('the in-process limiter', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(START);
  });
  afterEach(() => vi.useRealTimers());

  it('counts in this process when no Redis is given', () => {
    expect(limiter().backend).toBe('in-process');
  });

  it('allows up to the limit, then refuses until the window ends', async () => {
    const l = limiter(3);
    const answers = [];
    for (let i = 0; i < 5; i++) answers.push(summary(await l.consume('perCredential', 'cred_a')));
    expect(answers).toEqual([
      { allowed: true, remaining: 2 },
      { allowed: true, remaining: 1 },
      { allowed: true, remaining: 0 },
      { allowed: false, remaining: 0 },
      { allowed: false, remaining: 0 },
    ]);
  });

  it('resets at the end of the fixed window and says when that is', async () => {
    const l = limiter(1);
    const first = await l.consume('perCredential', 'cred_a');
    expect(first.resetAtMs).toBe(Date.parse('2027-03-01T06:01:00Z'));
    expect((await l.consume('perCredential', 'cred_a')).allowed).toBe(false);

    vi.setSystemTime(Date.parse('2027-03-01T06:00:59.999Z'));
    expect((await l.consume('perCredential', 'cred_a')).allowed).toBe(false);
    vi.setSystemTime(Date.parse('2027-03-01T06:01:00Z'));
    const next = await l.consume('perCredential', 'cred_a');
    expect(summary(next)).toEqual({ allowed: true, remaining: 0 });
    expect(next.resetAtMs).toBe(Date.parse('2027-03-01T06:02:00Z'));
  });

  it('weighs expensive operations by their cost', async () => {
    const l = limiter(10);
    expect(summary(await l.consume('perCredential', 'cred_a', 5))).toEqual({
      allowed: true,
      remaining: 5,
    });
    expect(summary(await l.consume('perCredential', 'cred_a', 4))).toEqual({
      allowed: true,
      remaining: 1,
    });
    // A cost beyond what is left is refused, and (fixed window) still counted.
    expect(summary(await l.consume('perCredential', 'cred_a', 5))).toEqual({
      allowed: false,
      remaining: 0,
    });
    expect(summary(await l.consume('perCredential', 'cred_a', 1))).toEqual({
      allowed: false,
      remaining: 0,
    });
  });

  it('gives units back on refund', async () => {
    const l = limiter(2);
    await l.consume('tokenFailuresPerIp', '203.0.113.9');
    await l.consume('tokenFailuresPerIp', '203.0.113.9');
    const refunded = await l.refund('tokenFailuresPerIp', '203.0.113.9');
    expect(summary(refunded)).toEqual({ allowed: true, remaining: 1 });
    expect((await l.consume('tokenFailuresPerIp', '203.0.113.9')).allowed).toBe(true);
    expect((await l.consume('tokenFailuresPerIp', '203.0.113.9')).allowed).toBe(false);
  });

  it('keeps keys and policies apart', async () => {
    const l = limiter(1);
    expect((await l.consume('perCredential', 'cred_a')).allowed).toBe(true);
    expect((await l.consume('perCredential', 'cred_a')).allowed).toBe(false);
    expect((await l.consume('perCredential', 'cred_b')).allowed).toBe(true);
    expect((await l.consume('tokenFailuresPerIp', 'cred_a')).allowed).toBe(true);
  });

  it('lifts a block on reset', async () => {
    const l = limiter(1);
    await l.consume('perCredential', 'cred_a');
    expect((await l.consume('perCredential', 'cred_a')).allowed).toBe(false);
    await l.reset('perCredential', 'cred_a');
    expect(summary(await l.consume('perCredential', 'cred_a'))).toEqual({
      allowed: true,
      remaining: 0,
    });
  });

  it('reports each decision with its policy and state', async () => {
    const decision = await limiter(3).consume('perCredential', 'cred_a');
    expect(decision).toMatchObject({
      policy: 'perCredential',
      limit: 3,
      windowSeconds: 60,
      state: 'counted',
    });
  });
});

describe('InProcessCounters', () => {
  it('starts a missing key from zero and expires it a window after its first write', () => {
    const counters = new InProcessCounters();
    expect(counters.incrementBy('k', 2, 1_000, 0)).toBe(2);
    expect(counters.incrementBy('k', 3, 1_000, 500)).toBe(5);
    expect(counters.get('k', 999)).toBe(5);
    expect(counters.get('k', 1_000)).toBe(0);
    expect(counters.incrementBy('k', -1, 1_000, 1_000)).toBe(-1);
  });

  it('sweeps expired windows so idle clients do not pile up', () => {
    const counters = new InProcessCounters();
    for (let i = 0; i < 100; i++) counters.incrementBy(`client-${i}`, 1, 1_000, 0);
    expect(counters.size).toBe(100);
    counters.incrementBy('late', 1, 1_000, 5_000);
    expect(counters.size).toBe(1);
  });

  it('forgets only the windows of the identifier it is asked to', () => {
    const counters = new InProcessCounters();
    counters.incrementBy('p:cred_a:1', 1, 1_000, 0);
    counters.incrementBy('p:cred_a:2', 1, 1_000, 0);
    counters.incrementBy('p:cred_ab:1', 1, 1_000, 0);
    counters.deleteIdentifier('p:cred_a');
    expect(counters.get('p:cred_a:1', 0)).toBe(0);
    expect(counters.get('p:cred_ab:1', 0)).toBe(1);
  });
});

describe('NO_REDIS', () => {
  it('fails loudly if the library ever reaches for Redis', async () => {
    await expect(NO_REDIS.get('key')).rejects.toThrow(/no Redis/);
  });
});
