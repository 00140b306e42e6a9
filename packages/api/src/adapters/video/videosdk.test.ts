import { TahoonError } from '@tahoon/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeVideoSdk } from '../../../test/fakes/videosdk-server.js';
import type { FailureMode, FakeVideoSdk } from '../../../test/fakes/videosdk-server.js';
import { createVideoSdkRooms, VideoSdkError } from './videosdk.js';
import type { VideoSdkRoomsOptions } from './videosdk.js';

const API_KEY = 'test-api-key';
const SECRET = 'test-secret-that-is-long-enough-for-hs256';
const BOOKING = { bookingId: 'bkg_k3m9x2p7q4r8s5t6', startMs: 1_900_000_000_000, endMs: 0 };
BOOKING.endMs = BOOKING.startMs + 30 * 60_000;

/** Short enough to keep the suite quick, long enough for a loaded CI machine's loopback. */
const TIMEOUT_MS = 1_500;
/** A generous ceiling: the point is that a failure ends, not how fast. */
const BOUNDED_MS = 6_000;

let fake: FakeVideoSdk;

beforeEach(async () => {
  fake = await startFakeVideoSdk({ apiKey: API_KEY, secret: SECRET });
});

afterEach(async () => {
  await fake.close();
});

function rooms(overrides: Partial<VideoSdkRoomsOptions> = {}) {
  return createVideoSdkRooms({
    apiKey: API_KEY,
    secret: SECRET,
    apiBase: fake.url,
    joinBaseUrl: 'https://video.example.org/join/',
    timeoutMs: TIMEOUT_MS,
    ...overrides,
  });
}

/** Awaits a call that must fail as "unavailable", and says how long the failure took. */
async function expectUnavailable(call: Promise<unknown>) {
  const started = performance.now();
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  const elapsedMs = performance.now() - started;

  expect(error).toBeInstanceOf(TahoonError);
  const tahoonError = error as TahoonError;
  expect(tahoonError.code).toBe('UNAVAILABLE');
  expect(tahoonError.detail).not.toContain(SECRET);
  expect(tahoonError.detail).not.toContain('{');
  return { error: tahoonError, elapsedMs };
}

