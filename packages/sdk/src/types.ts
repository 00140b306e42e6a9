/**
 * The shapes Tahoon's REST API sends and accepts, written out by hand so the published SDK needs
 * nothing from the server's packages. `test/types.test.ts` holds each one against the server's
 * schemas, so a change on either side that is not mirrored here fails CI.
 */

/**
 * A kind of mental-health professional.
 *
 * @example
 * const type: ProviderType = 'psychologist';
 */
export type ProviderType = 'psychologist' | 'psychiatrist' | 'therapist' | 'counselor';

/**
 * An area a provider works in; providers are only ever tagged with these values.
 *
 * @example
 * const specialty: Specialty = 'anxiety';
 */
export type Specialty =
  | 'anxiety'
  | 'depression'
  | 'trauma'
  | 'ptsd'
  | 'relationships'
  | 'family'
  | 'child-adolescent'
  | 'addiction'
  | 'eating-disorders'
  | 'ocd'
  | 'adhd'
  | 'bipolar'
  | 'grief'
  | 'stress'
  | 'sleep'
  | 'workplace'
  | 'lgbtq'
  | 'postpartum'
  | 'self-esteem'
  | 'anger';

/**
 * A language a provider holds sessions in, as a BCP 47 primary tag.
 *
 * @example
 * const language: Language = 'ar';
 */
export type Language =
  'ar' | 'en' | 'fr' | 'de' | 'es' | 'hi' | 'ur' | 'ta' | 'bn' | 'ml' | 'zh' | 'tl' | 'fa' | 'tr';

/**
 * A gender, for providers and (optionally) patients.
 *
 * @example
 * const gender: Gender = 'female';
 */
export type Gender = 'female' | 'male' | 'other' | 'undisclosed';

/**
 * A currency prices are quoted in (ISO 4217).
 *
 * @example
 * const currency: Currency = 'SAR';
 */
export type Currency = 'SAR' | 'AED' | 'GBP' | 'USD' | 'INR' | 'AUD' | 'EUR';

/**
 * An amount of money in minor units: 25000 SAR minor units is 250.00 SAR.
 *
 * @example
 * const price: Money = { amount: 25000, currency: 'SAR' };
 */
export interface Money {
  amount: number;
  currency: Currency;
}

/**
 * Every value the provider filters accept, from `client.catalogue.get()`.
 *
 * @example
 * const { specialties } = await client.catalogue.get();
 */
export interface Catalogue {
  specialties: Specialty[];
  languages: Language[];
  providerTypes: ProviderType[];
  genders: Gender[];
  currencies: Currency[];
}

/**
 * One problem with one field of a request, addressed by a JSON pointer (RFC 6901).
 *
 * @example
 * const problem: FieldError = { pointer: '/birthDate', message: 'must be a date as YYYY-MM-DD' };
 */
export interface FieldError {
  pointer: string;
  message: string;
}

/**
 * A patient registered by your organisation. Optional details the patient did not give are
 * `null`.
 *
 * @example
 * const patient: Patient = await client.patients.get('pat_k3m9q2x7w4n8p5rt');
 * console.log(patient.timeZone); // 'Asia/Riyadh'
 */
export interface Patient {
  id: string;
  /** Your own id for this patient; unique within your organisation. */
  externalId: string;
  givenName: string;
  familyName: string;
  /** `YYYY-MM-DD`. */
  birthDate: string;
  /** ISO 3166-1 alpha-2, e.g. `SA`. */
  country: string;
  /** IANA time zone, e.g. `Asia/Riyadh`. */
  timeZone: string;
  email: string | null;
  /** E.164, e.g. `+966501234567`. */
  phone: string | null;
  gender: Gender | null;
  /** BCP 47 language tag, e.g. `ar-SA`. */
  language: string | null;
  createdAt: string;
  updatedAt: string;
}

