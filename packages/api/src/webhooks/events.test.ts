import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  buildEventPayload,
  serializeEventPayload,
  WEBHOOK_EVENT_TYPES,
  type WebhookEvent,
} from './events.js';

const AT = Date.parse('2027-03-01T06:00:00Z');

const EVENT: WebhookEvent = {
  id: 'evt_k3m9x2p7q4r8s5t6',
  type: 'booking.cancelled',
  occurredAtMs: AT,
  bookingId: 'bkg_k3m9x2p7q4r8s5t6',
  patientId: 'pat_a2b3c4d5e6f7g8h9',
  providerId: 'prv_sjnpfzd39nd2qv6w',
};

/** Everything a patient record holds that must never reach a partner's webhook receiver. */
const PATIENT_RECORD = {
  externalId: 'mrn-0042-riyadh',
  givenName: 'Noura',
  familyName: 'Alharbi',
  birthDate: '1987-11-23',
  email: 'noura.alharbi@mail.example',
  phone: '+966501234567',
  gender: 'female',
  language: 'ar',
  country: 'SA',
  timeZone: 'Asia/Riyadh',
  address: '12 King Fahd Road, Riyadh',
  notes: 'anxiety; prefers evening sessions',
  reason: 'panic attacks at work',
};

describe('buildEventPayload', () => {
  it('carries the type, when it happened, and ids only', () => {
    expect(buildEventPayload(EVENT)).toEqual({
      type: 'booking.cancelled',
      timestamp: '2027-03-01T06:00:00.000Z',
      data: {
        bookingId: 'bkg_k3m9x2p7q4r8s5t6',
        patientId: 'pat_a2b3c4d5e6f7g8h9',
        providerId: 'prv_sjnpfzd39nd2qv6w',
      },
    });
  });

  it('leaves out ids the event does not have', () => {
    const { patientId: _p, providerId: _r, ...bare } = EVENT;

    expect(buildEventPayload(bare).data).toEqual({ bookingId: EVENT.bookingId });
  });

  it('never lets PHI through, even from an event object that carries a patient record', () => {
    const careless = { ...PATIENT_RECORD, patient: PATIENT_RECORD, ...EVENT };

    const body = serializeEventPayload(careless);

    for (const [field, value] of Object.entries(PATIENT_RECORD)) {
      expect(body.toLowerCase()).not.toContain(field.toLowerCase());
      expect(body.toLowerCase()).not.toContain(value.toLowerCase());
    }
    expect(body).toBe(serializeEventPayload(EVENT));
  });

  it('ignores any extra field, whatever its name or value', () => {
    const known = new Set(Object.keys(EVENT));
    const extras = fc.dictionary(
      fc.string({ minLength: 1 }).filter((key) => !known.has(key) && key !== '__proto__'),
      fc.jsonValue(),
    );

    fc.assert(
      fc.property(extras, (extra) => {
        const payload = buildEventPayload({ ...extra, ...EVENT });
        expect(payload).toEqual(buildEventPayload(EVENT));
      }),
    );
  });

  it('refuses a value that is not an id of the right kind, without echoing it', () => {
    const emailAsPatient = { ...EVENT, patientId: PATIENT_RECORD.email };
    const patientAsProvider = { ...EVENT, providerId: EVENT.patientId };

    expect(() => buildEventPayload(emailAsPatient)).toThrow(/patientId is not a pat_ id/);
    expect(() => buildEventPayload(emailAsPatient)).not.toThrow(/noura/);
    expect(() => buildEventPayload(patientAsProvider)).toThrow(RangeError);
    expect(() => buildEventPayload({ ...EVENT, bookingId: '' })).toThrow(RangeError);
  });

  it('refuses unknown event types and invalid times', () => {
    const unknownType = { ...EVENT, type: 'patient.updated' } as unknown as WebhookEvent;

    expect(() => buildEventPayload(unknownType)).toThrow(RangeError);
    expect(() => buildEventPayload({ ...EVENT, occurredAtMs: Number.NaN })).toThrow(RangeError);
  });

  it('knows every type it declares', () => {
    const types = WEBHOOK_EVENT_TYPES.map((type) => buildEventPayload({ ...EVENT, type }).type);

    expect(types).toEqual([...WEBHOOK_EVENT_TYPES]);
  });
});

describe('serializeEventPayload', () => {
  it('gives the same bytes on every attempt, so retries carry an identical body', () => {
    const copy: WebhookEvent = JSON.parse(JSON.stringify(EVENT));

    expect(serializeEventPayload(copy)).toBe(serializeEventPayload(EVENT));
    expect(JSON.parse(serializeEventPayload(EVENT))).toEqual(buildEventPayload(EVENT));
  });
});
