/**
 * The SDK's hand-written types against the server's zod schemas in `@tahoon/core`. These are
 * checked by `tsc` (the package's typecheck), not at run time: a field added, dropped, renamed
 * or retyped on either side stops the build until both agree again.
 */
import type * as core from '@tahoon/core';
import { describe, expectTypeOf, it } from 'vitest';
import type {
  ApiErrorCode,
  AuditEvent,
  AuditEventListParams,
  Booking,
  BookingCancelParams,
  BookingChange,
  BookingCreate,
  BookingListParams,
  BookingStatus,
  Cancellation,
  CancelledBy,
  Catalogue,
  ConnectionErrorCode,
  Currency,
  FieldError,
  Gender,
  Language,
  Money,
  Page,
  PagePromise,
  Patient,
  PatientCreate,
  PatientErasure,
  PatientExport,
  PatientListParams,
  PatientUpdate,
  Provider,
  ProviderSearchParams,
  ProviderSort,
  ProviderType,
  ServerErrorCode,
  SessionType,
  Slot,
  SlotList,
  SlotsParams,
  Specialty,
  Tahoon,
  TahoonError,
  VideoRoom,
  WithRequestId,
  SigningKey,
  CreatedSigningKey,
  SigningKeyCreate,
  SigningKeyRotation,
  OrganizationSettings,
  OrganizationUpdate,
} from '../src/index.js';

// What a zod schema accepts and produces, read from the schema's own type so that this test
// needs no import of zod itself (it is core's dependency, not the SDK's).
type Input<S extends { _zod: { input: unknown } }> = S['_zod']['input'];
type Output<S extends { _zod: { output: unknown } }> = S['_zod']['output'];

/**
 * A query as it travels: text. The SDK takes numbers and booleans and sends `50` and `true`;
 * the server's schemas accept numbers as text or number and booleans as `'true' | 'false'`.
 */
type WireValue<V> = V extends boolean ? 'true' | 'false' : V extends number ? string | number : V;
type OnTheWire<T> = { [K in keyof T]: WireValue<T[K]> };

describe('entities the server answers with', () => {
  it('match core’s schemas field for field', () => {
    expectTypeOf<Patient>().toEqualTypeOf<core.Patient>();
    expectTypeOf<Patient>().toEqualTypeOf<Output<typeof core.patientSchema>>();
    expectTypeOf<Provider>().toEqualTypeOf<core.Provider>();
    expectTypeOf<Booking>().toEqualTypeOf<core.BookingView>();
    expectTypeOf<Slot>().toEqualTypeOf<Output<typeof core.slotSchema>>();
    expectTypeOf<SlotList>().toEqualTypeOf<Output<typeof core.slotsOutput>>();
  });

  it('match core’s nested shapes', () => {
    expectTypeOf<Money>().toEqualTypeOf<core.Money>();
    expectTypeOf<SessionType>().toEqualTypeOf<core.SessionType>();
    expectTypeOf<SessionType>().toEqualTypeOf<core.Provider['sessionTypes'][number]>();
    expectTypeOf<VideoRoom>().toEqualTypeOf<core.VideoRoom>();
    expectTypeOf<Cancellation>().toEqualTypeOf<Output<typeof core.cancellationSchema>>();
    expectTypeOf<BookingChange>().toEqualTypeOf<core.BookingView['history'][number]>();
  });

  it('match core’s list envelope', () => {
    type Envelope<T> = Pick<Page<T>, 'data' | 'nextCursor'>;
    expectTypeOf<Envelope<Patient>>().toEqualTypeOf<Output<typeof core.patientPageSchema>>();
    expectTypeOf<Envelope<Provider>>().toEqualTypeOf<Output<typeof core.providerPageSchema>>();
    expectTypeOf<Envelope<Booking>>().toEqualTypeOf<Output<typeof core.bookingPageSchema>>();
    expectTypeOf<Envelope<Booking>>().toEqualTypeOf<core.Page<core.BookingView>>();
  });
});

describe('the audit trail and data-subject rights', () => {
  it('match core’s schemas', () => {
    expectTypeOf<AuditEvent>().toEqualTypeOf<core.AuditEventView>();
    expectTypeOf<PatientExport>().toEqualTypeOf<core.PatientExport>();
    expectTypeOf<PatientErasure>().toEqualTypeOf<core.PatientErasure>();
    expectTypeOf<OnTheWire<AuditEventListParams>>().toEqualTypeOf<
      Input<typeof core.auditListInput>
    >();
    expectTypeOf<Tahoon['patients']['erase']>().returns.resolves.toEqualTypeOf<
      WithRequestId<PatientErasure>
    >();
    expectTypeOf<ReturnType<Tahoon['auditEvents']['list']>>().toEqualTypeOf<
      PagePromise<AuditEvent>
    >();
  });
});

