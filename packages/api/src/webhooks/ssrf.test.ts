import { describe, expect, it } from 'vitest';
import { fakeDns } from '../../test/fakes/dns.js';
import {
  addressRefusal,
  checkWebhookUrl,
  checkWebhookUrlShape,
  createUrlGuard,
  MAX_WEBHOOK_URL_LENGTH,
  type UrlPolicy,
  type UrlRefusal,
} from './ssrf.js';

/** Lifts the scheme and port rules, so what refuses the URLs below is the address or name. */
const LENIENT: UrlPolicy = { allowInsecure: true, allowedPorts: 'any' };

const PUBLIC_V4 = '93.184.215.14';
const PUBLIC_V6 = '2606:4700:4700::1111';

function dns() {
  return fakeDns({
    'hooks.clinic.example': [PUBLIC_V4],
    'dual.clinic.example': ['1.1.1.1', '2606:4700:4700::1001'],
    'loopback.partner.example': ['127.0.0.1'],
    '127.0.0.1.nip.example': ['127.0.0.1'],
    'mixed.partner.example': [PUBLIC_V4, '10.0.0.7'],
    'v6-loopback.partner.example': [PUBLIC_V6, '::1'],
    'metadata.partner.example': ['169.254.169.254'],
    'ec2-v6-metadata.partner.example': ['fd00:ec2::254'],
    'mapped.partner.example': ['::ffff:192.168.0.1'],
    'cgnat.partner.example': ['100.64.12.1'],
    'empty.partner.example': [],
  });
}

/**
 * Addresses in every forbidden range and every spelling of them a URL allows. Each must be
 * refused for its address, under a policy that would otherwise let it through.
 */
const FORBIDDEN_ADDRESS_URLS = [
  'http://127.0.0.1/',
  'http://127.0.0.1./',
  'http://127.255.255.254:8080/',
  'http://2130706433/',
  'http://0x7f000001/',
  'http://017700000001/',
  'http://0x7f.1/',
  'http://127.1/',
  'http://①②⑦.0.0.1/',
  'http://0/',
  'http://0.0.0.0/',
  'http://[::1]/',
  'http://[0:0:0:0:0:0:0:1]/',
  'http://[::]/',
  'http://[::ffff:127.0.0.1]/',
  'http://[::ffff:7f00:1]/',
  'http://[::ffff:169.254.169.254]/',
  'http://[::127.0.0.1]/',
  'http://[64:ff9b::7f00:1]/',
  'http://[2002:7f00:1::]/',
  'http://10.0.0.1/',
  'http://10.1/',
  'http://172.16.5.4/',
  'http://172.31.255.255/',
  'http://192.168.1.1/',
  'http://169.254.169.254/latest/meta-data/',
  'http://[fd00:ec2::254]/latest/meta-data/',
  'http://100.64.0.1/',
  'http://100.100.100.200/',
  'http://224.0.0.1/',
  'http://239.255.255.250:1900/',
  'http://255.255.255.255/',
  'http://240.0.0.1/',
  'http://192.0.0.170/',
  'http://198.18.0.1/',
  'http://[fe80::1]/',
  'http://[fc00::1]/',
  'http://[fdff:ffff::1]/',
  'http://[ff02::1]/',
  'http://[2001:db8::1]/',
];

/** Names that mean "inside the network", however they are spelled. */
const FORBIDDEN_HOST_URLS = [
  'http://localhost/',
  'http://localhost./',
  'http://LOCALHOST/',
  'http://%6c%6fcalhost/',
  'http://api.localhost/',
  'http://metadata/',
  'http://metadata.google.internal/computeMetadata/v1/',
  'http://metadata.google.internal./',
  'http://printer.local/',
  'http://db.internal/',
  'http://intranet/',
  'http://router.home.arpa/',
];

/** Names whose DNS answers include a forbidden address (any one answer is enough). */
const FORBIDDEN_DNS_URLS = [
  'https://loopback.partner.example/',
  'https://127.0.0.1.nip.example/',
  'https://mixed.partner.example/',
  'https://v6-loopback.partner.example/',
  'https://metadata.partner.example/',
  'https://ec2-v6-metadata.partner.example/',
  'https://mapped.partner.example/',
  'https://cgnat.partner.example/',
];