/**
 * Registering a patient. Fields the server does not know are refused with `VALIDATION_FAILED`.
 *
 * @example
 * const input: PatientCreate = {
 *   externalId: 'crm-1042', givenName: 'Sara', familyName: 'Ali',
 *   birthDate: '1990-04-21', country: 'SA', timeZone: 'Asia/Riyadh',
 * };
 */
export interface PatientCreate {
  externalId: string;
  givenName: string;
  familyName: string;
  birthDate: string;
  country: string;
  timeZone: string;
  email?: string;
  phone?: string;
  gender?: Gender;
  language?: string;
}

/**
 * Changing a patient: any subset of the registration fields.
 *
 * @example
 * const change: PatientUpdate = { phone: '+966501234567' };
 */
export type PatientUpdate = Partial<PatientCreate>;

/**
 * Which page of a list to read.
 *
 * @example
 * const first: PageParams = { limit: 50 };
 */
export interface PageParams {
  /** Items per page, 1 to 100; the server's default is 20. */
  limit?: number;
  /** `nextCursor` of the previous page. Iterating a list follows cursors for you. */
  cursor?: string;
}

/**
 * Filters for `client.patients.list()`.
 *
 * @example
 * const params: PatientListParams = { externalId: 'crm-1042' };
 */
export interface PatientListParams extends PageParams {
  externalId?: string;
}

/**
 * How one session with a provider is offered: its length and price.
 *
 * @example
 * const offer: SessionType = { duration: 50, price: { amount: 25000, currency: 'SAR' } };
 */
export interface SessionType {
  /** Minutes. */
  duration: number;
  price: Money;
}

/**
 * A provider as partners see it. Providers are platform data, the same for every partner.
 *
 * @example
 * const provider: Provider = await client.providers.get('prv_k3m9q2x7w4n8p5rt');
 * const durations = provider.sessionTypes.map((s) => s.duration);
 */
export interface Provider {
  id: string;
  displayName: string;
  type: ProviderType;
  specialties: Specialty[];
  languages: Language[];
  gender: Gender;
  bio: string;
  yearsOfExperience: number;
  sessionTypes: SessionType[];
  /** The provider's own IANA time zone. */
  timeZone: string;
  /** ISO 3166 countries or regions (e.g. `US-NY`) the provider is licensed in. */
  licensedRegions: string[];
  acceptingNewPatients: boolean;
  active: boolean;
}

/**
 * How `client.providers.search()` orders providers. `earliest` puts the soonest free slot first.
 *
 * @example
 * const sort: ProviderSort = 'price';
 */
export type ProviderSort = 'name' | 'price' | 'earliest';

/**
 * Filters for `client.providers.search()`. All are optional and combine with AND.
 *
 * @example
 * const params: ProviderSearchParams = {
 *   specialty: 'anxiety', language: 'ar', region: 'SA',
 *   maxPrice: 30000, currency: 'SAR', acceptingNewPatients: true,
 * };
 */
export interface ProviderSearchParams extends PageParams {
  specialty?: Specialty;
  language?: Language;
  gender?: Gender;
  type?: ProviderType;
  /** Minor units; needs `currency`. */
  maxPrice?: number;
  currency?: Currency;
  /** Licensed in this country or region, e.g. `SA` or `US-NY`. */
  region?: string;
  acceptingNewPatients?: boolean;
  /** Only providers with a free slot at or after this instant (ISO 8601 with an offset). */
  availableFrom?: string;
  /** Only providers with a free slot before this instant (ISO 8601 with an offset). */
  availableTo?: string;
  /** Text in the name, bio or specialties. */
  q?: string;
  sort?: ProviderSort;
}

/**
 * The window to read a provider's free slots in.
 *
 * @example
 * const params: SlotsParams = {
 *   from: '2026-05-03T00:00:00+03:00', to: '2026-05-10T00:00:00+03:00',
 *   duration: 50, timeZone: 'Asia/Riyadh',
 * };
 */
export interface SlotsParams {
  /** Slot starts at or after this instant (ISO 8601 with `Z` or an offset). */
  from: string;
  /** Slot starts before this instant. */
  to: string;
  /** Minutes; one of the provider's `sessionTypes`. */
  duration: number;
  /** Zone the slots are rendered in; `UTC` when left out. */
  timeZone?: string;
}

