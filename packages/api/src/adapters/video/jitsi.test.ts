import { describe, expect, it, vi } from 'vitest';
import { createJitsiRooms } from './jitsi.js';

const BOOKING = { bookingId: 'bkg_k3m9x2p7q4r8s5t6', startMs: 1_900_000_000_000, endMs: 0 };
BOOKING.endMs = BOOKING.startMs + 30 * 60_000;

/** The whole room name: a fixed prefix, the booking id and 160 random bits in base32. */
const ROOM_NAME = new RegExp(`^tahoon-${BOOKING.bookingId}-[a-z2-7]{32}$`);

describe('createJitsiRooms', () => {
  it('gives the patient and the provider the same room, the provider with a hint', async () => {
    const room = await createJitsiRooms({ baseUrl: 'https://meet.example.org/' }).create(BOOKING);

    expect(room.provider).toBe('jitsi');
    expect(room.roomId).toMatch(ROOM_NAME);
    expect(room.patientJoinUrl).toBe(`https://meet.example.org/${room.roomId}`);
    expect(room.providerJoinUrl).toBe(`${room.patientJoinUrl}#config.prejoinPageEnabled=true`);
  });

  it('uses the public Jitsi Meet by default, with Web Crypto randomness', async () => {
    const getRandomValues = vi.spyOn(crypto, 'getRandomValues');

    const room = await createJitsiRooms().create(BOOKING);

    expect(room.patientJoinUrl.startsWith('https://meet.jit.si/tahoon-')).toBe(true);
    expect(getRandomValues).toHaveBeenCalled();
    getRandomValues.mockRestore();
  });

  it('names 1000 rooms for one booking all differently', async () => {
    const rooms = createJitsiRooms();

    const names = new Set<string>();
    for (let i = 0; i < 1000; i++) names.add((await rooms.create(BOOKING)).roomId);

    expect(names.size).toBe(1000);
  });

  it('puts nothing but the booking id and randomness in the URLs', async () => {
    const room = await createJitsiRooms({ baseUrl: 'https://meet.example.org' }).create(BOOKING);

    for (const url of [room.patientJoinUrl, room.providerJoinUrl]) {
      const { pathname, search, hash } = new URL(url);
      expect(pathname.slice(1)).toMatch(ROOM_NAME);
      expect(search).toBe('');
      expect(hash).not.toMatch(/displayName|email|pat_/);
      expect(url).not.toContain(String(BOOKING.startMs));
    }
  });

  it('encodes the random bytes it is given as base32', async () => {
    const zeros = createJitsiRooms({ randomBytes: (n) => new Uint8Array(n) });
    const ones = createJitsiRooms({ randomBytes: (n) => new Uint8Array(n).fill(0xff) });

    expect((await zeros.create(BOOKING)).roomId).toBe(
      `tahoon-${BOOKING.bookingId}-${'a'.repeat(32)}`,
    );
    expect((await ones.create(BOOKING)).roomId).toBe(
      `tahoon-${BOOKING.bookingId}-${'7'.repeat(32)}`,
    );
  });

  it('refuses a random source that gives too few bytes', async () => {
    const stingy = createJitsiRooms({ randomBytes: () => new Uint8Array(8) });

    await expect(stingy.create(BOOKING)).rejects.toThrow(RangeError);
  });

  it('removes nothing, since Jitsi rooms end when they empty', async () => {
    await expect(createJitsiRooms().remove('tahoon-anything')).resolves.toBeUndefined();
  });
});