const REFUSED_SHAPES: [string, UrlRefusal][] = [
  ['http://hooks.clinic.example/', 'scheme_not_allowed'],
  ['ftp://hooks.clinic.example/', 'scheme_not_allowed'],
  ['file:///etc/passwd', 'scheme_not_allowed'],
  ['gopher://hooks.clinic.example:70/', 'scheme_not_allowed'],
  ['https://user:secret@hooks.clinic.example/', 'credentials_in_url'],
  ['https://user@hooks.clinic.example/', 'credentials_in_url'],
  ['https://hooks.clinic.example@127.0.0.1/', 'credentials_in_url'],
  ['https://hooks.clinic.example:22/', 'port_not_allowed'],
  ['https://hooks.clinic.example:6379/', 'port_not_allowed'],
  ['https://hooks.clinic.example:80/', 'port_not_allowed'],
  ['not a url', 'invalid_url'],
  ['/webhooks', 'invalid_url'],
  ['https://', 'invalid_url'],
  [`https://hooks.clinic.example/${'a'.repeat(MAX_WEBHOOK_URL_LENGTH)}`, 'invalid_url'],
];

describe('checkWebhookUrl refuses', () => {
  const corpusSize =
    FORBIDDEN_ADDRESS_URLS.length +
    FORBIDDEN_HOST_URLS.length +
    FORBIDDEN_DNS_URLS.length +
    REFUSED_SHAPES.length;

  it(`a corpus of ${corpusSize} URLs`, () => {
    expect(corpusSize).toBeGreaterThanOrEqual(25);
  });

  it.each(FORBIDDEN_ADDRESS_URLS)('%s for its address, without asking DNS', async (url) => {
    const { resolve, asked } = dns();

    const check = await checkWebhookUrl(url, { policy: LENIENT, resolve });

    expect(check).toMatchObject({ ok: false, reason: 'address_not_allowed' });
    expect(asked).toEqual([]);
  });

  it.each(FORBIDDEN_HOST_URLS)('%s for its host name, without asking DNS', async (url) => {
    const { resolve, asked } = dns();

    const check = await checkWebhookUrl(url, { policy: LENIENT, resolve });

    expect(check).toMatchObject({ ok: false, reason: 'host_not_allowed' });
    expect(asked).toEqual([]);
  });

  it.each(FORBIDDEN_DNS_URLS)('%s for what its name resolves to', async (url) => {
    const { resolve, asked } = dns();

    const check = await checkWebhookUrl(url, { resolve });

    expect(check).toMatchObject({ ok: false, reason: 'address_not_allowed' });
    expect(asked).toEqual([new URL(url).hostname]);
  });

  it.each(REFUSED_SHAPES)('%s as %s', async (url, reason) => {
    const { resolve, asked } = dns();

    const check = await checkWebhookUrl(url, { resolve });

    expect(check).toMatchObject({ ok: false, reason });
    expect(asked).toEqual([]);
  });

  it('names that do not resolve, or resolve to nothing, as unresolvable', async () => {
    const { resolve } = dns();

    const missing = await checkWebhookUrl('https://gone.partner.example/', { resolve });
    const empty = await checkWebhookUrl('https://empty.partner.example/', { resolve });

    expect(missing).toMatchObject({ ok: false, reason: 'unresolvable' });
    expect(empty).toMatchObject({ ok: false, reason: 'unresolvable' });
  });

  it('with a detail that names the address but never echoes credentials', async () => {
    const { resolve } = dns();

    const viaDns = await checkWebhookUrl('https://mixed.partner.example/', { resolve });
    const withPassword = await checkWebhookUrl('https://u:hunter2@hooks.clinic.example/', {
      resolve,
    });

    expect(viaDns).toMatchObject({ detail: expect.stringContaining('10.0.0.7 (private)') });
    expect(JSON.stringify(withPassword)).not.toContain('hunter2');
  });
});

