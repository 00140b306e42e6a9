import { describe, expect, it } from 'vitest';
import { ZodError } from 'zod';
import { DEFAULT_RATE_LIMIT_CONFIG, isProxySpec, rateLimitConfig } from './config.js';

function problemPaths(run: () => unknown): string[] {
  try {
    run();
  } catch (error) {
    if (error instanceof ZodError) return error.issues.map((issue) => issue.path.join('.'));
    throw error;
  }
  throw new Error('expected the configuration to be refused');
}

describe('rateLimitConfig', () => {
  it('defaults to the limits of the security issue', () => {
    const config = rateLimitConfig();
    expect(config).toEqual(DEFAULT_RATE_LIMIT_CONFIG);
    expect(config.tokenFailuresPerIp).toEqual({ limit: 10, windowSeconds: 60, failMode: 'closed' });
    expect(config.perCredential.failMode).toBe('open');
    expect(config.costs['providers.slots']).toBe(5);
    expect(config.costs['providers.search:availability']).toBe(5);
    expect(config.timeoutMs).toBe(200);
  });

  it('lays partial overrides over the defaults, so a benchmark can raise one number', () => {
    const config = rateLimitConfig({
      perCredential: { limit: 100_000 },
      costs: { 'bookings.create': 2 },
      timeoutMs: 50,
    });
    expect(config.perCredential).toEqual({ limit: 100_000, windowSeconds: 60, failMode: 'open' });
    expect(config.costs).toEqual({ ...DEFAULT_RATE_LIMIT_CONFIG.costs, 'bookings.create': 2 });
    expect(config.timeoutMs).toBe(50);
    expect(config.tokenFailuresPerIp).toEqual(DEFAULT_RATE_LIMIT_CONFIG.tokenFailuresPerIp);
  });

  it('reports every bad setting at once', () => {
    const paths = problemPaths(() =>
      rateLimitConfig({
        perCredential: { limit: 0, windowSeconds: 0 },
        tokenFailuresPerIp: { failMode: 'maybe' as 'open' },
        timeoutMs: 60_000,
        trustedProxies: ['10.0.0.0/8', 'proxy.internal'],
      }),
    );
    expect(paths).toEqual(
      expect.arrayContaining([
        'perCredential.limit',
        'perCredential.windowSeconds',
        'tokenFailuresPerIp.failMode',
        'timeoutMs',
        'trustedProxies.1',
      ]),
    );
  });

  it('refuses unknown settings rather than ignoring a typo', () => {
    const input = { perCredentials: { limit: 5 } } as unknown as Parameters<
      typeof rateLimitConfig
    >[0];
    expect(() => rateLimitConfig(input)).toThrow(ZodError);
  });
});

describe('isProxySpec', () => {
  it.each(['10.0.0.0/8', '192.168.1.7', '::1', '2001:db8::/32', 'fd00::/8'])('takes %s', (spec) => {
    expect(isProxySpec(spec)).toBe(true);
  });

  it.each(['10.1', '10/8', '10.0.0.0/33', 'proxy.local', '0x0a000001', ''])(
    'refuses %j',
    (spec) => {
      expect(isProxySpec(spec)).toBe(false);
    },
  );
});
