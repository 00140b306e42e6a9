import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fakeDns } from '../../test/fakes/dns.js';
import {
  startFakePartnerEndpoint,
  type FakePartnerEndpoint,
} from '../../test/fakes/partner-endpoint.js';
import { deliverWebhook } from './delivery.js';
import type { WebhookEvent } from './events.js';
import { createPinnedFetch } from './pinned-fetch.js';
import { generateWebhookSecret } from './signing.js';
import { createUrlGuard, UrlRefusedError, type Resolver, type UrlPolicy } from './ssrf.js';

/** http to any port, but loopback only where a test says so. */
const INSECURE: UrlPolicy = { allowInsecure: true, allowedPorts: 'any' };
const LOCAL_TEST: UrlPolicy = { ...INSECURE, allowLoopback: true };

const PUBLIC_V4 = '93.184.215.14';

const EVENT: WebhookEvent = {
  id: 'evt_k3m9x2p7q4r8s5t6',
  type: 'booking.confirmed',
  occurredAtMs: Date.parse('2027-03-01T06:00:00Z'),
  bookingId: 'bkg_k3m9x2p7q4r8s5t6',
};

let secret: string;
let partner: FakePartnerEndpoint;

beforeEach(async () => {
  secret = generateWebhookSecret();
  partner = await startFakePartnerEndpoint({ secrets: [secret] });
});

afterEach(async () => {
  await partner.close();
});

function deliverVia(url: string, policy: UrlPolicy, resolve: Resolver, timeoutMs = 5_000) {
  return deliverWebhook({
    url,
    secrets: [secret],
    event: EVENT,
    timeoutMs,
    fetch: createPinnedFetch({ policy, resolve }),
    guard: createUrlGuard({ policy, resolve }),
  });
}

describe('createPinnedFetch', () => {
  it('connects to the address it checked, keeping the host name in the request', async () => {
    const dns = fakeDns({ 'hooks.partner.example': ['127.0.0.1'] });
    const url = `http://hooks.partner.example:${partner.port}/webhooks`;

    const result = await deliverVia(url, LOCAL_TEST, dns.resolve);

    expect(result).toMatchObject({ ok: true, status: 204 });
    expect(partner.deliveries()[0]?.headers.host).toBe(`hooks.partner.example:${partner.port}`);
    expect(partner.deliveries()[0]?.verified).toBe(true);
    expect(dns.asked).toEqual(['hooks.partner.example', 'hooks.partner.example']);
  });

  it('refuses a name that rebinds to loopback between the check and the connection', async () => {
    const dns = fakeDns({ 'rebind.partner.example': [[PUBLIC_V4], ['127.0.0.1']] });
    const url = `http://rebind.partner.example:${partner.port}/webhooks`;

    const result = await deliverVia(url, INSECURE, dns.resolve);

    expect(result).toMatchObject({ ok: false, error: 'url_refused', retryable: false });
    expect(result.detail).toContain('127.0.0.1 (loopback)');
    expect(dns.asked).toHaveLength(2);
    expect(partner.deliveries()).toEqual([]);
  });

  it('refuses when any answer is forbidden, even if another is allowed', async () => {
    const dns = fakeDns({ 'mixed.partner.example': [[PUBLIC_V4], ['127.0.0.1', '10.0.0.8']] });
    const url = `http://mixed.partner.example:${partner.port}/webhooks`;

    const result = await deliverVia(url, LOCAL_TEST, dns.resolve);

    expect(result).toMatchObject({ ok: false, error: 'url_refused' });
    expect(partner.deliveries()).toEqual([]);
  });

  it('refuses literal forbidden addresses before any connection', async () => {
    const dns = fakeDns({});
    const fetch = createPinnedFetch({ policy: INSECURE, resolve: dns.resolve });

    await expect(fetch(partner.url, { method: 'POST', body: '{}' })).rejects.toThrow(
      UrlRefusedError,
    );
    await expect(fetch('http://[::ffff:a9fe:a9fe]/', { method: 'POST' })).rejects.toThrow(
      /169\.254\.169\.254/,
    );
    expect(partner.deliveries()).toEqual([]);
  });

  it('reports a name that stops resolving as unresolvable, to be retried', async () => {
    const dns = fakeDns({ 'flaky.partner.example': [[PUBLIC_V4], []] });
    const url = `http://flaky.partner.example:${partner.port}/webhooks`;

    const result = await deliverVia(url, INSECURE, dns.resolve);

    expect(result).toMatchObject({ ok: false, error: 'unresolvable', retryable: true });
  });

  it('does not follow redirects', async () => {
    partner.answerNext(1, 'redirect');

    const result = await deliverVia(partner.url, LOCAL_TEST, fakeDns({}).resolve);

    expect(result).toMatchObject({ ok: false, status: 307, error: 'redirect' });
    expect(partner.deliveries()).toHaveLength(1);
  });

  it('passes on status and headers, and honours the deadline and dropped connections', async () => {
    partner.answerNext(1, { status: 503, retryAfterS: 7 });
    partner.answerNext(1, 'hang');
    partner.answerNext(1, 'reset');
    const resolve = fakeDns({}).resolve;

    const busy = await deliverVia(partner.url, LOCAL_TEST, resolve);
    const hung = await deliverVia(partner.url, LOCAL_TEST, resolve, 300);
    const reset = await deliverVia(partner.url, LOCAL_TEST, resolve);

    expect(busy).toMatchObject({ status: 503, retryable: true, retryAfterMs: 7_000 });
    expect(hung).toMatchObject({ error: 'timeout', retryable: true });
    expect(reset).toMatchObject({ error: 'network', retryable: true });
  });

  it('sends string bodies only', async () => {
    const fetch = createPinnedFetch({ policy: LOCAL_TEST, resolve: fakeDns({}).resolve });

    await expect(fetch(partner.url, { method: 'POST', body: new Uint8Array(1) })).rejects.toThrow(
      TypeError,
    );
    expect(partner.deliveries()).toEqual([]);
  });
});