/**
 * One bookable start, with the end of a session of the requested duration.
 *
 * @example
 * const slot: Slot = { start: '2026-05-03T10:00:00+03:00', end: '2026-05-03T10:50:00+03:00' };
 */
export interface Slot {
  start: string;
  end: string;
}

/**
 * A provider's free slots, sorted by start.
 *
 * @example
 * const { data: slots } = await client.providers.slots(providerId, params);
 */
export interface SlotList {
  data: Slot[];
  /** The zone `start` and `end` are rendered in. */
  timeZone: string;
}

/**
 * Where a booking stands. `pending` holds the slot while the video room is set up; `failed`
 * releases it.
 *
 * @example
 * const status: BookingStatus = 'confirmed';
 */
export type BookingStatus =
  'pending' | 'confirmed' | 'completed' | 'cancelled' | 'no_show' | 'failed';

/**
 * Who cancelled a booking.
 *
 * @example
 * const by: CancelledBy = 'partner';
 */
export type CancelledBy = 'partner' | 'operator' | 'provider';

/**
 * The video room of a booking: one join link for the patient and one for the provider.
 *
 * @example
 * const booking = await client.bookings.get(bookingId);
 * if (booking.video) sendLink(booking.video.patientJoinUrl);
 */
export interface VideoRoom {
  /** Which video service hosts the room. */
  provider: string;
  roomId: string;
  patientJoinUrl: string;
  providerJoinUrl: string;
}

/**
 * How and when a booking was cancelled.
 *
 * @example
 * if (booking.cancellation?.late) chargeLateFee(booking);
 */
export interface Cancellation {
  by: CancelledBy;
  at: string;
  reason: string | null;
  /** Cancelled inside the late-cancellation window. */
  late: boolean;
}

/**
 * An earlier time of a rescheduled booking.
 *
 * @example
 * const first: BookingChange | undefined = booking.history[0];
 */
export interface BookingChange {
  start: string;
  end: string;
  changedAt: string;
}

/**
 * A video session between one of your patients and a provider.
 *
 * @example
 * const booking: Booking = await client.bookings.get('bkg_k3m9q2x7w4n8p5rt');
 * console.log(booking.status, booking.start);
 */
export interface Booking {
  id: string;
  status: BookingStatus;
  patientId: string;
  providerId: string;
  start: string;
  end: string;
  /** Minutes. */
  duration: number;
  price: Money;
  /** `null` until the room exists. */
  video: VideoRoom | null;
  cancellation: Cancellation | null;
  /** Earlier times of a rescheduled booking, oldest first. */
  history: BookingChange[];
  createdAt: string;
}

/**
 * Booking a session: a start offered by `providers.slots` and a duration the provider offers.
 *
 * @example
 * const input: BookingCreate = {
 *   patientId: 'pat_k3m9q2x7w4n8p5rt', providerId: 'prv_k3m9q2x7w4n8p5rt',
 *   start: '2026-05-03T10:00:00+03:00', duration: 50,
 * };
 */
export interface BookingCreate {
  patientId: string;
  providerId: string;
  /** ISO 8601 instant with `Z` or an offset. */
  start: string;
  /** Minutes. */
  duration: number;
}

/**
 * Where to move a booking: a new start offered by `providers.slots`, and optionally another
 * duration the provider offers.
 *
 * @example
 * const params: BookingRescheduleParams = { start: '2026-05-05T16:00:00+03:00' };
 */
export interface BookingRescheduleParams {
  start: string;
  duration?: number;
}

/**
 * Cancelling a booking.
 *
 * @example
 * const params: BookingCancelParams = { reason: 'Patient asked to move to next week' };
 */
export interface BookingCancelParams {
  reason?: string;
}