describe('createVideoSdkRooms', () => {
  it('creates a room under the booking id and gives both sides a join URL', async () => {
    const room = await rooms().create(BOOKING);

    const [made] = fake.liveRooms();
    expect(made?.customRoomId).toBe(BOOKING.bookingId);
    expect(room).toEqual({
      provider: 'videosdk',
      roomId: made?.roomId,
      patientJoinUrl: `https://video.example.org/join/${made?.roomId}`,
      providerJoinUrl: `https://video.example.org/join/${made?.roomId}?role=provider`,
    });
  });

  it('authorises with a raw, short-lived management JWT the server verified', async () => {
    const nowMs = Date.now();
    await rooms({ now: () => nowMs }).create(BOOKING);

    const [request] = fake.requests();
    expect(request?.path).toBe('/v2/rooms');
    expect(request?.authorization).not.toMatch(/^Bearer /i);
    expect(request?.claims).toMatchObject({
      apikey: API_KEY,
      permissions: ['allow_join'],
      version: 2,
      roles: ['crawler'],
      iat: Math.floor(nowMs / 1000),
    });
    const { iat = 0, exp = 0 } = request?.claims ?? {};
    expect(exp - iat).toBeGreaterThan(0);
    expect(exp - iat).toBeLessThanOrEqual(10 * 60);
  });

  it('deactivates the room on remove, leaving no live room', async () => {
    const video = rooms();
    const room = await video.create(BOOKING);

    await video.remove(room.roomId);

    expect(fake.liveRooms()).toEqual([]);
    expect(fake.rooms()).toHaveLength(1);
    expect(fake.requests().at(-1)).toMatchObject({
      path: '/v2/rooms/deactivate',
      body: { roomId: room.roomId },
    });
  });

  it('is refused, and makes nothing, with a token signed by another secret', async () => {
    const { error } = await expectUnavailable(
      rooms({ secret: 'some-other-secret-of-the-same-length!!' }).create(BOOKING),
    );

    expect(error.cause).toBeInstanceOf(VideoSdkError);
    expect((error.cause as VideoSdkError).status).toBe(401);
    expect(fake.rooms()).toEqual([]);
  });

  it('is refused with an expired token', async () => {
    const anHourAgo = Date.now() - 60 * 60_000;

    await expectUnavailable(rooms({ now: () => anHourAgo }).create(BOOKING));

    expect(fake.rooms()).toEqual([]);
  });

  const modes: FailureMode[] = ['503', '429', 'timeout', 'reset', 'lost'];

  it.each(modes)('turns a %s on create into UNAVAILABLE within a bounded time', async (mode) => {
    fake.failNext(1, mode);

    const { elapsedMs } = await expectUnavailable(rooms().create(BOOKING));

    expect(elapsedMs).toBeLessThan(BOUNDED_MS);
    expect(fake.liveRooms()).toHaveLength(mode === 'lost' ? 1 : 0);
  });

  it.each(modes)('turns a %s on remove into UNAVAILABLE within a bounded time', async (mode) => {
    const video = rooms();
    const room = await video.create(BOOKING);
    fake.failNext(1, mode);

    const { elapsedMs } = await expectUnavailable(video.remove(room.roomId));

    expect(elapsedMs).toBeLessThan(BOUNDED_MS);
    expect(fake.liveRooms()).toHaveLength(mode === 'lost' ? 0 : 1);
  });

  it('says in the detail that the service timed out', async () => {
    fake.failNext(1, 'timeout');

    const { error } = await expectUnavailable(rooms().create(BOOKING));

    expect(error.detail).toContain(`within ${TIMEOUT_MS} ms`);
  });

  it('keeps the status and Retry-After of a rate limit in the cause', async () => {
    fake.failNext(1, '429');

    const { error } = await expectUnavailable(rooms().create(BOOKING));

    expect(error.detail).toMatch(/status 429/);
    expect(error.cause).toMatchObject({ status: 429, retryAfterMs: 1000 });
  });

  it('leaves a lost room findable: creating again for the booking returns it', async () => {
    const video = rooms();
    fake.failNext(1, 'lost');
    await expectUnavailable(video.create(BOOKING));
    const [lost] = fake.liveRooms();

    const again = await video.create(BOOKING);
    await video.remove(again.roomId);

    expect(again.roomId).toBe(lost?.roomId);
    expect(fake.rooms()).toHaveLength(1);
    expect(fake.liveRooms()).toEqual([]);
  });

  it('turns a refusal of an unknown room into UNAVAILABLE', async () => {
    const { error } = await expectUnavailable(rooms().remove('zzzz-zzzz-zzzz'));

    expect((error.cause as VideoSdkError).status).toBe(400);
  });

  it('turns an answer without a room id into UNAVAILABLE', async () => {
    const fetch = async () => Response.json({ customRoomId: BOOKING.bookingId });

    const { error } = await expectUnavailable(rooms({ fetch }).create(BOOKING));

    expect(error.detail).toMatch(/unexpected body/);
  });

  it('turns an unreachable service into UNAVAILABLE', async () => {
    const closed = fake.url;
    await fake.close();
    fake = await startFakeVideoSdk({ apiKey: API_KEY, secret: SECRET });

    const { error } = await expectUnavailable(rooms({ apiBase: closed }).create(BOOKING));

    expect(error.detail).toMatch(/could not be reached/);
  });

  it("hands back the caller's abort reason rather than blaming the service", async () => {
    fake.failNext(1, 'timeout');
    const controller = new AbortController();
    const reason = new Error('client went away');

    const call = rooms({ timeoutMs: 5_000 }).create(BOOKING, controller.signal);
    setTimeout(() => controller.abort(reason), 20);

    await expect(call).rejects.toBe(reason);
  });

  it('refuses to start without both credentials', () => {
    expect(() => createVideoSdkRooms({ apiKey: API_KEY, secret: '' })).toThrow(TypeError);
    expect(() => createVideoSdkRooms({ apiKey: '', secret: SECRET })).toThrow(TypeError);
  });
});
