import { Webhook } from 'standardwebhooks';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { generateWebhookSecret } from '../../src/webhooks/signing.js';
import { startFakePartnerEndpoint, type FakePartnerEndpoint } from './partner-endpoint.js';

const BODY = '{"type":"booking.confirmed"}';

let secret: string;
let partner: FakePartnerEndpoint;

beforeEach(async () => {
  secret = generateWebhookSecret();
  partner = await startFakePartnerEndpoint({ secrets: [secret] });
});

afterEach(async () => {
  await partner.close();
});

/** A delivery signed by the library itself, so the fake is tested apart from our signer. */
function post(headers: Record<string, string> = signedBy(secret)) {
  return fetch(partner.url, { method: 'POST', headers, body: BODY, redirect: 'manual' });
}

function signedBy(key: string): Record<string, string> {
  const id = 'msg_fake_1';
  const at = new Date();
  return {
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': new Webhook(key).sign(id, at, BODY),
  };
}

describe('the fake partner endpoint', () => {
  it('accepts and records a delivery that verifies', async () => {
    const response = await post();

    expect(response.status).toBe(204);
    expect(partner.deliveries()).toEqual([
      expect.objectContaining({ id: 'msg_fake_1', body: BODY, verified: true, answer: 'ok' }),
    ]);
  });

  it('answers 401 to unsigned or wrongly signed requests, recorded as unverified', async () => {
    const unsigned = await post({});
    const stranger = await post(signedBy(generateWebhookSecret()));

    expect([unsigned.status, stranger.status]).toEqual([401, 401]);
    expect(partner.deliveries().map((d) => d.verified)).toEqual([false, false]);
    expect(partner.deliveries()[1]?.verifyError).toMatch(/No matching signature/);
  });

  it('plays scripted answers in order, then its standing answer', async () => {
    partner.answerNext(2, { status: 500 });
    partner.answerAlways({ status: 410 });

    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await post()).status);

    expect(statuses).toEqual([500, 500, 410]);
  });

  it('keeps a scripted answer for the next request that verifies', async () => {
    partner.answerNext(1, { status: 503 });

    const unsigned = await post({});
    const signed = await post();

    expect([unsigned.status, signed.status]).toEqual([401, 503]);
  });

  it('redirects elsewhere on itself, and verifies with the secrets it is given', async () => {
    const next = generateWebhookSecret();
    partner.answerNext(1, 'redirect');
    partner.useSecrets([next]);

    const redirected = await post(signedBy(next));
    const withOld = await post();

    expect(redirected.status).toBe(307);
    expect(redirected.headers.get('location')).toBe('/webhooks/moved');
    expect(withOld.status).toBe(401);
  });

  it('drops the connection or holds it open when told to', async () => {
    partner.answerNext(1, 'reset');
    partner.answerNext(1, 'hang');

    await expect(post()).rejects.toThrow();
    await expect(
      fetch(partner.url, {
        method: 'POST',
        headers: signedBy(secret),
        body: BODY,
        signal: AbortSignal.timeout(200),
      }),
    ).rejects.toThrow();
    expect(partner.deliveries().map((d) => d.answer)).toEqual(['reset', 'hang']);
  });
});
