import { exportPKCS8, generateKeyPair } from 'jose';
import { describe, expect, it } from 'vitest';
import { startFakeFcm } from '../../../test/fakes/fcm-server.js';
import { createFcmPush } from './fcm.js';
import { BOOKING_PUSH_TYPES, bookingNotification } from './messages.js';
import type { BookingPushEvent } from './messages.js';

const BOOKING_ID = 'bkg_k3m9x2p7q4r8s5t6';

/** A booking as the flow holds it, with everything a careless caller might hand over. */
const BOOKING_WITH_PATIENT = {
  id: BOOKING_ID,
  bookingId: BOOKING_ID,
  patientId: 'pat_a2b3c4d5e6f7g8h9',
  providerId: 'prv_sjnpfzd39nd2qv6w',
  start: '2027-03-02T09:00:00Z',
  reason: 'panic attacks after the accident',
  patient: {
    givenName: 'Layla',
    familyName: 'Haddad',
    email: 'layla.haddad@example.com',
    phone: '+966501234567',
    birthDate: '1990-04-12',
  },
  provider: { displayName: 'Dr. Omar Nasser' },
};

/** Strings that identify the patient or describe their care; none may reach a device. */
const PHI = [
  'Layla',
  'Haddad',
  'layla.haddad',
  '@example.com',
  '+966501234567',
  '1990-04-12',
  'panic',
  'Omar',
  'pat_',
  '09:00',
];

function eventFrom(type: BookingPushEvent['type']): BookingPushEvent {
  // Spread from a wider object, as a caller passing a whole booking row would.
  return { ...BOOKING_WITH_PATIENT, type };
}

describe('bookingNotification', () => {
  it.each(BOOKING_PUSH_TYPES)('gives %s a fixed title and only the type and booking id', (type) => {
    const notification = bookingNotification(eventFrom(type));

    expect(notification.title.length).toBeGreaterThan(0);
    expect(notification.data).toEqual({ type, bookingId: BOOKING_ID });
    expect(Object.keys(notification).sort()).toEqual(['body', 'data', 'title']);
  });

  it('puts no name, email, phone, birth date, provider, time or reason in any notification', () => {
    for (const type of BOOKING_PUSH_TYPES) {
      const text = JSON.stringify(bookingNotification(eventFrom(type)));
      for (const value of PHI) expect(text, `${type} leaks ${value}`).not.toContain(value);
    }
  });

  it('refuses a booking id that is not one, without echoing it', () => {
    const bad = { type: 'booking.confirmed', bookingId: 'layla.haddad@example.com' } as const;

    expect(() => bookingNotification(bad)).toThrow(TypeError);
    expect(() => bookingNotification(bad)).not.toThrow(/layla/);
  });

  it('refuses an unknown notification type', () => {
    const unknown = {
      type: 'booking.diagnosis',
      bookingId: BOOKING_ID,
    } as unknown as BookingPushEvent;

    expect(() => bookingNotification(unknown)).toThrow(TypeError);
  });

  it('sends nothing identifying the patient over the wire, for every booking event', async () => {
    const { publicKey, privateKey } = await generateKeyPair('RS256', { extractable: true });
    const clientEmail = 'push@tahoon-test.iam.gserviceaccount.com';
    const fake = await startFakeFcm({ projectId: 'tahoon-test', clientEmail, publicKey });
    const serviceAccount = {
      project_id: 'tahoon-test',
      client_email: clientEmail,
      private_key: await exportPKCS8(privateKey),
      token_uri: fake.tokenUri,
    };
    const push = createFcmPush({ serviceAccount, apiBase: fake.url });

    try {
      for (const type of BOOKING_PUSH_TYPES) {
        const result = await push.send({
          deviceToken: 'device-1',
          notification: bookingNotification(eventFrom(type)),
        });
        expect(result.status).toBe('sent');
      }

      const wire = JSON.stringify(fake.requests());
      expect(fake.messages()).toHaveLength(BOOKING_PUSH_TYPES.length);
      for (const value of PHI) expect(wire, `leaks ${value}`).not.toContain(value);
    } finally {
      await fake.close();
    }
  });
});