/**
 * Filters for `client.bookings.list()`.
 *
 * @example
 * const params: BookingListParams = { patientId: 'pat_k3m9q2x7w4n8p5rt', status: 'confirmed' };
 */
export interface BookingListParams extends PageParams {
  patientId?: string;
  providerId?: string;
  status?: BookingStatus;
  /** Bookings starting at or after this instant. */
  from?: string;
  /** Bookings starting before this instant. */
  to?: string;
}

/**
 * A signing key as the gateway lists it; its secret is shown only when it is made.
 *
 * @example
 * const active = (await client.signingKeys.list()).data.filter((k) => k.status === 'active');
 */
export interface SigningKey {
  /** `sgk_…`, sent as `Tahoon-Signature-Key`. */
  id: string;
  /** The credential whose requests the key signs. */
  credentialId: string;
  status: 'active' | 'expired' | 'revoked';
  createdAt: string;
  expiresAt: string | null;
  revokedAt: string | null;
  lastUsedAt: string | null;
}

/**
 * A new signing key with its secret: store the secret now, it is never shown again.
 *
 * @example
 * const { id, secret } = await client.signingKeys.create();
 */
export interface CreatedSigningKey extends SigningKey {
  /** `tks_…`: the HMAC key. */
  secret: string;
}

/**
 * What `signingKeys.create` takes; both fields may be left out.
 *
 * @example
 * const input: SigningKeyCreate = { credentialId: 'cred_k3m9q2x7w4n8p5rt', expiresInSeconds: 86_400 };
 */
export interface SigningKeyCreate {
  /** Whose key; the calling credential's when left out. */
  credentialId?: string;
  /** The key stops working this many seconds after it is made (60 to a year). */
  expiresInSeconds?: number;
}

/**
 * A rotation: the new key with its secret, and the old key with the end of its overlap.
 *
 * @example
 * const { key, previous } = await client.signingKeys.rotate(oldId, { overlapSeconds: 3600 });
 */
export interface SigningKeyRotation {
  key: CreatedSigningKey;
  previous: SigningKey;
}

/**
 * Your organization's settings.
 *
 * @example
 * const { requireSignedRequests } = await client.organization.get();
 */
export interface OrganizationSettings {
  id: string;
  name: string;
  /** Every request without a valid signature is refused. */
  requireSignedRequests: boolean;
}

/**
 * What `organization.update` takes.
 *
 * @example
 * await client.organization.update({ requireSignedRequests: true });
 */
export interface OrganizationUpdate {
  requireSignedRequests?: boolean;
}

/**
 * What the audit trail records.
 *
 * @example
 * const action: AuditAction = 'patient.read';
 */
export type AuditAction =
  | 'patient.create'
  | 'patient.read'
  | 'patient.list'
  | 'patient.update'
  | 'patient.export'
  | 'patient.erase'
  | 'booking.create'
  | 'booking.read'
  | 'booking.list'
  | 'booking.cancel'
  | 'booking.reschedule'
  | 'booking.mark';

/**
 * How an audited call ended: `denied` by a permission check, `not_found`, or `failed` with the
 * problem code in `problemCode`.
 *
 * @example
 * const outcome: AuditOutcome = 'not_found';
 */
export type AuditOutcome = 'success' | 'denied' | 'not_found' | 'failed';

/**
 * One entry of your audit trail. It holds ids and codes only, never patient details.
 *
 * @example
 * const event: AuditEvent = (await client.auditEvents.list()).data[0];
 * console.log(event.actor.credentialId, event.action, event.resourceIds);
 */
export interface AuditEvent {
  id: string;
  action: AuditAction;
  resourceType: 'patient' | 'booking';
  /** What the call touched: one id, or the ids a list returned. */
  resourceIds: string[];
  /** The patient the call was about, when there is one. */
  patientId: string | null;
  /** Rows a list returned. */
  resultCount: number | null;
  outcome: AuditOutcome;
  problemCode: string | null;
  actor: {
    /** `operator` for changes made by the gateway's operators. */
    type: 'partner' | 'operator';
    credentialId: string | null;
    /** The access token's id (`jti`). */
    tokenId: string | null;
  };
  requestId: string | null;
  clientIp: string | null;
  occurredAt: string;
}

