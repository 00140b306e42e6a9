import { exportPKCS8, generateKeyPair } from 'jose';
import type { CryptoKey } from 'jose';
import pino from 'pino';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { startFakeFcm } from '../../../test/fakes/fcm-server.js';
import type { FakeFcm, FakeFcmOptions, FcmFailureMode } from '../../../test/fakes/fcm-server.js';
import { createPolicy } from '../../resilience/policies.js';
import type { PolicyOptions } from '../../resilience/policies.js';
import { createFcmPush, fcmFailure } from './fcm.js';
import type { FcmPushOptions } from './fcm.js';
import { FCM_SCOPE } from './google-token.js';
import type { ServiceAccount } from './google-token.js';
import { bookingNotification } from './messages.js';
import type { PushMessage, PushResult } from './types.js';

const PROJECT = 'tahoon-test';
const CLIENT_EMAIL = 'push-sender@tahoon-test.iam.gserviceaccount.com';
const BOOKING_ID = 'bkg_k3m9x2p7q4r8s5t6';
const DEVICE = 'dXNlci1kZXZpY2UtdG9rZW4:APA91bFakeRegistrationTokenForTests';

let keys: { publicKey: CryptoKey; privateKeyPem: string };

beforeAll(async () => {
  const pair = await generateKeyPair('RS256', { extractable: true });
  keys = { publicKey: pair.publicKey, privateKeyPem: await exportPKCS8(pair.privateKey) };
});

/** A clock the adapter and the fake share, so token expiry can be tested without waiting. */
function testClock() {
  let nowMs = Date.parse('2027-03-01T06:00:00Z');
  return { now: () => nowMs, advance: (ms: number) => void (nowMs += ms) };
}

const fakes: FakeFcm[] = [];
afterEach(async () => {
  await Promise.all(fakes.splice(0).map((fake) => fake.close()));
});

async function setup(
  fakeOptions: Partial<FakeFcmOptions> = {},
  privateKeyPem = keys.privateKeyPem,
) {
  const clock = testClock();
  const fake = await startFakeFcm({
    projectId: PROJECT,
    clientEmail: CLIENT_EMAIL,
    publicKey: keys.publicKey,
    now: clock.now,
    ...fakeOptions,
  });
  fakes.push(fake);
  const serviceAccount: ServiceAccount = {
    project_id: PROJECT,
    client_email: CLIENT_EMAIL,
    private_key: privateKeyPem,
    private_key_id: 'test-key-1',
    token_uri: fake.tokenUri,
  };
  const push = (options: Partial<FcmPushOptions> = {}) =>
    createFcmPush({ serviceAccount, apiBase: fake.url, now: clock.now, ...options });
  return { fake, clock, push, serviceAccount };
}

function confirmed(deviceToken = DEVICE): PushMessage {
  return {
    deviceToken,
    notification: bookingNotification({ type: 'booking.confirmed', bookingId: BOOKING_ID }),
  };
}

function silentLogger() {
  const lines: Record<string, unknown>[] = [];
  const logger = pino(
    { level: 'debug' },
    { write: (line: string) => lines.push(JSON.parse(line)) },
  );
  return { logger, lines };
}

/** Fast retries for tests; the breaker stays out of the way unless a test sets it. */
const FAST_POLICY: Partial<PolicyOptions> = {
  attemptTimeoutMs: 2_000,
  maxRetries: 2,
  baseDelayMs: 5,
  maxDelayMs: 20,
  maxRetryAfterMs: 5_000,
  breaker: { kind: 'consecutive', failures: 100, halfOpenAfterMs: 1_000 },
  bulkhead: { maxConcurrent: 8, maxQueued: 8 },
};

