import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import {
  generateWebhookSecret,
  isWebhookSecret,
  rotateSecret,
  signingSecrets,
  signWebhook,
  type SecretRotation,
} from './signing.js';

const BODY = '{"type":"booking.cancelled","timestamp":"2027-03-01T06:00:00.000Z","data":{}}';
const ID = 'evt_k3m9x2p7q4r8s5t6';

function nowS(): number {
  return Math.floor(Date.now() / 1000);
}

/** Verification as a partner does it, with the library nobody here wrote. */
function partnerVerify(secret: string, body: string, headers: Record<string, string>): unknown {
  return new Webhook(secret).verify(body, headers);
}

function decodedLength(secret: string): number {
  return atob(secret.slice('whsec_'.length)).length;
}

describe('generateWebhookSecret', () => {
  it('makes whsec_ secrets of 32 random bytes by default, never the same twice', () => {
    const secrets = Array.from({ length: 20 }, () => generateWebhookSecret());

    expect(secrets.every((secret) => secret.startsWith('whsec_'))).toBe(true);
    expect(secrets.map(decodedLength)).toEqual(Array(20).fill(32));
    expect(new Set(secrets).size).toBe(20);
    expect(secrets.every(isWebhookSecret)).toBe(true);
  });

  it('allows 24 to 64 bytes and refuses anything else', () => {
    expect(decodedLength(generateWebhookSecret(24))).toBe(24);
    expect(decodedLength(generateWebhookSecret(64))).toBe(64);
    expect(() => generateWebhookSecret(23)).toThrow(RangeError);
    expect(() => generateWebhookSecret(65)).toThrow(RangeError);
    expect(() => generateWebhookSecret(31.5)).toThrow(RangeError);
  });
});

describe('isWebhookSecret', () => {
  it('refuses secrets without the prefix, too short, or not base64', () => {
    const raw = generateWebhookSecret().slice('whsec_'.length);

    expect(isWebhookSecret(raw)).toBe(false);
    expect(isWebhookSecret('whsec_' + btoa('x'.repeat(23)))).toBe(false);
    expect(isWebhookSecret('whsec_' + btoa('x'.repeat(24)))).toBe(true);
    expect(isWebhookSecret('whsec_' + '!'.repeat(44))).toBe(false);
    expect(isWebhookSecret('whsec_')).toBe(false);
  });
});

