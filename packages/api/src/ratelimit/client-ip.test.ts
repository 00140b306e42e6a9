import { describe, expect, it } from 'vitest';
import { clientIp, ipRateLimitKey, parseAddress } from './client-ip.js';

const PROXIES = ['10.0.0.0/8', '2001:db8:ffff::/48'];

function request(...forwardedFor: string[]): Request {
  const headers = new Headers();
  for (const value of forwardedFor) headers.append('x-forwarded-for', value);
  return new Request('http://gateway.test/v1/oauth/token', { headers });
}

const ip = (socketAddress: string | undefined, ...forwardedFor: string[]) =>
  clientIp(request(...forwardedFor), { socketAddress, trustedProxies: PROXIES });

describe('clientIp', () => {
  it('takes the socket address and ignores X-Forwarded-For from an untrusted peer', () => {
    expect(ip('198.51.100.7', '203.0.113.9')).toBe('198.51.100.7');
  });

  it('believes a trusted proxy about the address it saw', () => {
    expect(ip('10.0.0.2', '203.0.113.9')).toBe('203.0.113.9');
  });

  it('takes the right-most address that is not a trusted proxy', () => {
    expect(ip('10.0.0.2', '198.51.100.1, 203.0.113.9, 10.0.0.3')).toBe('203.0.113.9');
  });

  it('ignores addresses a client forged to the left of what the proxies wrote', () => {
    expect(ip('10.0.0.2', '10.9.9.9, 127.0.0.1, 203.0.113.9')).toBe('203.0.113.9');
  });

  it('reads several X-Forwarded-For fields as one list', () => {
    expect(ip('10.0.0.2', '198.51.100.1', '203.0.113.9, 10.0.0.3')).toBe('203.0.113.9');
  });

  it('takes the left-most address when every hop is a trusted proxy', () => {
    expect(ip('10.0.0.2', '10.1.1.1, 10.0.0.3')).toBe('10.1.1.1');
  });

  it('falls back to the proxy itself when it forwarded nothing', () => {
    expect(ip('10.0.0.2')).toBe('10.0.0.2');
  });

  it('stops at a malformed entry instead of trusting what lies beyond it', () => {
    expect(ip('10.0.0.2', '203.0.113.9, not-an-ip, 10.0.0.3')).toBe('10.0.0.3');
  });

  it('reads IPv4-mapped, bracketed and ported addresses as the client they name', () => {
    expect(ip('::ffff:10.0.0.2', '[2001:db8::7]:4711')).toBe('2001:db8::7');
    expect(ip('::ffff:198.51.100.7')).toBe('198.51.100.7');
    expect(ip('10.0.0.2', '203.0.113.9:52000')).toBe('203.0.113.9');
  });

  it('matches IPv6 proxies by their range', () => {
    expect(ip('2001:db8:ffff:1::1', '2001:db8:1::5')).toBe('2001:db8:1::5');
    expect(ip('2001:db8:fffe::1', '2001:db8:1::5')).toBe('2001:db8:fffe::1');
  });

  it('trusts no forwarding header when no proxies are configured', () => {
    const r = request('203.0.113.9');
    expect(clientIp(r, { socketAddress: '10.0.0.2', trustedProxies: [] })).toBe('10.0.0.2');
  });

  it('returns null without a readable socket address', () => {
    expect(ip(undefined, '203.0.113.9')).toBeNull();
    expect(ip('garbage', '203.0.113.9')).toBeNull();
  });
});

describe('parseAddress', () => {
  it.each(['127.1', '0x7f000001', '2130706433', '1.2.3.4.5', ''])(
    'refuses the lenient form %j',
    (t) => {
      expect(parseAddress(t)).toBeNull();
    },
  );

  it('drops an IPv6 zone', () => {
    expect(parseAddress('fe80::1%eth0')?.toString()).toBe('fe80::1');
  });
});

describe('ipRateLimitKey', () => {
  it('counts an IPv4 client by its address', () => {
    expect(ipRateLimitKey('203.0.113.9')).toBe('203.0.113.9');
    expect(ipRateLimitKey('::ffff:203.0.113.9')).toBe('203.0.113.9');
  });

  it('counts an IPv6 client by its /64, so rotating within it does not help', () => {
    expect(ipRateLimitKey('2001:db8:1:2:3:4:5:6')).toBe('2001:db8:1:2::/64');
    expect(ipRateLimitKey('2001:db8:1:2::ffff')).toBe('2001:db8:1:2::/64');
    expect(ipRateLimitKey('2001:db8:1:3::1')).toBe('2001:db8:1:3::/64');
  });

  it('counts unknown clients together rather than letting them escape', () => {
    expect(ipRateLimitKey(null)).toBe('unknown');
    expect(ipRateLimitKey('nonsense')).toBe('unknown');
  });
});