describe('createFcmPush', () => {
  it('sends a booking notification as FCM v1 expects and returns its message name', async () => {
    const { fake, push } = await setup();

    const result = await push().send(confirmed());

    expect(result).toEqual({
      status: 'sent',
      messageId: expect.stringMatching(`^projects/${PROJECT}/messages/`),
    });
    expect(fake.messages()).toHaveLength(1);
    expect(fake.messages()[0]?.message).toEqual({
      token: DEVICE,
      notification: { title: 'Your session is confirmed', body: 'Open the app for details.' },
      data: { type: 'booking.confirmed', bookingId: BOOKING_ID },
    });
    expect(fake.sendRequests()[0]?.path).toBe(`/v1/projects/${PROJECT}/messages:send`);
  });

  it('mints its access token with a signed assertion Google would accept', async () => {
    const { fake, clock, push } = await setup();

    await push().send(confirmed());

    const [tokenRequest] = fake.tokenRequests();
    const form = new URLSearchParams(tokenRequest?.body);
    expect(form.get('grant_type')).toBe('urn:ietf:params:oauth:grant-type:jwt-bearer');
    // The fake verified the RS256 signature with the account's public key to get these claims.
    const claims = tokenRequest?.assertion;
    expect(claims).toMatchObject({ iss: CLIENT_EMAIL, aud: fake.tokenUri, scope: FCM_SCOPE });
    expect(claims?.iat).toBe(Math.floor(clock.now() / 1000));
    expect((claims?.exp ?? 0) - (claims?.iat ?? 0)).toBeLessThanOrEqual(3600);
    expect(fake.sendRequests()[0]?.accessToken).toMatch(/^ya29\.fake-/);
  });

  it('mints the token once and reuses it across sends', async () => {
    const { fake, push } = await setup();
    const sender = push();

    for (let i = 0; i < 3; i++) expect((await sender.send(confirmed())).status).toBe('sent');

    expect(fake.tokenRequests()).toHaveLength(1);
    const used = new Set(fake.sendRequests().map((request) => request.accessToken));
    expect(used.size).toBe(1);
  });

  it('refreshes the token shortly before it expires, not sooner', async () => {
    const { fake, clock, push } = await setup({ tokenLifetimeS: 3600 });
    const sender = push();

    await sender.send(confirmed());
    clock.advance(50 * 60_000);
    await sender.send(confirmed());
    expect(fake.tokenRequests()).toHaveLength(1);

    clock.advance(6 * 60_000);
    await sender.send(confirmed());

    expect(fake.tokenRequests()).toHaveLength(2);
    const [first, , third] = fake.sendRequests().map((request) => request.accessToken);
    expect(third).not.toBe(first);
  });

  it('mints a new token after the old one expired', async () => {
    const { fake, clock, push } = await setup({ tokenLifetimeS: 600 });
    const sender = push();

    await sender.send(confirmed());
    clock.advance(601_000);
    const result = await sender.send(confirmed());

    expect(result.status).toBe('sent');
    expect(fake.tokenRequests()).toHaveLength(2);
    expect(fake.sendRequests()).toHaveLength(2);
  });

  it('shares one token request among concurrent sends', async () => {
    const { fake, push } = await setup();
    const sender = push();

    const results = await Promise.all(Array.from({ length: 8 }, () => sender.send(confirmed())));

    expect(results.every((result) => result.status === 'sent')).toBe(true);
    expect(fake.tokenRequests()).toHaveLength(1);
    expect(fake.messages()).toHaveLength(8);
  });

  it('does not cache a failed token request: the next send tries again', async () => {
    const { fake, push } = await setup();
    const sender = push();
    fake.failTokenNext(1, '503');

    const first = await sender.send(confirmed());
    const second = await sender.send(confirmed());

    expect(first).toMatchObject({ status: 'failed', code: 'TOKEN_UNAVAILABLE', retryable: true });
    expect(second.status).toBe('sent');
    expect(fake.tokenRequests()).toHaveLength(2);
    expect(fake.sendRequests()).toHaveLength(1);
  });

  it('fails for good when the token endpoint refuses the assertion, sending nothing', async () => {
    const stranger = await generateKeyPair('RS256', { extractable: true });
    const { fake, push } = await setup({}, await exportPKCS8(stranger.privateKey));

    const result = await push().send(confirmed());

    expect(result).toMatchObject({ status: 'failed', code: 'TOKEN_REJECTED', retryable: false });
    expect(fake.tokenRequests()[0]?.assertion).toBeUndefined();
    expect(fake.sendRequests()).toHaveLength(0);
  });

  it('replaces a revoked token once and sends again', async () => {
    const { fake, push } = await setup();
    const sender = push();
    await sender.send(confirmed());
    fake.revokeTokens();

    const result = await sender.send(confirmed());

    expect(result.status).toBe('sent');
    expect(fake.tokenRequests()).toHaveLength(2);
    expect(fake.sendRequests()).toHaveLength(3);
  });

  it('gives up on a 401 that a fresh token does not cure', async () => {
    const { fake, push } = await setup();
    fake.failNext(2, 'unauthenticated');

    const result = await push().send(confirmed());

    expect(result).toMatchObject({ status: 'failed', code: 'UNAUTHENTICATED', retryable: false });
    expect(fake.sendRequests()).toHaveLength(2);
    expect(fake.messages()).toHaveLength(0);
  });

  it('tells the caller to remove a device token FCM no longer knows', async () => {
    const { fake, push } = await setup();
    fake.unregister('stale-device-token');

    const result = await push().send(confirmed('stale-device-token'));

    expect(result).toEqual({
      status: 'remove-token',
      code: 'UNREGISTERED',
      reason: 'the device token is no longer registered',
    });
    expect(fake.messages()).toHaveLength(0);
  });

  it('refuses a blank device token without calling FCM', async () => {
    const { fake, push } = await setup();

    const result = await push().send(confirmed(''));

    expect(result).toMatchObject({ status: 'failed', code: 'INVALID_ARGUMENT', retryable: false });
    expect(fake.requests()).toHaveLength(0);
  });

  it('logs a failed delivery with its code, never the device token', async () => {
    const { fake, push } = await setup();
    const { logger, lines } = silentLogger();
    fake.failNext(1, 'sender-id-mismatch');

    await push({ logger }).send(confirmed());

    expect(lines).toEqual([
      expect.objectContaining({
        msg: 'push not delivered',
        code: 'SENDER_ID_MISMATCH',
        retryable: false,
      }),
    ]);
    expect(JSON.stringify(lines)).not.toContain(DEVICE);
  });
});

