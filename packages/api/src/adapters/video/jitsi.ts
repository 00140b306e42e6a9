import type { VideoRoom, VideoRoomRequest, VideoRooms } from '@tahoon/core';

/** Bytes of randomness in a room name: 160 bits, well past guessing, and 32 base32 symbols. */
const ROOM_SECRET_BYTES = 20;

/** RFC 4648 base32 in lower case: Jitsi folds room names to lower case anyway. */
const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';

/**
 * Shown to the provider only: the pre-join page lets a clinician check camera and microphone
 * before the patient sees them. It sits in the fragment, which the browser never sends to Jitsi.
 */
const PROVIDER_HINT = '#config.prejoinPageEnabled=true';

export interface JitsiRoomsOptions {
  /** The Jitsi Meet deployment that hosts the rooms; the public one needs no account. */
  baseUrl?: string;
  /** Fills a buffer of the given length with secure random bytes; Web Crypto by default. */
  randomBytes?: (length: number) => Uint8Array;
}

/**
 * Video rooms on Jitsi Meet, for deployments without a video account. A Jitsi room exists as
 * soon as someone opens its URL, so "creating" one means choosing a name nobody can guess: the
 * name is the only thing that keeps strangers out.
 *
 * @example
 * const rooms = createJitsiRooms({ baseUrl: 'https://meet.example.org' });
 * const room = await rooms.create({ bookingId: 'bkg_k3m9…', startMs, endMs });
 * room.patientJoinUrl; // 'https://meet.example.org/tahoon-bkg_k3m9…-q4x…'
 */
export function createJitsiRooms(options: JitsiRoomsOptions = {}): VideoRooms {
  const baseUrl = trimSlashes(options.baseUrl ?? 'https://meet.jit.si');
  const randomBytes = options.randomBytes ?? webCryptoRandomBytes;

  return {
    name: 'jitsi',

    async create(request: VideoRoomRequest): Promise<VideoRoom> {
      const roomId = roomName(request.bookingId, randomBytes(ROOM_SECRET_BYTES));
      const url = `${baseUrl}/${encodeURIComponent(roomId)}`;
      return {
        provider: 'jitsi',
        roomId,
        patientJoinUrl: url,
        providerJoinUrl: url + PROVIDER_HINT,
      };
    },

    // Nothing to do: Jitsi drops a room when its last participant leaves, and an unused name
    // costs nothing. There is no API through which a room could be closed ahead of that.
    async remove(): Promise<void> {},
  };
}

/**
 * The booking id makes a room traceable in support tickets; the random tail makes it private.
 * Nothing from the request beyond the booking id goes in, and the booking id names no patient.
 */
function roomName(bookingId: string, secret: Uint8Array): string {
  if (secret.length < ROOM_SECRET_BYTES) throw new RangeError('not enough random bytes');
  return `tahoon-${bookingId}-${toBase32(secret)}`;
}

/** Unpadded lower-case base32 (RFC 4648), five bits per symbol. */
function toBase32(bytes: Uint8Array): string {
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += BASE32[(buffer >> bits) & 31];
    }
    // Only the low `bits` bits are still owed; dropping the rest keeps the buffer small.
    buffer &= (1 << bits) - 1;
  }
  if (bits > 0) out += BASE32[(buffer << (5 - bits)) & 31];
  return out;
}

function webCryptoRandomBytes(length: number): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(length));
}

function trimSlashes(url: string): string {
  return url.replace(/\/+$/, '');
}