describe('signWebhook, verified by the standardwebhooks library', () => {
  it('sends the three headers, and the partner verifies and reads the payload', () => {
    const secret = generateWebhookSecret();
    const timestampS = nowS();

    const headers = signWebhook({ id: ID, timestampS, body: BODY, secrets: [secret] });

    expect(headers['webhook-id']).toBe(ID);
    expect(headers['webhook-timestamp']).toBe(String(timestampS));
    expect(headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
    expect(partnerVerify(secret, BODY, { ...headers })).toEqual(JSON.parse(BODY));
  });

  it('signs {id}.{timestamp}.{body} with HMAC-SHA256, as the specification says', async () => {
    const secret = generateWebhookSecret();
    const timestampS = 1_800_000_000;
    const key = await crypto.subtle.importKey(
      'raw',
      Uint8Array.from(atob(secret.slice('whsec_'.length)), (c) => c.charCodeAt(0)),
      { name: 'HMAC', hash: 'SHA-256' },
      false,
      ['sign'],
    );
    const content = new TextEncoder().encode(`${ID}.${timestampS}.${BODY}`);
    const mac = new Uint8Array(await crypto.subtle.sign('HMAC', key, content));

    const headers = signWebhook({ id: ID, timestampS, body: BODY, secrets: [secret] });

    expect(headers['webhook-signature']).toBe('v1,' + btoa(String.fromCharCode(...mac)));
  });

  it('during a rotation, signs with both secrets so either one verifies', () => {
    const next = generateWebhookSecret();
    const old = generateWebhookSecret();
    const stranger = generateWebhookSecret();

    const headers = signWebhook({ id: ID, timestampS: nowS(), body: BODY, secrets: [next, old] });

    expect(headers['webhook-signature'].split(' ')).toHaveLength(2);
    expect(partnerVerify(next, BODY, { ...headers })).toEqual(JSON.parse(BODY));
    expect(partnerVerify(old, BODY, { ...headers })).toEqual(JSON.parse(BODY));
    expect(() => partnerVerify(stranger, BODY, { ...headers })).toThrow(WebhookVerificationError);
  });

  it('fails verification when the body, id or timestamp is changed in transit', () => {
    const secret = generateWebhookSecret();
    const timestampS = nowS();
    const headers = signWebhook({ id: ID, timestampS, body: BODY, secrets: [secret] });

    const tamperedBody = BODY.replace('cancelled', 'confirmed');
    const otherId = { ...headers, 'webhook-id': 'evt_other' };
    const otherTime = { ...headers, 'webhook-timestamp': String(timestampS - 1) };

    expect(() => partnerVerify(secret, tamperedBody, { ...headers })).toThrow(/No matching/);
    expect(() => partnerVerify(secret, BODY, otherId)).toThrow(/No matching/);
    expect(() => partnerVerify(secret, BODY, otherTime)).toThrow(/No matching/);
  });

  it('fails verification beyond the 5-minute tolerance, either way', () => {
    const secret = generateWebhookSecret();
    const sign = (timestampS: number) => ({
      ...signWebhook({ id: ID, timestampS, body: BODY, secrets: [secret] }),
    });

    expect(partnerVerify(secret, BODY, sign(nowS() - 4 * 60))).toEqual(JSON.parse(BODY));
    expect(() => partnerVerify(secret, BODY, sign(nowS() - 6 * 60))).toThrow(/too old/);
    expect(() => partnerVerify(secret, BODY, sign(nowS() + 6 * 60))).toThrow(/too new/);
  });

  it('refuses ids with dots or spaces, bad timestamps, and missing or malformed secrets', () => {
    const secret = generateWebhookSecret();
    const base = { id: ID, timestampS: nowS(), body: BODY, secrets: [secret] };

    expect(() => signWebhook({ ...base, id: 'evt.1' })).toThrow(RangeError);
    expect(() => signWebhook({ ...base, id: 'evt 1' })).toThrow(RangeError);
    expect(() => signWebhook({ ...base, id: '' })).toThrow(RangeError);
    expect(() => signWebhook({ ...base, timestampS: 1.5 })).toThrow(RangeError);
    expect(() => signWebhook({ ...base, secrets: [] })).toThrow(RangeError);
    expect(() => signWebhook({ ...base, secrets: ['not-a-secret'] })).toThrow(RangeError);
  });

  it('signs once per distinct secret', () => {
    const secret = generateWebhookSecret();

    const headers = signWebhook({
      id: ID,
      timestampS: nowS(),
      body: BODY,
      secrets: [secret, secret],
    });

    expect(headers['webhook-signature'].split(' ')).toHaveLength(1);
  });
});

describe('secret rotation', () => {
  const T0 = Date.parse('2027-03-01T06:00:00Z');
  const HOUR = 3_600_000;

  it('signs with the new and the old secret until the overlap ends, then the new only', () => {
    const first: SecretRotation = {
      current: generateWebhookSecret(),
      previous: null,
      previousExpiresAtMs: null,
    };

    const rotated = rotateSecret(first, T0, { overlapMs: 24 * HOUR });

    expect(signingSecrets(first, T0)).toEqual([first.current]);
    expect(signingSecrets(rotated, T0 + HOUR)).toEqual([rotated.current, first.current]);
    expect(signingSecrets(rotated, T0 + 24 * HOUR)).toEqual([rotated.current]);
    expect(rotated.current).not.toBe(first.current);
    expect(isWebhookSecret(rotated.current)).toBe(true);
  });

  it('keeps at most two secrets when rotated again during an overlap', () => {
    const first: SecretRotation = {
      current: generateWebhookSecret(),
      previous: null,
      previousExpiresAtMs: null,
    };

    const second = rotateSecret(first, T0);
    const third = rotateSecret(second, T0 + HOUR);

    expect(signingSecrets(third, T0 + 2 * HOUR)).toEqual([third.current, second.current]);
    expect(signingSecrets(third, T0 + 2 * HOUR)).not.toContain(first.current);
  });

  it('refuses a supplied next secret that is not a whsec_ secret', () => {
    const first: SecretRotation = {
      current: generateWebhookSecret(),
      previous: null,
      previousExpiresAtMs: null,
    };

    expect(() => rotateSecret(first, T0, { next: 'whsec_short' })).toThrow(RangeError);
  });
});