/** Each way FCM can fail one request, and the result a single attempt gives for it. */
const SINGLE_ATTEMPT: [
  FcmFailureMode,
  Partial<Extract<PushResult, { status: 'failed' }>> | 'remove-token',
][] = [
  ['unregistered', 'remove-token'],
  ['429', { code: 'QUOTA_EXCEEDED', retryable: true, retryAfterMs: 1_000 }],
  ['503', { code: 'UNAVAILABLE', retryable: true }],
  ['500', { code: 'INTERNAL', retryable: true }],
  ['invalid-argument', { code: 'INVALID_ARGUMENT', retryable: false }],
  ['sender-id-mismatch', { code: 'SENDER_ID_MISMATCH', retryable: false }],
  ['third-party-auth', { code: 'THIRD_PARTY_AUTH_ERROR', retryable: false }],
  ['reset', { code: 'NETWORK', retryable: true }],
  ['lost', { code: 'NETWORK', retryable: true }],
  ['timeout', { code: 'TIMEOUT', retryable: true }],
];

describe('FCM error classification, one attempt', () => {
  it.each(SINGLE_ATTEMPT)('maps %s', async (mode, expected) => {
    const { fake, push } = await setup();
    fake.failNext(1, mode);

    const result = await push({ requestTimeoutMs: 300 }).send(confirmed());

    if (expected === 'remove-token') expect(result).toMatchObject({ status: 'remove-token' });
    else expect(result).toMatchObject({ status: 'failed', ...expected });
    expect(fake.sendRequests()).toHaveLength(1);
  });

  it('reads the code from the FcmError detail, falling back to the status', () => {
    const detail = (errorCode: string) => ({
      error: {
        status: 'NOT_FOUND',
        details: [{ '@type': 'type.googleapis.com/google.firebase.fcm.v1.FcmError', errorCode }],
      },
    });

    expect(fcmFailure(404, detail('UNREGISTERED'), undefined).code).toBe('UNREGISTERED');
    expect(fcmFailure(404, { error: { status: 'NOT_FOUND' } }, undefined)).toMatchObject({
      code: 'NOT_FOUND',
      retryable: false,
    });
    expect(fcmFailure(400, { error: { status: 'INVALID_ARGUMENT' } }, undefined).retryable).toBe(
      false,
    );
    expect(fcmFailure(502, '<html>Bad Gateway</html>', undefined)).toMatchObject({
      code: 'UNAVAILABLE',
      retryable: true,
    });
    expect(fcmFailure(429, undefined, 30_000)).toMatchObject({
      code: 'QUOTA_EXCEEDED',
      retryable: true,
      retryAfterMs: 30_000,
    });
    expect(fcmFailure(418, undefined, undefined)).toMatchObject({
      code: 'HTTP_418',
      retryable: false,
    });
  });
});

/** With the `fcm` policy: retryable failures are retried and succeed; others are not retried. */
const THROUGH_POLICY: [FcmFailureMode, PushResult['status'], number][] = [
  ['503', 'sent', 2],
  ['500', 'sent', 2],
  ['reset', 'sent', 2],
  ['timeout', 'sent', 2],
  ['unregistered', 'remove-token', 1],
  ['invalid-argument', 'failed', 1],
  ['sender-id-mismatch', 'failed', 1],
  ['third-party-auth', 'failed', 1],
];