/**
 * Filters for `client.auditEvents.list()`.
 *
 * @example
 * const params: AuditEventListParams = { resourceId: 'pat_k3m9q2x7w4n8p5rt' };
 */
export interface AuditEventListParams extends PageParams {
  action?: AuditAction;
  /** Entries about this resource, or about this patient when it is a patient id. */
  resourceId?: string;
  /** Entries at or after this instant. */
  from?: string;
  /** Entries before this instant. */
  to?: string;
}

/**
 * Everything held about one patient, from `client.patients.export()`.
 *
 * @example
 * const { bookings } = await client.patients.export('pat_k3m9q2x7w4n8p5rt');
 */
export interface PatientExport {
  patient: Patient;
  bookings: Booking[];
  auditEvents: AuditEvent[];
  exportedAt: string;
}

/**
 * The result of `client.patients.erase()`.
 *
 * @example
 * const { erasedAt } = await client.patients.erase('pat_k3m9q2x7w4n8p5rt');
 */
export interface PatientErasure {
  id: string;
  erasedAt: string;
  /** Sessions still to come that the erasure cancelled. */
  cancelledBookingIds: string[];
}

/**
 * What Tahoon tells you about, by webhook and through `client.events.list()`.
 *
 * @example
 * const type: EventType = 'booking.confirmed';
 */
export type EventType =
  | 'booking.created'
  | 'booking.confirmed'
  | 'booking.failed'
  | 'booking.cancelled'
  | 'booking.rescheduled'
  | 'booking.reminder'
  | 'booking.completed'
  | 'booking.no_show';

/**
 * One event of your organisation. It carries ids only; read the booking or patient through the
 * API for details.
 *
 * @example
 * const { data } = await client.events.list({ after: lastSeenId });
 * for (const event of data) if (event.type === 'booking.cancelled') refresh(event.data.bookingId);
 */
export interface TahoonEvent {
  /** `evt_…`; also the `webhook-id` header of every delivery of this event. */
  id: string;
  type: EventType;
  occurredAt: string;
  /** Ids only: `bookingId`, `patientId`, `providerId`. */
  data: Record<string, string>;
}

/**
 * The JSON body of a webhook delivery. The event id travels in the `webhook-id` header (the same
 * on every attempt and redelivery, so use it to drop duplicates); `timestamp` is when the event
 * occurred, the `occurredAt` of the same event in `client.events.list()`.
 *
 * @example
 * const payload = new Webhook(secret).verify(rawBody, headers) as WebhookPayload;
 * if (payload.type === 'booking.cancelled') await refresh(payload.data.bookingId);
 */
export interface WebhookPayload {
  type: EventType;
  timestamp: string;
  data: { bookingId: string; patientId?: string; providerId?: string };
}

/**
 * Where to start `client.events.list()`. Events come oldest first.
 *
 * @example
 * const params: EventListParams = { after: 'evt_k3m9q2x7w4n8p5rt', limit: 100 };
 */
export interface EventListParams {
  /** List the events after this one; from the first event when left out. */
  after?: string;
  /** Events per page, 1 to 100; the server's default is 50. */
  limit?: number;
}

/**
 * Which endpoints `client.events.redeliver()` sends the event to.
 *
 * @example
 * const params: EventRedeliverParams = { endpointId: 'wep_k3m9q2x7w4n8p5rt' };
 */
export interface EventRedeliverParams {
  /** Only this endpoint; every enabled endpoint whose filter takes the event when left out. */
  endpointId?: string;
}

/**
 * How many deliveries a redelivery or replay queued.
 *
 * @example
 * const { queued } = await client.events.redeliver('evt_k3m9q2x7w4n8p5rt');
 */
export interface Queued {
  queued: number;
}

