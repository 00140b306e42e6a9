import { TahoonError } from '@tahoon/core';
import type { VideoRoom, VideoRoomRequest, VideoRooms } from '@tahoon/core';
import { SignJWT } from 'jose';
import { z } from 'zod';

/**
 * Management tokens live five minutes: one call needs seconds, and a token that leaks from a
 * proxy log or a heap dump is worthless soon after.
 */
const TOKEN_LIFETIME_S = 5 * 60;

/** Claims VideoSDK's v2 REST API expects of a server-side token; `crawler` is the API role. */
const MANAGEMENT_CLAIMS = { permissions: ['allow_join'], version: 2, roles: ['crawler'] };

/** Enough of an error body to diagnose a refusal from the cause, not enough to flood a log. */
const BODY_EXCERPT_CHARS = 500;

/** What we rely on in VideoSDK's answer to a room creation; other fields are let through. */
const createdRoomSchema = z.object({
  roomId: z.string().min(1),
  customRoomId: z.string().nullish(),
  disabled: z.boolean().optional(),
});

export interface VideoSdkRoomsOptions {
  apiKey: string;
  /** Signs the management tokens; it never leaves this process. */
  secret: string;
  apiBase?: string;
  /** Where patients and providers join: a partner-hosted page or VideoSDK's prebuilt one. */
  joinBaseUrl?: string;
  fetch?: typeof globalThis.fetch;
  /** Bound on each call, from sending the request to reading the whole answer. */
  timeoutMs?: number;
  /** The time in milliseconds, for the token's `iat` and `exp`. */
  now?: () => number;
}

/**
 * Why a VideoSDK call failed, kept as the `cause` of the {@link TahoonError} the adapter throws
 * so the log can say what happened while the partner only reads "unavailable". The retry work
 * will read `status` and `retryAfterMs`.
 *
 * @example
 * if (err instanceof TahoonError && err.cause instanceof VideoSdkError) {
 *   log.warn({ status: err.cause.status, retryAfterMs: err.cause.retryAfterMs }, 'video.create');
 * }
 */
export class VideoSdkError extends Error {
  readonly status: number | undefined;
  readonly retryAfterMs: number | undefined;
  /** The start of VideoSDK's answer; may name the room, never a secret of ours. */
  readonly body: string | undefined;

  constructor(
    message: string,
    details: { status?: number; retryAfterMs?: number; body?: string } = {},
  ) {
    super(message);
    this.name = 'VideoSdkError';
    this.status = details.status;
    this.retryAfterMs = details.retryAfterMs;
    this.body = details.body;
  }
}

/**
 * Video rooms on VideoSDK (https://docs.videosdk.live), through its v2 REST API. Every call is
 * authorised by a short-lived JWT signed here with the API secret, and bounded by `timeoutMs`
 * as well as by the caller's signal.
 *
 * A room is created under the booking id as VideoSDK's `customRoomId`, on which creation is
 * idempotent: when an answer is lost after VideoSDK made the room, creating again for the same
 * booking returns that room instead of a second one.
 *
 * @example
 * const rooms = createVideoSdkRooms({ apiKey: env.VIDEOSDK_API_KEY, secret: env.VIDEOSDK_SECRET });
 * const room = await rooms.create({ bookingId: 'bkg_k3m9…', startMs, endMs }, request.signal);
 * await rooms.remove(room.roomId);
 */