describe('checkWebhookUrl allows', () => {
  it('a public https host, with the addresses it checked', async () => {
    const { resolve, asked } = dns();

    const check = await checkWebhookUrl('https://hooks.clinic.example/tahoon?v=1', { resolve });

    expect(check).toMatchObject({ ok: true, addresses: [PUBLIC_V4] });
    expect(asked).toEqual(['hooks.clinic.example']);
  });

  it('port 8443, a trailing dot, and a dual-stack name', async () => {
    const { resolve, asked } = dns();

    const port = await checkWebhookUrl('https://hooks.clinic.example:8443/x', { resolve });
    const dotted = await checkWebhookUrl('https://hooks.clinic.example./x', { resolve });
    const dual = await checkWebhookUrl('https://dual.clinic.example/', { resolve });

    expect([port.ok, dotted.ok, dual.ok]).toEqual([true, true, true]);
    expect(asked).toEqual(['hooks.clinic.example', 'hooks.clinic.example', 'dual.clinic.example']);
  });

  it('public literal addresses without asking DNS', async () => {
    const { resolve, asked } = dns();

    const v4 = await checkWebhookUrl('https://8.8.8.8/hook', { resolve });
    const v6 = await checkWebhookUrl(`https://[${PUBLIC_V6}]/hook`, { resolve });
    const mapped = await checkWebhookUrl('https://[::ffff:8.8.4.4]/hook', { resolve });

    expect([v4.ok, v6.ok, mapped.ok]).toEqual([true, true, true]);
    expect(asked).toEqual([]);
  });

  it('http and other ports only when the policy says so', async () => {
    const { resolve } = dns();

    const strict = await checkWebhookUrl('http://hooks.clinic.example/', { resolve });
    const insecure = await checkWebhookUrl('http://hooks.clinic.example/', {
      policy: { allowInsecure: true },
      resolve,
    });
    const port = await checkWebhookUrl('https://hooks.clinic.example:9000/', {
      policy: { allowedPorts: [9000] },
      resolve,
    });

    expect(strict).toMatchObject({ ok: false, reason: 'scheme_not_allowed' });
    expect(insecure.ok).toBe(true);
    expect(port.ok).toBe(true);
  });

  it('loopback only under allowLoopback, which opens nothing else', async () => {
    const { resolve } = dns();
    const policy: UrlPolicy = { ...LENIENT, allowLoopback: true };
    const guard = createUrlGuard({ policy, resolve });

    const local = await Promise.all([
      guard('http://127.0.0.1:4321/webhooks'),
      guard('http://[::1]:4321/webhooks'),
      guard('https://loopback.partner.example/'),
    ]);
    const still = await Promise.all([
      guard('http://10.0.0.1/'),
      guard('http://169.254.169.254/'),
      guard('http://localhost/'),
      guard('https://mixed.partner.example/'),
    ]);

    expect(local.map((check) => check.ok)).toEqual([true, true, true]);
    expect(still.map((check) => check.ok)).toEqual([false, false, false, false]);
  });
});

describe('checkWebhookUrlShape', () => {
  it('judges literal addresses and names without DNS, and leaves resolution to later', () => {
    expect(checkWebhookUrlShape('https://hooks.clinic.example/')).toMatchObject({
      ok: true,
      hostname: 'hooks.clinic.example',
    });
    expect(checkWebhookUrlShape('https://127.1/')).toMatchObject({
      ok: false,
      reason: 'address_not_allowed',
    });
  });
});

describe('addressRefusal', () => {
  it('names the range that forbids an address', () => {
    expect(addressRefusal('169.254.169.254', {})?.detail).toBe('169.254.169.254 (linkLocal)');
    expect(addressRefusal('::ffff:a00:1', {})?.detail).toBe('::ffff:a00:1 = 10.0.0.1 (private)');
    expect(addressRefusal('fe80::1%eth0', {})?.reason).toBe('address_not_allowed');
  });

  it('refuses text that is not a canonical address rather than guessing', () => {
    expect(addressRefusal('127.1', {})?.reason).toBe('address_not_allowed');
    expect(addressRefusal('example.org', {})?.reason).toBe('address_not_allowed');
  });

  it('passes public unicast addresses', () => {
    expect(addressRefusal('8.8.8.8', {})).toBeNull();
    expect(addressRefusal(PUBLIC_V6, {})).toBeNull();
  });
});