/**
 * Why an endpoint stopped receiving deliveries: it answered `410 Gone`, it kept failing for
 * days, or you disabled it with `enabled: false`.
 *
 * @example
 * if (endpoint.disabledReason === 'sustained_failure') alertOps(endpoint.url);
 */
export type WebhookEndpointDisabledReason = 'gone' | 'sustained_failure' | 'manual';

/**
 * A URL Tahoon delivers your events to, signed the Standard Webhooks way. Its secret is shown
 * only at creation and rotation.
 *
 * @example
 * const endpoint: WebhookEndpoint = await client.webhookEndpoints.get('wep_k3m9q2x7w4n8p5rt');
 * if (!endpoint.enabled) console.log(endpoint.disabledReason);
 */
export interface WebhookEndpoint {
  /** `wep_…`. */
  id: string;
  url: string;
  description: string | null;
  /** Only these types are delivered; `null` means every type. */
  eventTypes: EventType[] | null;
  enabled: boolean;
  disabledReason: WebhookEndpointDisabledReason | null;
  disabledAt: string | null;
  /** While a rotation overlaps: when the previous secret stops signing. */
  previousSecretExpiresAt: string | null;
  consecutiveFailures: number;
  failingSince: string | null;
  createdAt: string;
  updatedAt: string;
}

/**
 * An endpoint with its signing secret, as `create` and `rotateSecret` answer it: store the
 * secret now, it is never shown again.
 *
 * @example
 * const { id, secret } = await client.webhookEndpoints.create({ url });
 */
export interface WebhookEndpointWithSecret extends WebhookEndpoint {
  /** `whsec_…`: verify deliveries with it. Shown once. */
  secret: string;
}

/**
 * Registering an endpoint. The URL must be https on a public host.
 *
 * @example
 * const input: WebhookEndpointCreate = {
 *   url: 'https://hooks.clinic.example/tahoon', eventTypes: ['booking.cancelled'],
 * };
 */
export interface WebhookEndpointCreate {
  url: string;
  description?: string;
  /** Only these types are delivered; every type when left out. */
  eventTypes?: EventType[];
}

/**
 * Changing an endpoint: `null` clears the description or the filter, `enabled: true` re-enables
 * a disabled endpoint and forgets its failures, `enabled: false` disables it.
 *
 * @example
 * const change: WebhookEndpointUpdate = { eventTypes: null, enabled: true };
 */
export interface WebhookEndpointUpdate {
  url?: string;
  description?: string | null;
  eventTypes?: EventType[] | null;
  enabled?: boolean;
}

/**
 * Rotating an endpoint's secret.
 *
 * @example
 * const params: WebhookSecretRotateParams = { overlapSeconds: 3600 };
 */
export interface WebhookSecretRotateParams {
  /** Seconds the old secret keeps signing beside the new one, up to a week; a day by default. */
  overlapSeconds?: number;
}

/**
 * What `webhookEndpoints.delete` answers.
 *
 * @example
 * const { deleted } = await client.webhookEndpoints.delete('wep_k3m9q2x7w4n8p5rt');
 */
export interface WebhookEndpointDeletion {
  id: string;
  deleted: true;
}

/**
 * Sending a range of past events to one endpoint again, oldest first.
 *
 * @example
 * const params: WebhookReplayParams = { after: 'evt_k3m9q2x7w4n8p5rt' };
 */
export interface WebhookReplayParams {
  /** Replay the events after this one. */
  after: string;
  /** …and before this one; up to the latest when left out. */
  before?: string;
}

/**
 * How a delivery attempt failed, besides an HTTP status: the URL was refused or did not
 * resolve, the attempt timed out, the network failed, the endpoint redirected, or it answered a
 * status other than 2xx.
 *
 * @example
 * const error: WebhookDeliveryError = 'timeout';
 */
export type WebhookDeliveryError =
  'url_refused' | 'unresolvable' | 'timeout' | 'network' | 'redirect' | 'http_status';