export function createVideoSdkRooms(options: VideoSdkRoomsOptions): VideoRooms {
  const { apiKey, secret, timeoutMs = 5000 } = options;
  if (!apiKey || !secret) throw new TypeError('VideoSDK needs both an API key and a secret');
  if (!(timeoutMs > 0)) throw new RangeError('timeoutMs must be positive');

  const apiBase = trimSlashes(options.apiBase ?? 'https://api.videosdk.live');
  const joinBaseUrl = trimSlashes(options.joinBaseUrl ?? 'https://app.videosdk.live/meeting');
  const key = new TextEncoder().encode(secret);
  const now = options.now ?? Date.now;
  // Called through a wrapper because some edge runtimes refuse a detached `fetch`.
  const fetchImpl = options.fetch ?? ((input, init) => globalThis.fetch(input, init));

  async function post<T>(
    operation: string,
    path: string,
    payload: object,
    read: (response: Response) => Promise<T>,
    signal?: AbortSignal,
  ): Promise<T> {
    const deadline = AbortSignal.timeout(timeoutMs);
    const bounded = signal ? AbortSignal.any([signal, deadline]) : deadline;
    const headers = {
      authorization: await managementToken(apiKey, key, now()),
      'content-type': 'application/json',
      accept: 'application/json',
    };

    try {
      const init = { method: 'POST', headers, body: JSON.stringify(payload), signal: bounded };
      const response = await fetchImpl(apiBase + path, init);
      if (!response.ok) throw await refusal(response, now());
      return await read(response);
    } catch (error) {
      // The caller gave up, so nothing failed on VideoSDK's side: hand back the caller's reason.
      if (signal?.aborted) throw signal.reason;
      throw unavailable(operation, error, deadline.aborted ? timeoutMs : undefined);
    }
  }

  return {
    name: 'videosdk',

    async create(request: VideoRoomRequest, signal?: AbortSignal): Promise<VideoRoom> {
      // No autoCloseConfig: closing and deactivating at the end of a session would lock out a
      // patient whose call dropped, and VideoSDK's pages disagree on the unit of its duration.
      // Rooms are closed through `remove` instead, when the booking flow decides.
      const body = { customRoomId: request.bookingId };
      const readRoom = async (response: Response) => createdRoomSchema.parse(await response.json());
      const room = await post('room creation', '/v2/rooms', body, readRoom, signal);
      return joinUrls(joinBaseUrl, room.roomId);
    },

    async remove(roomId: string, signal?: AbortSignal): Promise<void> {
      const discard = async (response: Response) => {
        await response.body?.cancel();
      };
      await post('room deactivation', '/v2/rooms/deactivate', { roomId }, discard, signal);
    },
  };
}

/**
 * The token VideoSDK reads from the `Authorization` header as it is, with no `Bearer ` prefix.
 * A fresh one per call: HS256 costs microseconds, and nothing secret is kept around.
 */
async function managementToken(apiKey: string, key: Uint8Array, nowMs: number): Promise<string> {
  const issuedAt = Math.floor(nowMs / 1000);
  return new SignJWT({ apikey: apiKey, ...MANAGEMENT_CLAIMS })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuedAt(issuedAt)
    .setExpirationTime(issuedAt + TOKEN_LIFETIME_S)
    .sign(key);
}

/** Both sides join the same room; the provider's link says so, for a partner page to read. */
function joinUrls(joinBaseUrl: string, roomId: string): VideoRoom {
  const patientJoinUrl = `${joinBaseUrl}/${encodeURIComponent(roomId)}`;
  return {
    provider: 'videosdk',
    roomId,
    patientJoinUrl,
    providerJoinUrl: `${patientJoinUrl}?role=provider`,
  };
}

async function refusal(response: Response, nowMs: number): Promise<VideoSdkError> {
  const body = (await response.text()).slice(0, BODY_EXCERPT_CHARS);
  const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'), nowMs);
  return new VideoSdkError(`VideoSDK answered ${response.status}`, {
    status: response.status,
    ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    body,
  });
}

/** `Retry-After` is either delay seconds or an HTTP date (RFC 9110 §10.2.3). */
function parseRetryAfter(value: string | null, nowMs: number): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const dateMs = Date.parse(value);
  return Number.isNaN(dateMs) ? undefined : Math.max(0, dateMs - nowMs);
}

/**
 * Every failure of the video service reads the same to the partner: try again later. The detail
 * says which kind of failure it was; what VideoSDK said stays in the cause, for the log.
 */
function unavailable(operation: string, error: unknown, timedOutAfterMs?: number): TahoonError {
  return new TahoonError(
    { code: 'UNAVAILABLE', detail: failureDetail(operation, error, timedOutAfterMs) },
    { cause: error },
  );
}

function failureDetail(operation: string, error: unknown, timedOutAfterMs?: number): string {
  if (timedOutAfterMs !== undefined) {
    return `The video service did not finish ${operation} within ${timedOutAfterMs} ms`;
  }
  if (error instanceof VideoSdkError && error.status !== undefined) {
    return `The video service refused ${operation} with status ${error.status}`;
  }
  if (error instanceof z.ZodError || error instanceof SyntaxError) {
    return `The video service answered ${operation} with an unexpected body`;
  }
  return `The video service could not be reached for ${operation}`;
}

function trimSlashes(url: string): string {
  return url.replace(/\/+$/, '');
}
