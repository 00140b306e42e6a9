import { describe, expect, it } from 'vitest';
import { rateLimitHeaders } from './headers.js';
import type { RateLimitDecision } from './limiter.js';

const NOW = Date.parse('2027-03-01T06:00:00Z');

function decision(overrides: Partial<RateLimitDecision>): RateLimitDecision {
  return {
    policy: 'perCredential',
    limit: 600,
    windowSeconds: 60,
    allowed: true,
    state: 'counted',
    remaining: 42,
    resetAtMs: NOW + 17_000,
    ...overrides,
  };
}

// One structured-field list member: a quoted id and integer parameters.
const ITEM = /^"[a-z-]+"(;[a-z]+=\d+)+$/;

describe('rateLimitHeaders', () => {
  it('states the policy and what is left, in the draft syntax', () => {
    const { allowed, headers } = rateLimitHeaders(decision({}), NOW);
    expect(allowed).toBe(true);
    expect(headers).toEqual({
      'ratelimit-policy': '"credential";q=600;w=60',
      ratelimit: '"credential";r=42;t=17',
    });
    expect(headers['ratelimit-policy']).toMatch(ITEM);
    expect(headers.ratelimit).toMatch(ITEM);
  });

  it('names the token failure policy by its own id', () => {
    const d = decision({ policy: 'tokenFailuresPerIp', limit: 10, remaining: 3 });
    const { headers } = rateLimitHeaders(d, NOW);
    expect(headers['ratelimit-policy']).toBe('"token-failures";q=10;w=60');
    expect(headers.ratelimit).toBe('"token-failures";r=3;t=17');
  });

  it('rounds the reset up, so a client never comes back early', () => {
    const { headers } = rateLimitHeaders(decision({ resetAtMs: NOW + 16_001 }), NOW);
    expect(headers.ratelimit).toBe('"credential";r=42;t=17');
  });

  it('adds a Retry-After equal to the reset when the request is refused', () => {
    const { allowed, headers } = rateLimitHeaders(decision({ allowed: false, remaining: 0 }), NOW);
    expect(allowed).toBe(false);
    expect(headers.ratelimit).toBe('"credential";r=0;t=17');
    expect(headers['retry-after']).toBe('17');
  });

  it('never asks for a Retry-After of zero', () => {
    const refused = decision({ allowed: false, remaining: 0, resetAtMs: NOW - 5 });
    const { headers } = rateLimitHeaders(refused, NOW);
    expect(headers.ratelimit).toBe('"credential";r=0;t=0');
    expect(headers['retry-after']).toBe('1');
  });

  it('omits Retry-After on an allowed request', () => {
    expect(rateLimitHeaders(decision({}), NOW).headers).not.toHaveProperty('retry-after');
  });

  it('keeps only the policy when the counters were unavailable and the policy failed open', () => {
    const open = decision({ state: 'unavailable', remaining: null, resetAtMs: null });
    const { allowed, headers } = rateLimitHeaders(open, NOW);
    expect(allowed).toBe(true);
    expect(headers).toEqual({ 'ratelimit-policy': '"credential";q=600;w=60' });
  });

  it('refuses with a short Retry-After when the counters are down and it fails closed', () => {
    const closed = decision({
      policy: 'tokenFailuresPerIp',
      limit: 10,
      state: 'unavailable',
      allowed: false,
      remaining: 0,
      resetAtMs: NOW + 5_000,
    });
    const { allowed, headers } = rateLimitHeaders(closed, NOW);
    expect(allowed).toBe(false);
    expect(headers.ratelimit).toBe('"token-failures";r=0;t=5');
    expect(headers['retry-after']).toBe('5');
  });
});