/**
 * One attempt to deliver one event to one endpoint.
 *
 * @example
 * for await (const attempt of client.webhookEndpoints.deliveries(endpointId)) {
 *   if (attempt.error) console.log(attempt.eventId, attempt.error, attempt.status);
 * }
 */
export interface WebhookDelivery {
  id: string;
  eventId: string;
  endpointId: string;
  /** 1 for the first attempt of this event at this endpoint. */
  attempt: number;
  /** The HTTP status the endpoint answered, if it answered. */
  status: number | null;
  error: WebhookDeliveryError | null;
  durationMs: number;
  attemptedAt: string;
}

/**
 * The platform of a patient's device.
 *
 * @example
 * const platform: DevicePlatform = 'ios';
 */
export type DevicePlatform = 'android' | 'ios' | 'web';

/**
 * A patient's device registered for push notifications. The token itself is never answered.
 *
 * @example
 * const device: Device = await client.devices.register(patientId, fcmToken, { platform: 'ios' });
 */
export interface Device {
  /** `dev_…`. */
  id: string;
  patientId: string;
  platform: DevicePlatform | null;
  createdAt: string;
}

/**
 * Registering a device.
 *
 * @example
 * const params: DeviceRegisterParams = { platform: 'android' };
 */
export interface DeviceRegisterParams {
  platform?: DevicePlatform;
}

/**
 * What `devices.remove` answers.
 *
 * @example
 * const { deleted } = await client.devices.remove(patientId, fcmToken);
 */
export interface DeviceRemoval {
  deleted: true;
}

/**
 * One client secret of a credential, without the secret itself: that is shown once, when it is
 * issued.
 *
 * @example
 * const newest = credential.secrets.at(-1)?.createdAt;
 */
export interface CredentialSecret {
  /** `csec_…`. */
  id: string;
  createdAt: string;
  /** Set when a rotation ends this secret. */
  expiresAt: string | null;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

/**
 * A client credential of your organization, with its secrets (two while a rotation overlaps).
 *
 * @example
 * const { data } = await client.credentials.list();
 * const stale = data.filter((c) => c.status === 'active' && c.lastUsedAt === null);
 */
export interface Credential {
  /** `cred_…`: the OAuth `client_id`. */
  id: string;
  label: string | null;
  scopes: string[];
  status: 'active' | 'revoked' | 'expired';
  createdAt: string;
  expiresAt: string | null;
  revokedAt: string | null;
  lastUsedAt: string | null;
  secrets: CredentialSecret[];
}

/**
 * A new credential with its first client secret: store the secret now, it is never shown again.
 *
 * @example
 * const { id: clientId, clientSecret } = await client.credentials.create({ label: 'Reminders' });
 */
export interface CreatedCredential extends Credential {
  /** `tk_…`. Shown once. */
  clientSecret: string;
}

/**
 * Creating a credential. Without `scopes` it gets every scope the calling token holds; it can
 * never get one the caller does not hold.
 *
 * @example
 * const input: CredentialCreate = { label: 'Booking service', scopes: ['bookings:read'] };
 */
export interface CredentialCreate {
  label?: string;
  /** Scopes such as `patients:read`, `webhooks:manage`, `events:read`. */
  scopes?: string[];
}

/**
 * Rotating a credential's secret.
 *
 * @example
 * const params: CredentialRotateParams = { previousSecretExpiresInSeconds: 3600 };
 */
export interface CredentialRotateParams {
  /**
   * Seconds the credential's current secrets keep working: a day by default, at most a week;
   * `0` ends them now.
   */
  previousSecretExpiresInSeconds?: number;
}

/**
 * A rotation: the new client secret, shown this once, and when the previous ones stop working.
 *
 * @example
 * const { clientId, clientSecret } = await client.credentials.rotate('cred_k3m9q2x7w4n8p5rt');
 */
export interface CredentialRotation {
  clientId: string;
  /** `tk_…`. Shown once. */
  clientSecret: string;
  /** `csec_…`: the new secret's id in `credential.secrets`. */
  secretId: string;
  previousSecretsExpireAt: string;
  credential: Credential;
}