describe('createFcmPush with the fcm policy', () => {
  it.each(THROUGH_POLICY)('after one %s: %s, in %i request(s)', async (mode, status, requests) => {
    const { fake, push } = await setup();
    const { logger } = silentLogger();
    const policy = createPolicy('fcm', { ...FAST_POLICY, attemptTimeoutMs: 300 }, logger);
    fake.failNext(1, mode);

    const result = await push({ policy }).send(confirmed());

    expect(result.status).toBe(status);
    expect(fake.sendRequests()).toHaveLength(requests);
    expect(policy.health().retries).toBe(requests - 1);
  });

  it('retries a lost answer, so FCM may deliver twice: push is at least once', async () => {
    const { fake, push } = await setup();
    const policy = createPolicy('fcm', FAST_POLICY, silentLogger().logger);
    fake.failNext(1, 'lost');

    const result = await push({ policy }).send(confirmed());

    expect(result.status).toBe('sent');
    expect(fake.messages()).toHaveLength(2);
  });

  it('stops after the policy’s retries and reports the failure as retryable', async () => {
    const { fake, push } = await setup();
    const policy = createPolicy('fcm', { ...FAST_POLICY, maxRetries: 2 }, silentLogger().logger);
    fake.failNext(5, '503');

    const result = await push({ policy }).send(confirmed());

    expect(result).toMatchObject({ status: 'failed', code: 'UNAVAILABLE', retryable: true });
    expect(fake.sendRequests()).toHaveLength(3);
    expect(fake.messages()).toHaveLength(0);
  });

  it('honours Retry-After on QUOTA_EXCEEDED before retrying', async () => {
    const { fake, push } = await setup({ retryAfterS: 1 });
    const { logger, lines } = silentLogger();
    const policy = createPolicy('fcm', FAST_POLICY, logger);
    fake.failNext(1, '429');

    const started = performance.now();
    const result = await push({ policy }).send(confirmed());
    const elapsed = performance.now() - started;

    expect(result.status).toBe('sent');
    expect(fake.sendRequests()).toHaveLength(2);
    expect(lines.find((line) => line.msg === 'retrying')).toMatchObject({
      dependency: 'fcm',
      attempt: 2,
    });
    expect(lines.find((line) => line.msg === 'retrying')?.delayMs).toBeGreaterThanOrEqual(1_000);
    // A generous lower bound only: the retry did not come before the second FCM asked for.
    expect(elapsed).toBeGreaterThanOrEqual(900);
  });

  it('hands a long Retry-After back to the caller instead of waiting', async () => {
    const { fake, push } = await setup({ retryAfterS: 120 });
    const policy = createPolicy('fcm', FAST_POLICY, silentLogger().logger);
    fake.failNext(1, '429');

    const result = await push({ policy }).send(confirmed());

    expect(result).toMatchObject({
      status: 'failed',
      code: 'QUOTA_EXCEEDED',
      retryable: true,
      retryAfterMs: 120_000,
    });
    expect(fake.sendRequests()).toHaveLength(1);
  });

  it('reports an open breaker as retryable, without reaching FCM', async () => {
    const { fake, push } = await setup();
    const breaker = { kind: 'consecutive', failures: 1, halfOpenAfterMs: 60_000 } as const;
    const policy = createPolicy(
      'fcm',
      { ...FAST_POLICY, maxRetries: 0, breaker },
      silentLogger().logger,
    );
    const sender = push({ policy });
    fake.failNext(1, '503');

    await sender.send(confirmed());
    const result = await sender.send(confirmed());

    expect(result).toMatchObject({ status: 'failed', code: 'CIRCUIT_OPEN', retryable: true });
    expect(fake.sendRequests()).toHaveLength(1);
  });

  it("rejects with the caller's reason when the caller aborts", async () => {
    const { fake, push } = await setup();
    const policy = createPolicy('fcm', FAST_POLICY, silentLogger().logger);
    const sender = push({ policy });
    const controller = new AbortController();
    const reason = new Error('dispatcher shutting down');
    await sender.send(confirmed());
    fake.failNext(1, 'timeout');

    const pending = sender.send(confirmed(), controller.signal);
    await vi.waitFor(() => expect(fake.sendRequests()).toHaveLength(2));
    controller.abort(reason);

    await expect(pending).rejects.toBe(reason);
    expect(fake.sendRequests()).toHaveLength(2);
    expect(policy.health()).toMatchObject({ retries: 0, timeouts: 0 });
  });
});

describe('the fake FCM', () => {
  it('refuses a send without a token it issued', async () => {
    const { fake } = await setup();

    const response = await fetch(`${fake.url}/v1/projects/${PROJECT}/messages:send`, {
      method: 'POST',
      headers: { authorization: 'Bearer made-up' },
      body: JSON.stringify({ message: { token: DEVICE } }),
    });

    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ error: { status: 'UNAUTHENTICATED' } });
  });

  it('refuses data values that are not strings, as FCM does', async () => {
    const { fake, push } = await setup();
    await push().send(confirmed());
    const accessToken = fake.sendRequests()[0]?.accessToken;

    const response = await fetch(`${fake.url}/v1/projects/${PROJECT}/messages:send`, {
      method: 'POST',
      headers: { authorization: `Bearer ${accessToken}` },
      body: JSON.stringify({ message: { token: DEVICE, data: { attempt: 12 } } }),
    });

    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({
      error: {
        status: 'INVALID_ARGUMENT',
        details: [{ fieldViolations: [{ field: 'message.data[attempt].value' }] }],
      },
    });
  });
});
