import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { fakeDns } from '../../test/fakes/dns.js';
import {
  startFakePartnerEndpoint,
  type FakePartnerEndpoint,
} from '../../test/fakes/partner-endpoint.js';
import {
  deliverWebhook,
  judgeResponse,
  parseRetryAfter,
  WEBHOOK_USER_AGENT,
  type DeliveryInput,
  type FetchLike,
} from './delivery.js';
import { serializeEventPayload, type WebhookEvent } from './events.js';
import { generateWebhookSecret } from './signing.js';
import { createUrlGuard, type UrlPolicy } from './ssrf.js';

/** The fake partner listens on loopback over http; production allows neither. */
const LOCAL_TEST: UrlPolicy = { allowInsecure: true, allowLoopback: true, allowedPorts: 'any' };

const EVENT: WebhookEvent = {
  id: 'evt_k3m9x2p7q4r8s5t6',
  type: 'booking.cancelled',
  occurredAtMs: Date.parse('2027-03-01T06:00:00Z'),
  bookingId: 'bkg_k3m9x2p7q4r8s5t6',
  patientId: 'pat_a2b3c4d5e6f7g8h9',
  providerId: 'prv_sjnpfzd39nd2qv6w',
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

function attempt(overrides: Partial<DeliveryInput> = {}) {
  return deliverWebhook({
    url: partner.url,
    secrets: [secret],
    event: EVENT,
    timeoutMs: 5_000,
    fetch: globalThis.fetch,
    guard: createUrlGuard({ policy: LOCAL_TEST, resolve: fakeDns({}).resolve }),
    ...overrides,
  });
}

/** A port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('deliverWebhook', () => {
  it('posts the thin payload, signed, and the partner verifies it', async () => {
    const result = await attempt();

    expect(result).toMatchObject({ ok: true, status: 204, retryable: false, gone: false });
    expect(result.durationMs).toBeGreaterThanOrEqual(0);
    const [delivery, ...others] = partner.deliveries();
    expect(others).toEqual([]);
    expect(delivery).toMatchObject({
      method: 'POST',
      path: '/webhooks',
      id: EVENT.id,
      body: serializeEventPayload(EVENT),
      verified: true,
    });
    expect(delivery?.headers['content-type']).toBe('application/json');
    expect(delivery?.headers['user-agent']).toBe(WEBHOOK_USER_AGENT);
    expect(Number(delivery?.timestamp)).toBeCloseTo(Date.now() / 1000, -2);
  });

  it('during a rotation, verifies for a partner holding either secret', async () => {
    const next = generateWebhookSecret();

    partner.useSecrets([secret]);
    const withOld = await attempt({ secrets: [next, secret] });
    partner.useSecrets([next]);
    const withNew = await attempt({ secrets: [next, secret] });

    expect([withOld.ok, withNew.ok]).toEqual([true, true]);
    expect(partner.deliveries().map((d) => d.verified)).toEqual([true, true]);
    expect(partner.deliveries()[0]?.signature?.split(' ')).toHaveLength(2);
  });

  it('keeps the webhook-id and body across retries of one event', async () => {
    partner.answerNext(2, { status: 500 });

    const results = [await attempt(), await attempt(), await attempt()];

    expect(results.map((r) => [r.ok, r.status, r.retryable])).toEqual([
      [false, 500, true],
      [false, 500, true],
      [true, 204, false],
    ]);
    const deliveries = partner.deliveries();
    expect(new Set(deliveries.map((d) => d.id))).toEqual(new Set([EVENT.id]));
    expect(new Set(deliveries.map((d) => d.body)).size).toBe(1);
    expect(deliveries.every((d) => d.verified)).toBe(true);
  });

  it('reports 410 as gone, not to be retried', async () => {
    partner.answerAlways({ status: 410 });

    const result = await attempt();

    expect(result).toMatchObject({ ok: false, status: 410, gone: true, retryable: false });
    expect(result.error).toBe('http_status');
  });

  it.each([408, 429, 500, 502, 503, 504])('retries after %i', async (status) => {
    partner.answerNext(1, { status });

    const result = await attempt();

    expect(result).toMatchObject({ ok: false, status, retryable: true, gone: false });
  });

  it.each([400, 401, 403, 404, 413, 422])('records %i but does not retry it', async (status) => {
    partner.answerNext(1, { status });

    const result = await attempt();

    expect(result).toMatchObject({ ok: false, status, retryable: false, gone: false });
    expect(result.error).toBe('http_status');
  });

  it("passes on the partner's Retry-After", async () => {
    partner.answerNext(1, { status: 429, retryAfterS: 120 });

    const result = await attempt();

    expect(result).toMatchObject({ retryable: true, retryAfterMs: 120_000 });
  });

  it('does not follow a redirect and counts it as a failed attempt', async () => {
    partner.answerNext(1, 'redirect');

    const result = await attempt();

    expect(result).toMatchObject({ ok: false, status: 307, error: 'redirect', retryable: false });
    expect(partner.deliveries().map((d) => d.path)).toEqual(['/webhooks']);
  });

  it('gives up on an endpoint that never answers, within the time allowed', async () => {
    partner.answerNext(1, 'hang');

    const result = await attempt({ timeoutMs: 300 });

    expect(result).toMatchObject({ ok: false, error: 'timeout', retryable: true, gone: false });
    expect(result.status).toBeUndefined();
  });

  it('reports a dropped connection as a retryable network failure', async () => {
    partner.answerNext(1, 'reset');

    const result = await attempt();

    expect(result).toMatchObject({ ok: false, error: 'network', retryable: true });
    expect(partner.deliveries()).toHaveLength(1);
  });

  it('reports a refused connection as a retryable network failure', async () => {
    const port = await closedPort();

    const result = await attempt({ url: `http://127.0.0.1:${port}/webhooks` });

    expect(result).toMatchObject({ ok: false, error: 'network', retryable: true });
  });

  it('checks the URL again at delivery and sends nothing to a forbidden one', async () => {
    const fetch = vi.fn<FetchLike>(globalThis.fetch);
    const strict = createUrlGuard({ resolve: fakeDns({}).resolve });

    const metadata = await attempt({ url: 'http://169.254.169.254/latest/', fetch });
    const loopback = await attempt({ url: partner.url, fetch, guard: strict });

    expect(metadata).toMatchObject({ ok: false, error: 'url_refused', retryable: false });
    expect(loopback).toMatchObject({ ok: false, error: 'url_refused', retryable: false });
    expect(fetch).not.toHaveBeenCalled();
    expect(partner.deliveries()).toEqual([]);
  });

  it('retries later when the host name does not resolve', async () => {
    const fetch = vi.fn<FetchLike>(globalThis.fetch);

    const result = await attempt({ url: 'https://gone.partner.example/hook', fetch });

    expect(result).toMatchObject({ ok: false, error: 'unresolvable', retryable: true });
    expect(fetch).not.toHaveBeenCalled();
  });

  it('bounds a guard that never finishes by the same deadline', async () => {
    const fetch = vi.fn<FetchLike>(globalThis.fetch);
    const stuck = () => new Promise<never>(() => undefined);

    const result = await attempt({ guard: stuck, fetch, timeoutMs: 100 });

    expect(result).toMatchObject({ ok: false, error: 'timeout', retryable: true });
    expect(fetch).not.toHaveBeenCalled();
  });

  it('signs with the attempt time, so a slow clock is refused by the partner', async () => {
    const tenMinutesAgo = () => Date.now() - 10 * 60 * 1000;

    const result = await attempt({ now: tenMinutesAgo });

    expect(result).toMatchObject({ ok: false, status: 401, retryable: false });
    expect(partner.deliveries()[0]).toMatchObject({ verified: false });
    expect(partner.deliveries()[0]?.verifyError).toMatch(/too old/);
  });

  it('throws, and sends nothing, for a malformed event or secret', async () => {
    const badEvent = { ...EVENT, patientId: 'noura@mail.example' };

    await expect(attempt({ event: badEvent })).rejects.toThrow(RangeError);
    await expect(attempt({ secrets: [] })).rejects.toThrow(RangeError);
    expect(partner.deliveries()).toEqual([]);
  });
});

describe('judgeResponse', () => {
  it('treats an opaque manual redirect (status 0) as a redirect', () => {
    const opaque = { status: 0, type: 'opaqueredirect', headers: new Headers() } as Response;

    expect(judgeResponse(opaque)).toMatchObject({ ok: false, error: 'redirect', retryable: false });
  });
});

describe('parseRetryAfter', () => {
  const NOW = Date.parse('2027-03-01T06:00:00Z');

  it('reads seconds and HTTP dates, and ignores anything else', () => {
    expect(parseRetryAfter('30', NOW)).toBe(30_000);
    expect(parseRetryAfter('Mon, 01 Mar 2027 06:02:00 GMT', NOW)).toBe(120_000);
    expect(parseRetryAfter('Mon, 01 Mar 2027 05:00:00 GMT', NOW)).toBe(0);
    expect(parseRetryAfter('soon', NOW)).toBeUndefined();
    expect(parseRetryAfter(null, NOW)).toBeUndefined();
  });
});
