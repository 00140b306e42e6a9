import { Http } from './http.js';
import { type TahoonOptions, checkClientOptions } from './options.js';
import { type AuditEventsApi, auditEventsApi } from './resources/audit-events.js';
import { type BookingsApi, bookingsApi } from './resources/bookings.js';
import { type CatalogueApi, catalogueApi } from './resources/catalogue.js';
import { type CredentialsApi, credentialsApi } from './resources/credentials.js';
import { type DevicesApi, devicesApi } from './resources/devices.js';
import { type EventsApi, eventsApi } from './resources/events.js';
import { type PatientsApi, patientsApi } from './resources/patients.js';
import { type ProvidersApi, providersApi } from './resources/providers.js';
import { type OrganizationApi, organizationApi } from './resources/organization.js';
import { type SigningKeysApi, signingKeysApi } from './resources/signing-keys.js';
import { type WebhookEndpointsApi, webhookEndpointsApi } from './resources/webhook-endpoints.js';

/**
 * A client for Tahoon's partner gateway. It gets its own OAuth token on the first call, replaces
 * it a minute before it expires, and retries what is safe to retry. Make one per set of
 * credentials and share it: concurrent calls share one token.
 *
 * @example
 * import { Tahoon } from '@tahoon/sdk';
 *
 * const tahoon = new Tahoon({
 *   baseUrl: 'https://gateway.tahoon.example',
 *   clientId: process.env.TAHOON_CLIENT_ID!,
 *   clientSecret: process.env.TAHOON_CLIENT_SECRET!,
 * });
 *
 * const { data: providers } = await tahoon.providers.search({ specialty: 'anxiety' });
 */
export class Tahoon {
  /** The values provider filters accept. */
  readonly catalogue: CatalogueApi;
  /** Your organisation's patients. */
  readonly patients: PatientsApi;
  /** Providers and their free slots. */
  readonly providers: ProvidersApi;
  /** Video sessions: book, read, list, cancel. */
  readonly bookings: BookingsApi;
  /** Signing keys for signed requests (scope `credentials:admin`). */
  readonly signingKeys: SigningKeysApi;
  /** Your organization's settings (scope `credentials:admin`). */
  readonly organization: OrganizationApi;
  /** Your organisation's audit trail. */
  readonly auditEvents: AuditEventsApi;
  /** Your patients' devices for push notifications (scope `patients:write`). */
  readonly devices: DevicesApi;
  /** Where your events are delivered (scope `webhooks:manage`). */
  readonly webhookEndpoints: WebhookEndpointsApi;
  /** Your events in order, to recover what a webhook missed (scope `events:read`). */
  readonly events: EventsApi;
  /** Your organization's client credentials (scope `credentials:admin`). */
  readonly credentials: CredentialsApi;

  /**
   * @throws TypeError naming every unknown or invalid option.
   */
  constructor(options: TahoonOptions) {
    const http = new Http(checkClientOptions(options));
    this.catalogue = catalogueApi(http);
    this.patients = patientsApi(http);
    this.providers = providersApi(http);
    this.bookings = bookingsApi(http);
    this.signingKeys = signingKeysApi(http);
    this.organization = organizationApi(http);
    this.auditEvents = auditEventsApi(http);
    this.devices = devicesApi(http);
    this.webhookEndpoints = webhookEndpointsApi(http);
    this.events = eventsApi(http);
    this.credentials = credentialsApi(http);
  }
}
