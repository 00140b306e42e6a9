export { Tahoon } from './client.js';
export {
  type ApiErrorCode,
  type ConnectionErrorCode,
  type ServerErrorCode,
  type TahoonErrorCode,
  TahoonApiError,
  TahoonConnectionError,
  TahoonError,
} from './errors.js';
export type { FetchLike, RequestOptions, TahoonOptions, WriteRequestOptions } from './options.js';
export type { Page, PagePromise, WithRequestId } from './pagination.js';
export type { AuditEventsApi } from './resources/audit-events.js';
export type { BookingsApi } from './resources/bookings.js';
export type { CatalogueApi } from './resources/catalogue.js';
export type { CredentialsApi } from './resources/credentials.js';
export type { DevicesApi } from './resources/devices.js';
export type { EventsApi } from './resources/events.js';
export type { PatientsApi } from './resources/patients.js';
export type { ProvidersApi } from './resources/providers.js';
export type { OrganizationApi } from './resources/organization.js';
export type { SigningKeysApi } from './resources/signing-keys.js';
export type { WebhookEndpointsApi } from './resources/webhook-endpoints.js';
export type * from './types.js';
export type { SigningOptions } from './signing.js';
