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
  EventType,
  TahoonEvent,
  EventListParams,
  EventRedeliverParams,
  Queued,
  WebhookEndpoint,
  WebhookEndpointWithSecret,
  WebhookEndpointCreate,
  WebhookEndpointUpdate,
  WebhookEndpointDisabledReason,
  WebhookEndpointDeletion,
  WebhookSecretRotateParams,
  WebhookReplayParams,
  WebhookDelivery,
  WebhookDeliveryError,
  PageParams,
  Device,
  DevicePlatform,
  DeviceRegisterParams,
  DeviceRemoval,
  Credential,
  CredentialSecret,
  CreatedCredential,
  CredentialCreate,
  CredentialRotateParams,
  CredentialRotation,
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

describe('webhook endpoints', () => {
  it('match core’s schemas', () => {
    expectTypeOf<EventType>().toEqualTypeOf<core.PartnerEventType>();
    expectTypeOf<WebhookEndpointDisabledReason>().toEqualTypeOf<core.EndpointDisabledReason>();
    expectTypeOf<WebhookDeliveryError>().toEqualTypeOf<core.DeliveryErrorKind>();
    expectTypeOf<WebhookEndpoint>().toEqualTypeOf<core.WebhookEndpoint>();
    expectTypeOf<WebhookEndpointWithSecret>().toEqualTypeOf<
      Output<typeof core.webhookEndpointWithSecretSchema>
    >();
    expectTypeOf<{ data: WebhookEndpoint[] }>().toEqualTypeOf<
      Output<typeof core.webhookEndpointListSchema>
    >();
    expectTypeOf<WebhookDelivery>().toEqualTypeOf<core.WebhookDelivery>();
    expectTypeOf<Pick<Page<WebhookDelivery>, 'data' | 'nextCursor'>>().toEqualTypeOf<
      Output<typeof core.webhookDeliveryPageSchema>
    >();
    expectTypeOf<Queued>().toEqualTypeOf<Output<typeof core.queuedSchema>>();
    // The router declares this answer inline, not in core; the e2e test reads it from the server.
    expectTypeOf<WebhookEndpointDeletion>().toEqualTypeOf<{ id: string; deleted: true }>();
  });

  it('send what core’s schemas accept', () => {
    expectTypeOf<WebhookEndpointCreate>().toEqualTypeOf<
      Input<typeof core.webhookEndpointCreateInput>
    >();
    expectTypeOf<WebhookEndpointUpdate>().toEqualTypeOf<
      Omit<Input<typeof core.webhookEndpointUpdateInput>, 'id'>
    >();
    expectTypeOf<WebhookSecretRotateParams>().toEqualTypeOf<
      Omit<Input<typeof core.webhookRotateInput>, 'id'>
    >();
    expectTypeOf<WebhookReplayParams>().toEqualTypeOf<
      Omit<Input<typeof core.webhookReplayInput>, 'id'>
    >();
    expectTypeOf<OnTheWire<PageParams>>().toEqualTypeOf<
      Omit<Input<typeof core.webhookDeliveriesInput>, 'id'>
    >();
  });

  it('answer secrets only where they are shown once', () => {
    type Endpoints = Tahoon['webhookEndpoints'];
    expectTypeOf<Endpoints['create']>().returns.resolves.toEqualTypeOf<
      WithRequestId<WebhookEndpointWithSecret>
    >();
    expectTypeOf<Endpoints['rotateSecret']>().returns.resolves.toEqualTypeOf<
      WithRequestId<WebhookEndpointWithSecret>
    >();
    expectTypeOf<Endpoints['get']>().returns.resolves.toEqualTypeOf<
      WithRequestId<WebhookEndpoint>
    >();
    expectTypeOf<WebhookEndpoint>().not.toHaveProperty('secret');
    expectTypeOf<ReturnType<Endpoints['deliveries']>>().toEqualTypeOf<
      PagePromise<WebhookDelivery>
    >();
  });
});

describe('events', () => {
  it('match core’s schemas', () => {
    expectTypeOf<TahoonEvent>().toEqualTypeOf<core.PartnerEvent>();
    expectTypeOf<Pick<Page<TahoonEvent>, 'data' | 'nextCursor'>>().toEqualTypeOf<
      Output<typeof core.eventPageSchema>
    >();
    expectTypeOf<OnTheWire<EventListParams>>().toEqualTypeOf<Input<typeof core.eventListInput>>();
    expectTypeOf<EventRedeliverParams>().toEqualTypeOf<
      Omit<Input<typeof core.eventRedeliverInput>, 'id'>
    >();
  });

  it('list to a page that iterates events', () => {
    expectTypeOf<ReturnType<Tahoon['events']['list']>>().toEqualTypeOf<PagePromise<TahoonEvent>>();
    expectTypeOf<Tahoon['events']['redeliver']>().returns.resolves.toEqualTypeOf<
      WithRequestId<Queued>
    >();
  });
});

describe('devices', () => {
  it('match core’s schemas', () => {
    expectTypeOf<Device>().toEqualTypeOf<Output<typeof core.deviceSchema>>();
    expectTypeOf<DevicePlatform>().toEqualTypeOf<core.DevicePlatform>();
    expectTypeOf<DeviceRegisterParams>().toEqualTypeOf<
      Omit<Input<typeof core.deviceRegisterInput>, 'id' | 'token'>
    >();
    // Declared inline by the router, like the endpoint deletion; the e2e test reads it.
    expectTypeOf<DeviceRemoval>().toEqualTypeOf<{ deleted: true }>();
    expectTypeOf<Tahoon['devices']['register']>().returns.resolves.toEqualTypeOf<
      WithRequestId<Device>
    >();
  });
});

describe('credential administration', () => {
  it('matches core’s schemas', () => {
    expectTypeOf<Credential>().toEqualTypeOf<core.CredentialView>();
    expectTypeOf<CredentialSecret>().toEqualTypeOf<Output<typeof core.credentialSecretSchema>>();
    expectTypeOf<{ data: Credential[] }>().toEqualTypeOf<
      Output<typeof core.credentialListSchema>
    >();
    expectTypeOf<CreatedCredential>().toEqualTypeOf<Output<typeof core.credentialCreatedSchema>>();
    expectTypeOf<CredentialRotation>().toEqualTypeOf<Output<typeof core.credentialRotatedSchema>>();
    expectTypeOf<CredentialCreate>().toEqualTypeOf<Input<typeof core.credentialCreateInput>>();
    expectTypeOf<CredentialRotateParams>().toEqualTypeOf<
      Omit<Input<typeof core.credentialRotateInput>, 'id'>
    >();
  });

  it('answers client secrets only where they are shown once', () => {
    expectTypeOf<Credential>().not.toHaveProperty('clientSecret');
    expectTypeOf<CredentialSecret>().not.toHaveProperty('secret');
    expectTypeOf<Tahoon['credentials']['create']>().returns.resolves.toEqualTypeOf<
      WithRequestId<CreatedCredential>
    >();
    expectTypeOf<Tahoon['credentials']['list']>().returns.resolves.toEqualTypeOf<
      WithRequestId<{ data: Credential[] }>
    >();
  });
});