describe('catalogue values', () => {
  it('match core’s lists', () => {
    expectTypeOf<Specialty>().toEqualTypeOf<core.Specialty>();
    expectTypeOf<Language>().toEqualTypeOf<core.Language>();
    expectTypeOf<ProviderType>().toEqualTypeOf<core.ProviderType>();
    expectTypeOf<Gender>().toEqualTypeOf<core.Gender>();
    expectTypeOf<Currency>().toEqualTypeOf<core.Currency>();
    expectTypeOf<BookingStatus>().toEqualTypeOf<core.BookingStatus>();
    expectTypeOf<CancelledBy>().toEqualTypeOf<core.CancelledBy>();
    expectTypeOf<ProviderSort>().toEqualTypeOf<core.ProviderSearch['sort']>();
  });

  it('make up the catalogue', () => {
    expectTypeOf<Catalogue>().toEqualTypeOf<{
      specialties: (typeof core.SPECIALTIES)[number][];
      languages: (typeof core.LANGUAGES)[number][];
      providerTypes: (typeof core.PROVIDER_TYPES)[number][];
      genders: (typeof core.GENDERS)[number][];
      currencies: (typeof core.CURRENCIES)[number][];
    }>();
  });
});

describe('bodies the SDK sends', () => {
  it('are exactly what the server’s schemas accept', () => {
    expectTypeOf<PatientCreate>().toEqualTypeOf<Input<typeof core.patientCreateInput>>();
    expectTypeOf<PatientCreate>().toEqualTypeOf<core.PatientCreate>();
    expectTypeOf<PatientUpdate>().toEqualTypeOf<core.PatientUpdate>();
    expectTypeOf<PatientUpdate>().toEqualTypeOf<
      Omit<Input<typeof core.patientUpdateInput>, 'id'>
    >();
    expectTypeOf<BookingCreate>().toEqualTypeOf<Input<typeof core.bookingCreateInput>>();
    expectTypeOf<BookingCreate>().toEqualTypeOf<core.BookingCreate>();
    expectTypeOf<BookingCancelParams>().toEqualTypeOf<
      Omit<Input<typeof core.bookingCancelInput>, 'id'>
    >();
  });
});

describe('queries the SDK sends', () => {
  it('are exactly what the server’s schemas accept, once written as text', () => {
    expectTypeOf<OnTheWire<PatientListParams>>().toEqualTypeOf<
      Input<typeof core.patientListInput>
    >();
    expectTypeOf<OnTheWire<ProviderSearchParams>>().toEqualTypeOf<
      Input<typeof core.providerSearchInput>
    >();
    expectTypeOf<OnTheWire<BookingListParams>>().toEqualTypeOf<
      Input<typeof core.bookingListInput>
    >();
    expectTypeOf<OnTheWire<SlotsParams>>().toEqualTypeOf<
      Omit<Input<typeof core.slotsInput>, 'id'>
    >();
  });
});

describe('errors', () => {
  it('know every code the server sends, and keep client codes apart', () => {
    expectTypeOf<ServerErrorCode>().toEqualTypeOf<core.ErrorCode>();
    expectTypeOf<FieldError>().toEqualTypeOf<core.FieldError>();
    expectTypeOf<Extract<ConnectionErrorCode, core.ErrorCode>>().toBeNever();
    expectTypeOf<Exclude<ApiErrorCode, core.ErrorCode>>().toEqualTypeOf<'UNEXPECTED_RESPONSE'>();
    expectTypeOf<TahoonError['code']>().toEqualTypeOf<ApiErrorCode | ConnectionErrorCode>();
  });
});

describe('client methods', () => {
  it('resolve to the data plus a request id', () => {
    expectTypeOf<Tahoon['patients']['get']>().returns.resolves.toEqualTypeOf<
      WithRequestId<Patient>
    >();
    expectTypeOf<Tahoon['bookings']['create']>().parameter(0).toEqualTypeOf<BookingCreate>();
    expectTypeOf<Tahoon['bookings']['cancel']>().returns.resolves.toExtend<core.BookingView>();
    expectTypeOf<Tahoon['providers']['slots']>().returns.resolves.toExtend<SlotList>();
    expectTypeOf<WithRequestId<Patient>['requestId']>().toEqualTypeOf<string>();
  });

  it('list to a page that iterates items', () => {
    type Listed = ReturnType<Tahoon['bookings']['list']>;
    expectTypeOf<Listed>().toEqualTypeOf<PagePromise<Booking>>();
    expectTypeOf<Awaited<Listed>>().toEqualTypeOf<Page<Booking>>();
    expectTypeOf<Listed>().toExtend<AsyncIterable<Booking>>();
    expectTypeOf<Page<Provider>>().toExtend<AsyncIterable<Provider>>();
  });
});

describe('signed-request administration', () => {
  it('matches core’s schemas', () => {
    expectTypeOf<SigningKey>().toEqualTypeOf<Output<typeof core.signingKeySchema>>();
    expectTypeOf<CreatedSigningKey>().toEqualTypeOf<Output<typeof core.createdSigningKeySchema>>();
    expectTypeOf<SigningKeyRotation>().toEqualTypeOf<
      Output<typeof core.signingKeyRotationSchema>
    >();
    expectTypeOf<SigningKeyCreate>().toEqualTypeOf<Input<typeof core.signingKeyCreateInput>>();
    expectTypeOf<OrganizationSettings>().toEqualTypeOf<
      Output<typeof core.organizationSettingsSchema>
    >();
    expectTypeOf<OrganizationUpdate>().toEqualTypeOf<Input<typeof core.organizationUpdateInput>>();
    expectTypeOf<{ overlapSeconds?: number }>().toEqualTypeOf<
      Omit<Input<typeof core.signingKeyRotateInput>, 'id'>
    >();
  });
});
