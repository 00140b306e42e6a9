import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  callTrpc,
  expectProblemDocument,
  patientInput,
  problemShape,
  procedureNames,
  restRoute,
  UNKNOWN,
  type ProblemBody,
  type Transport,
  type TrpcAnswer,
} from './acceptance.js';
import { createTestGateway, DB_KINDS, rest, type Answer, type TestGateway } from './harness.js';
import { insertEvent } from './notifications-helpers.js';

/** Asia/Riyadh psychologist, licensed in SA, 30 and 50 minutes, Sunday to Thursday. */
const PROVIDER = 'prv_sjnpfzd39nd2qv6w';
/** Asia/Riyadh psychiatrist, 30 and 60 minutes, evenings from 17:00. */
const PSYCHIATRIST = 'prv_rpqgmzb9h4zhrq46';

/** Tuesday evening in Riyadh: the shared booking every read row sees. */
const READ_START = '2027-03-02T17:00:00+03:00';
/** Wednesday morning: booked by REST, cancelled, then booked again by tRPC. */
const CREATE_START = '2027-03-03T10:00:00+03:00';
/** Wednesday afternoon: each transport books it and cancels its own booking. */
const CANCEL_START = '2027-03-03T16:00:00+03:00';
/** Wednesday evening: where each transport moves its own freshly booked session. */
const RESCHEDULE_START = '2027-03-03T18:00:00+03:00';
/** Thursday morning: a booking cancelled during setup. */
const CANCELLED_START = '2027-03-04T10:00:00+03:00';

/** Resources created once, as partner A, before the rows run. */
interface Fixture {
  readPatient: string;
  otherPatient: string;
  bookPatient: string;
  cancelPatient: string;
  readBooking: string;
  cancelledBooking: string;
}

interface RestCall {
  method: string;
  path: string;
  body?: unknown;
}

/** A field that differs between the two answers only because each call made its own resource. */
type Fresh =
  | 'id'
  | 'externalId'
  | 'video'
  | 'secret'
  | 'key'
  | 'previous'
  | 'auditEvents'
  | 'clientId'
  | 'clientSecret'
  | 'secretId'
  | 'secrets'
  | 'credential';

interface ParityRow {
  name: string;
  procedure: string;
  rest: (f: Fixture, made: string) => RestCall;
  trpc: (f: Fixture, made: string) => unknown;
  status: number;
  /** For refusals: the code both transports must answer with, and a field it must name. */
  code?: string;
  pointer?: string;
  /** Send no token. */
  anonymous?: boolean;
  /** Runs before each transport's call and hands it the id of a resource made for it alone. */
  prepare?: (gw: TestGateway, f: Fixture, transport: Transport) => Promise<string>;
  fresh?: Fresh[];
}

const slotsWindow = { from: '2027-03-02T00:00:00Z', to: '2027-03-04T00:00:00Z' };

/** A REST path with its query encoded as a partner's HTTP client would encode it. */
function withQuery(path: string, query: Record<string, string | number>): string {
  const params = new URLSearchParams(Object.entries(query).map(([k, v]) => [k, String(v)]));
  return `${path}?${params.toString()}`;
}

const EARLIEST_WINDOW = { availableFrom: slotsWindow.from, availableTo: slotsWindow.to };

const slotsPath = (id: string, query: Record<string, string | number>) =>
  withQuery(`/v1/providers/${id}/slots`, query);

const booking = (patientId: string, start: string, duration: number, providerId = PROVIDER) => ({
  patientId,
  providerId,
  start,
  duration,
});

const PATIENT_PATCH = { givenName: 'Layla', language: 'ar-SA', phone: '+966501234567' };

const HOOK = { url: 'https://hooks.partner.example/parity', description: 'Parity' };
const DEVICE = 'parityDevice:APA91bParityRegistrationToken';
const UNKNOWN_ENDPOINT = 'wep_k3m9q2x7w4n8p5rt';
const UNKNOWN_EVENT = 'evt_k3m9q2x7w4n8p5rt';

async function registerEndpoint(gw: TestGateway): Promise<string> {
  const answer = await rest(gw, 'POST', '/v1/webhook-endpoints', {
    token: gw.partnerA.token,
    body: HOOK,
  });
  if (answer.status !== 201) throw new Error(`could not register an endpoint: ${answer.status}`);
  return (answer.body as { id: string }).id;
}

/** An event of partner A, as the booking flow writes them. */
const partnerEvent = (gw: TestGateway) =>
  insertEvent(gw, gw.partnerA.organizationId, 'booking.confirmed', {
    bookingId: UNKNOWN.booking,
  });

/** The webhook, event and device procedures: a success and an unauthenticated row each. */
const NOTIFICATION_ROWS: ParityRow[] = [
  {
    name: 'registers a webhook endpoint',
    procedure: 'webhookEndpoints.create',
    rest: () => ({ method: 'POST', path: '/v1/webhook-endpoints', body: HOOK }),
    trpc: () => HOOK,
    status: 201,
    fresh: ['id', 'secret'],
  },
  {
    name: 'refuses a webhook URL inside the network',
    procedure: 'webhookEndpoints.create',
    rest: () => ({
      method: 'POST',
      path: '/v1/webhook-endpoints',
      body: { url: 'https://169.254.169.254/' },
    }),
    trpc: () => ({ url: 'https://169.254.169.254/' }),
    status: 400,
    code: 'VALIDATION_FAILED',
    pointer: '/url',
  },
  {
    name: 'refuses an endpoint registration without a token',
    procedure: 'webhookEndpoints.create',
    anonymous: true,
    rest: () => ({ method: 'POST', path: '/v1/webhook-endpoints', body: HOOK }),
    trpc: () => HOOK,
    status: 401,
    code: 'UNAUTHENTICATED',
  },
  {
    name: 'lists webhook endpoints',
    procedure: 'webhookEndpoints.list',
    rest: () => ({ method: 'GET', path: '/v1/webhook-endpoints' }),
    trpc: () => ({}),
    status: 200,
  },
  {
    name: 'refuses an endpoint list without a token',
    procedure: 'webhookEndpoints.list',
    anonymous: true,
    rest: () => ({ method: 'GET', path: '/v1/webhook-endpoints' }),
    trpc: () => ({}),
    status: 401,
    code: 'UNAUTHENTICATED',
  },
  {
    name: 'reads a webhook endpoint',
    procedure: 'webhookEndpoints.get',
    prepare: (gw) => registerEndpoint(gw),
    rest: (_f, id) => ({ method: 'GET', path: `/v1/webhook-endpoints/${id}` }),
    trpc: (_f, id) => ({ id }),
    status: 200,
    fresh: ['id'],
  },
  {
    name: 'answers 404 for an unknown endpoint',
    procedure: 'webhookEndpoints.get',
    rest: () => ({ method: 'GET', path: `/v1/webhook-endpoints/${UNKNOWN_ENDPOINT}` }),
    trpc: () => ({ id: UNKNOWN_ENDPOINT }),
    status: 404,
    code: 'NOT_FOUND',
  },
  {
    name: 'refuses an endpoint read without a token',
    procedure: 'webhookEndpoints.get',
    anonymous: true,
    rest: () => ({ method: 'GET', path: `/v1/webhook-endpoints/${UNKNOWN_ENDPOINT}` }),
    trpc: () => ({ id: UNKNOWN_ENDPOINT }),
    status: 401,
    code: 'UNAUTHENTICATED',
  },
  {
    name: 'disables a webhook endpoint',
    procedure: 'webhookEndpoints.update',
    prepare: (gw) => registerEndpoint(gw),
    rest: (_f, id) => ({
      method: 'PATCH',
      path: `/v1/webhook-endpoints/${id}`,
      body: { enabled: false },
    }),
    trpc: (_f, id) => ({ id, enabled: false }),
    status: 200,
    fresh: ['id'],
  },
  {
    name: 'refuses an endpoint change without a token',
    procedure: 'webhookEndpoints.update',
    anonymous: true,
    rest: () => ({
      method: 'PATCH',
      path: `/v1/webhook-endpoints/${UNKNOWN_ENDPOINT}`,
      body: { enabled: false },
    }),
    trpc: () => ({ id: UNKNOWN_ENDPOINT, enabled: false }),
    status: 401,
    code: 'UNAUTHENTICATED',
  },
  {
    name: 'removes a webhook endpoint',
    procedure: 'webhookEndpoints.delete',
    prepare: (gw) => registerEndpoint(gw),
    rest: (_f, id) => ({ method: 'DELETE', path: `/v1/webhook-endpoints/${id}` }),
    trpc: (_f, id) => ({ id }),
    status: 200,
    fresh: ['id'],
  },
  {
    name: 'refuses an endpoint removal without a token',
    procedure: 'webhookEndpoints.delete',
    anonymous: true,
    rest: () => ({ method: 'DELETE', path: `/v1/webhook-endpoints/${UNKNOWN_ENDPOINT}` }),
    trpc: () => ({ id: UNKNOWN_ENDPOINT }),
    status: 401,
    code: 'UNAUTHENTICATED',
  },
  {
    name: "rotates an endpoint's secret",
    procedure: 'webhookEndpoints.rotateSecret',
    prepare: (gw) => registerEndpoint(gw),
    rest: (_f, id) => ({
      method: 'POST',
      path: `/v1/webhook-endpoints/${id}/rotate-secret`,
      body: { overlapSeconds: 600 },
    }),
    trpc: (_f, id) => ({ id, overlapSeconds: 600 }),
    status: 200,
    fresh: ['id', 'secret'],
  },
  {
    name: 'refuses a rotation without a token',
    procedure: 'webhookEndpoints.rotateSecret',
    anonymous: true,
    rest: () => ({
      method: 'POST',
      path: `/v1/webhook-endpoints/${UNKNOWN_ENDPOINT}/rotate-secret`,
    }),
    trpc: () => ({ id: UNKNOWN_ENDPOINT }),
    status: 401,
    code: 'UNAUTHENTICATED',
  },
  {
    name: "lists an endpoint's deliveries",
    procedure: 'webhookEndpoints.deliveries',
    prepare: (gw) => registerEndpoint(gw),
    rest: (_f, id) => ({ method: 'GET', path: `/v1/webhook-endpoints/${id}/deliveries?limit=5` }),
    trpc: (_f, id) => ({ id, limit: 5 }),
    status: 200,
  },
  {
    name: 'refuses a delivery log without a token',
    procedure: 'webhookEndpoints.deliveries',
    anonymous: true,
    rest: () => ({ method: 'GET', path: `/v1/webhook-endpoints/${UNKNOWN_ENDPOINT}/deliveries` }),
    trpc: () => ({ id: UNKNOWN_ENDPOINT }),
    status: 401,
    code: 'UNAUTHENTICATED',
  },
  {
    name: 'replays events to an endpoint',
    procedure: 'webhookEndpoints.replay',
    prepare: async (gw) => `${await registerEndpoint(gw)} ${await partnerEvent(gw)}`,
    rest: (_f, made) => ({
      method: 'POST',
      path: `/v1/webhook-endpoints/${made.split(' ')[0]}/replay`,
      body: { after: made.split(' ')[1] },
    }),
    trpc: (_f, made) => ({ id: made.split(' ')[0], after: made.split(' ')[1] }),
    status: 200,
  },
  {
    name: 'answers 404 for a replay after an unknown event',
    procedure: 'webhookEndpoints.replay',
    prepare: (gw) => registerEndpoint(gw),
    rest: (_f, id) => ({
      method: 'POST',
      path: `/v1/webhook-endpoints/${id}/replay`,
      body: { after: UNKNOWN_EVENT },
    }),
    trpc: (_f, id) => ({ id, after: UNKNOWN_EVENT }),
    status: 404,
    code: 'NOT_FOUND',
    pointer: '/after',
  },
  {
    name: 'refuses a replay without a token',
    procedure: 'webhookEndpoints.replay',
    anonymous: true,
    rest: () => ({
      method: 'POST',
      path: `/v1/webhook-endpoints/${UNKNOWN_ENDPOINT}/replay`,
      body: { after: UNKNOWN_EVENT },
    }),
    trpc: () => ({ id: UNKNOWN_ENDPOINT, after: UNKNOWN_EVENT }),
    status: 401,
    code: 'UNAUTHENTICATED',
  },
  {
    name: 'lists events',
    procedure: 'events.list',
    rest: () => ({ method: 'GET', path: '/v1/events?limit=5' }),
    trpc: () => ({ limit: 5 }),
    status: 200,
  },
  {
    name: 'refuses a malformed after',
    procedure: 'events.list',
    rest: () => ({ method: 'GET', path: '/v1/events?after=evt_x' }),
    trpc: () => ({ after: 'evt_x' }),
    status: 400,
    code: 'VALIDATION_FAILED',
    pointer: '/after',
  },
  {
    name: 'refuses the events list without a token',
    procedure: 'events.list',
    anonymous: true,
    rest: () => ({ method: 'GET', path: '/v1/events' }),
    trpc: () => ({}),
    status: 401,
    code: 'UNAUTHENTICATED',
  },
  {
    name: 'queues an event for redelivery',
    procedure: 'events.redeliver',
    prepare: (gw) => partnerEvent(gw),
    rest: (_f, id) => ({ method: 'POST', path: `/v1/events/${id}/redeliver`, body: {} }),
    trpc: (_f, id) => ({ id }),
    status: 200,
  },
  {
    name: 'answers 404 for a redelivery of an unknown event',
    procedure: 'events.redeliver',
    rest: () => ({ method: 'POST', path: `/v1/events/${UNKNOWN_EVENT}/redeliver`, body: {} }),
    trpc: () => ({ id: UNKNOWN_EVENT }),
    status: 404,
    code: 'NOT_FOUND',
  },
  {
    name: 'refuses a redelivery without a token',
    procedure: 'events.redeliver',
    anonymous: true,
    rest: () => ({ method: 'POST', path: `/v1/events/${UNKNOWN_EVENT}/redeliver` }),
    trpc: () => ({ id: UNKNOWN_EVENT }),
    status: 401,
    code: 'UNAUTHENTICATED',
  },
  {
    name: "registers a patient's device",
    procedure: 'devices.register',
    rest: (f) => ({
      method: 'PUT',
      path: `/v1/patients/${f.readPatient}/devices/${DEVICE}`,
      body: { platform: 'ios' },
    }),
    trpc: (f) => ({ id: f.readPatient, token: DEVICE, platform: 'ios' }),
    status: 200,
  },
  {
    name: 'answers 404 for a device of an unknown patient',
    procedure: 'devices.register',
    rest: () => ({ method: 'PUT', path: `/v1/patients/${UNKNOWN.patient}/devices/${DEVICE}` }),
    trpc: () => ({ id: UNKNOWN.patient, token: DEVICE }),
    status: 404,
    code: 'NOT_FOUND',
  },
  {
    name: 'refuses a device registration without a token',
    procedure: 'devices.register',
    anonymous: true,
    rest: (f) => ({ method: 'PUT', path: `/v1/patients/${f.readPatient}/devices/${DEVICE}` }),
    trpc: (f) => ({ id: f.readPatient, token: DEVICE }),
    status: 401,
    code: 'UNAUTHENTICATED',
  },
  {
    name: "removes a patient's device",
    procedure: 'devices.remove',
    prepare: async (gw, f, transport) => {
      const token = `${DEVICE}-${transport}`;
      const path = `/v1/patients/${f.readPatient}/devices/${token}`;
      await rest(gw, 'PUT', path, { token: gw.partnerA.token, body: {} });
      return token;
    },
    rest: (f, token) => ({
      method: 'DELETE',
      path: `/v1/patients/${f.readPatient}/devices/${token}`,
    }),
    trpc: (f, token) => ({ id: f.readPatient, token }),
    status: 200,
  },
  {
    name: 'refuses a device removal without a token',
    procedure: 'devices.remove',
    anonymous: true,
    rest: (f) => ({ method: 'DELETE', path: `/v1/patients/${f.readPatient}/devices/${DEVICE}` }),
    trpc: (f) => ({ id: f.readPatient, token: DEVICE }),
    status: 401,
    code: 'UNAUTHENTICATED',
  },
];

/** Every procedure, with success and refusal rows; the coverage test keeps this complete. */
const ROWS: ParityRow[] = [
  // catalogue.get
  {
    name: 'reads the catalogue',
    procedure: 'catalogue.get',
    rest: () => ({ method: 'GET', path: '/v1/catalogue' }),
    trpc: () => ({}),
    status: 200,
  },
  {
    name: 'refuses the catalogue without a token',
    procedure: 'catalogue.get',
    anonymous: true,
    rest: () => ({ method: 'GET', path: '/v1/catalogue' }),
    trpc: () => ({}),
    status: 401,
    code: 'UNAUTHENTICATED',
  },
  {
    name: 'refuses an unknown catalogue filter',
    procedure: 'catalogue.get',
    rest: () => ({ method: 'GET', path: '/v1/catalogue?lang=ar' }),
    trpc: () => ({ lang: 'ar' }),
    status: 400,
    code: 'VALIDATION_FAILED',
    pointer: '/lang',
  },

  // patients.create
  {
    name: 'registers a patient',
    procedure: 'patients.create',
    rest: () => ({
      method: 'POST',
      path: '/v1/patients',
      body: { ...patientInput('parity-create-rest'), email: 'n@example.org' },
    }),
    trpc: () => ({ ...patientInput('parity-create-trpc'), email: 'n@example.org' }),
    status: 201,
    fresh: ['id', 'externalId'],
  },
  {
    name: 'refuses a registration with a missing and an invalid field',
    procedure: 'patients.create',
    rest: () => ({
      method: 'POST',
      path: '/v1/patients',
      body: { ...patientInput('x'), familyName: undefined, email: 'x' },
    }),
    trpc: () => ({ ...patientInput('x'), familyName: undefined, email: 'x' }),
    status: 400,
    code: 'VALIDATION_FAILED',
    pointer: '/familyName',
  },
  {
    name: 'refuses an externalId already registered',
    procedure: 'patients.create',
    rest: () => ({ method: 'POST', path: '/v1/patients', body: patientInput('parity-read') }),
    trpc: () => patientInput('parity-read'),
    status: 409,
    code: 'PATIENT_EXISTS',
    pointer: '/externalId',
  },
  {
    name: 'refuses a registration without a token',
    procedure: 'patients.create',
    anonymous: true,
    rest: () => ({ method: 'POST', path: '/v1/patients', body: patientInput('parity-anon') }),
    trpc: () => patientInput('parity-anon'),
    status: 401,
    code: 'UNAUTHENTICATED',
  },

  // patients.get
  {
    name: 'reads a patient',
    procedure: 'patients.get',
    rest: (f) => ({ method: 'GET', path: `/v1/patients/${f.readPatient}` }),
    trpc: (f) => ({ id: f.readPatient }),
    status: 200,
  },
  {
    name: 'answers 404 for an unknown patient',
    procedure: 'patients.get',
    rest: () => ({ method: 'GET', path: `/v1/patients/${UNKNOWN.patient}` }),
    trpc: () => ({ id: UNKNOWN.patient }),
    status: 404,
    code: 'NOT_FOUND',
  },
  {
    name: 'refuses a malformed patient id',
    procedure: 'patients.get',
    rest: () => ({ method: 'GET', path: '/v1/patients/pat_x' }),
    trpc: () => ({ id: 'pat_x' }),
    status: 400,
    code: 'VALIDATION_FAILED',
    pointer: '/id',
  },
  {
    name: 'refuses a patient read without a token',
    procedure: 'patients.get',
    anonymous: true,
    rest: (f) => ({ method: 'GET', path: `/v1/patients/${f.readPatient}` }),
    trpc: (f) => ({ id: f.readPatient }),
    status: 401,
    code: 'UNAUTHENTICATED',
  },

  // patients.update
  {
    name: 'changes some fields of a patient',
    procedure: 'patients.update',
    prepare: (gw, _f, transport) => registerPatient(gw, `parity-update-${transport}`),
    rest: (_f, id) => ({ method: 'PATCH', path: `/v1/patients/${id}`, body: PATIENT_PATCH }),
    trpc: (_f, id) => ({ id, ...PATIENT_PATCH }),
    status: 200,
    fresh: ['id', 'externalId'],
  },
  {
    name: 'answers 404 for a change to an unknown patient',
    procedure: 'patients.update',
    rest: () => ({ method: 'PATCH', path: `/v1/patients/${UNKNOWN.patient}`, body: PATIENT_PATCH }),
    trpc: () => ({ id: UNKNOWN.patient, ...PATIENT_PATCH }),
    status: 404,
    code: 'NOT_FOUND',
  },
  {
    name: 'refuses an invalid email in a change',
    procedure: 'patients.update',
    rest: (f) => ({
      method: 'PATCH',
      path: `/v1/patients/${f.readPatient}`,
      body: { email: 'nope' },
    }),
    trpc: (f) => ({ id: f.readPatient, email: 'nope' }),
    status: 400,
    code: 'VALIDATION_FAILED',
    pointer: '/email',
  },
  {
    name: "refuses taking another patient's externalId",
    procedure: 'patients.update',
    rest: (f) => ({
      method: 'PATCH',
      path: `/v1/patients/${f.readPatient}`,
      body: { externalId: 'parity-other' },
    }),
    trpc: (f) => ({ id: f.readPatient, externalId: 'parity-other' }),
    status: 409,
    code: 'PATIENT_EXISTS',
    pointer: '/externalId',
  },
  {
    name: 'refuses a change without a token',
    procedure: 'patients.update',
    anonymous: true,
    rest: (f) => ({ method: 'PATCH', path: `/v1/patients/${f.readPatient}`, body: PATIENT_PATCH }),
    trpc: (f) => ({ id: f.readPatient, ...PATIENT_PATCH }),
    status: 401,
    code: 'UNAUTHENTICATED',
  },

  // patients.list
  {
    name: 'lists patients by externalId',
    procedure: 'patients.list',
    rest: () => ({ method: 'GET', path: '/v1/patients?externalId=parity-read&limit=5' }),
    trpc: () => ({ externalId: 'parity-read', limit: 5 }),
    status: 200,
  },
  {
    name: 'lists a page of patients',
    procedure: 'patients.list',
    rest: () => ({ method: 'GET', path: '/v1/patients?limit=2' }),
    trpc: () => ({ limit: 2 }),
    status: 200,
  },
  {
    name: 'refuses a page size of zero',
    procedure: 'patients.list',
    rest: () => ({ method: 'GET', path: '/v1/patients?limit=0' }),
    trpc: () => ({ limit: 0 }),
    status: 400,
    code: 'VALIDATION_FAILED',
    pointer: '/limit',
  },
  {
    name: 'refuses a cursor it never issued',
    procedure: 'patients.list',
    rest: () => ({ method: 'GET', path: '/v1/patients?cursor=abc' }),
    trpc: () => ({ cursor: 'abc' }),
    status: 400,
    code: 'VALIDATION_FAILED',
    pointer: '/cursor',
  },
  {
    name: 'refuses a patient list without a token',
    procedure: 'patients.list',
    anonymous: true,
    rest: () => ({ method: 'GET', path: '/v1/patients' }),
    trpc: () => ({}),
    status: 401,
    code: 'UNAUTHENTICATED',
  },

  // providers.search
  {
    name: 'searches providers',
    procedure: 'providers.search',
    rest: () => ({ method: 'GET', path: '/v1/providers?region=SA&language=ar&limit=5' }),
    trpc: () => ({ region: 'SA', language: 'ar', limit: 5 }),
    status: 200,
  },
  {
    name: 'searches providers by earliest availability',
    procedure: 'providers.search',
    rest: () => ({
      method: 'GET',
      path: withQuery('/v1/providers', { sort: 'earliest', ...EARLIEST_WINDOW, limit: 3 }),
    }),
    trpc: () => ({ sort: 'earliest', ...EARLIEST_WINDOW, limit: 3 }),
    status: 200,
  },
  {
    name: 'refuses maxPrice without a currency',
    procedure: 'providers.search',
    rest: () => ({ method: 'GET', path: '/v1/providers?maxPrice=30000' }),
    trpc: () => ({ maxPrice: 30000 }),
    status: 400,
    code: 'VALIDATION_FAILED',
    pointer: '/currency',
  },
  {
    name: 'refuses a search without a token',
    procedure: 'providers.search',
    anonymous: true,
    rest: () => ({ method: 'GET', path: '/v1/providers' }),
    trpc: () => ({}),
    status: 401,
    code: 'UNAUTHENTICATED',
  },

  // providers.get
  {
    name: 'reads a provider',
    procedure: 'providers.get',
    rest: () => ({ method: 'GET', path: `/v1/providers/${PROVIDER}` }),
    trpc: () => ({ id: PROVIDER }),
    status: 200,
  },
  {
    name: 'answers 404 for an unknown provider',
    procedure: 'providers.get',
    rest: () => ({ method: 'GET', path: `/v1/providers/${UNKNOWN.provider}` }),
    trpc: () => ({ id: UNKNOWN.provider }),
    status: 404,
    code: 'NOT_FOUND',
  },
  {
    name: 'refuses a malformed provider id',
    procedure: 'providers.get',
    rest: () => ({ method: 'GET', path: '/v1/providers/prv_' }),
    trpc: () => ({ id: 'prv_' }),
    status: 400,
    code: 'VALIDATION_FAILED',
    pointer: '/id',
  },
  {
    name: 'refuses a provider read without a token',
    procedure: 'providers.get',
    anonymous: true,
    rest: () => ({ method: 'GET', path: `/v1/providers/${PROVIDER}` }),
    trpc: () => ({ id: PROVIDER }),
    status: 401,
    code: 'UNAUTHENTICATED',
  },

  // providers.slots
  {
    name: 'lists free slots in the provider’s zone',
    procedure: 'providers.slots',
    rest: () => ({
      method: 'GET',
      path: slotsPath(PROVIDER, { ...slotsWindow, duration: 50, timeZone: 'Asia/Riyadh' }),
    }),
    trpc: () => ({ id: PROVIDER, ...slotsWindow, duration: 50, timeZone: 'Asia/Riyadh' }),
    status: 200,
  },
  {
    name: 'refuses slots for a duration not offered',
    procedure: 'providers.slots',
    rest: () => ({
      method: 'GET',
      path: slotsPath(PROVIDER, { ...slotsWindow, duration: 45 }),
    }),
    trpc: () => ({ id: PROVIDER, ...slotsWindow, duration: 45 }),
    status: 422,
    code: 'NOT_ELIGIBLE',
    pointer: '/duration',
  },
  {
    name: 'refuses a window that ends before it starts',
    procedure: 'providers.slots',
    rest: () => ({
      method: 'GET',
      path: slotsPath(PROVIDER, { from: slotsWindow.to, to: slotsWindow.from, duration: 50 }),
    }),
    trpc: () => ({ id: PROVIDER, from: slotsWindow.to, to: slotsWindow.from, duration: 50 }),
    status: 400,
    code: 'VALIDATION_FAILED',
    pointer: '/to',
  },
  {
    name: 'answers 404 for the slots of an unknown provider',
    procedure: 'providers.slots',
    rest: () => ({
      method: 'GET',
      path: slotsPath(UNKNOWN.provider, { ...slotsWindow, duration: 50 }),
    }),
    trpc: () => ({ id: UNKNOWN.provider, ...slotsWindow, duration: 50 }),
    status: 404,
    code: 'NOT_FOUND',
  },
  {
    name: 'refuses slots without a token',
    procedure: 'providers.slots',
    anonymous: true,
    rest: () => ({
      method: 'GET',
      path: slotsPath(PROVIDER, { ...slotsWindow, duration: 50 }),
    }),
    trpc: () => ({ id: PROVIDER, ...slotsWindow, duration: 50 }),
    status: 401,
    code: 'UNAUTHENTICATED',
  },

  // bookings.create
  {
    name: 'books a session',
    procedure: 'bookings.create',
    // The tRPC call books the very slot REST booked, once REST's booking is cancelled.
    prepare: async (gw, f, transport) => {
      if (transport === 'trpc') await cancelActiveBookingsOf(gw, f.bookPatient);
      return '';
    },
    rest: (f) => ({
      method: 'POST',
      path: '/v1/bookings',
      body: booking(f.bookPatient, CREATE_START, 50),
    }),
    trpc: (f) => booking(f.bookPatient, CREATE_START, 50),
    status: 201,
    fresh: ['id', 'video'],
  },
  {
    name: 'refuses a slot that is taken',
    procedure: 'bookings.create',
    rest: (f) => ({
      method: 'POST',
      path: '/v1/bookings',
      body: booking(f.otherPatient, READ_START, 50),
    }),
    trpc: (f) => booking(f.otherPatient, READ_START, 50),
    status: 409,
    code: 'SLOT_UNAVAILABLE',
  },
  {
    name: 'refuses a patient who already has a session then',
    procedure: 'bookings.create',
    rest: (f) => ({
      method: 'POST',
      path: '/v1/bookings',
      body: booking(f.readPatient, READ_START, 30, PSYCHIATRIST),
    }),
    trpc: (f) => booking(f.readPatient, READ_START, 30, PSYCHIATRIST),
    status: 409,
    code: 'PATIENT_BUSY',
  },
  {
    name: 'refuses a duration the provider does not offer',
    procedure: 'bookings.create',
    rest: (f) => ({
      method: 'POST',
      path: '/v1/bookings',
      body: booking(f.bookPatient, CREATE_START, 45),
    }),
    trpc: (f) => booking(f.bookPatient, CREATE_START, 45),
    status: 422,
    code: 'NOT_ELIGIBLE',
    pointer: '/duration',
  },
  {
    name: 'refuses a start in the past',
    procedure: 'bookings.create',
    rest: (f) => ({
      method: 'POST',
      path: '/v1/bookings',
      body: booking(f.bookPatient, '2027-02-28T10:00:00+03:00', 50),
    }),
    trpc: (f) => booking(f.bookPatient, '2027-02-28T10:00:00+03:00', 50),
    status: 409,
    code: 'SLOT_UNAVAILABLE',
    pointer: '/start',
  },
  {
    name: 'answers 404 for a booking of an unknown patient',
    procedure: 'bookings.create',
    rest: () => ({
      method: 'POST',
      path: '/v1/bookings',
      body: booking(UNKNOWN.patient, CREATE_START, 50),
    }),
    trpc: () => booking(UNKNOWN.patient, CREATE_START, 50),
    status: 404,
    code: 'NOT_FOUND',
  },
  {
    name: 'refuses a start without an offset',
    procedure: 'bookings.create',
    rest: (f) => ({
      method: 'POST',
      path: '/v1/bookings',
      body: booking(f.bookPatient, '2027-03-03T10:00:00', 50),
    }),
    trpc: (f) => booking(f.bookPatient, '2027-03-03T10:00:00', 50),
    status: 400,
    code: 'VALIDATION_FAILED',
    pointer: '/start',
  },
  {
    name: 'refuses a booking without a token',
    procedure: 'bookings.create',
    anonymous: true,
    rest: (f) => ({
      method: 'POST',
      path: '/v1/bookings',
      body: booking(f.bookPatient, CREATE_START, 50),
    }),
    trpc: (f) => booking(f.bookPatient, CREATE_START, 50),
    status: 401,
    code: 'UNAUTHENTICATED',
  },

  // bookings.get
  {
    name: 'reads a booking',
    procedure: 'bookings.get',
    rest: (f) => ({ method: 'GET', path: `/v1/bookings/${f.readBooking}` }),
    trpc: (f) => ({ id: f.readBooking }),
    status: 200,
  },
  {
    name: 'reads a cancelled booking',
    procedure: 'bookings.get',
    rest: (f) => ({ method: 'GET', path: `/v1/bookings/${f.cancelledBooking}` }),
    trpc: (f) => ({ id: f.cancelledBooking }),
    status: 200,
  },
  {
    name: 'answers 404 for an unknown booking',
    procedure: 'bookings.get',
    rest: () => ({ method: 'GET', path: `/v1/bookings/${UNKNOWN.booking}` }),
    trpc: () => ({ id: UNKNOWN.booking }),
    status: 404,
    code: 'NOT_FOUND',
  },
  {
    name: 'refuses a malformed booking id',
    procedure: 'bookings.get',
    rest: () => ({ method: 'GET', path: '/v1/bookings/bkg_x' }),
    trpc: () => ({ id: 'bkg_x' }),
    status: 400,
    code: 'VALIDATION_FAILED',
    pointer: '/id',
  },
  {
    name: 'refuses a booking read without a token',
    procedure: 'bookings.get',
    anonymous: true,
    rest: (f) => ({ method: 'GET', path: `/v1/bookings/${f.readBooking}` }),
    trpc: (f) => ({ id: f.readBooking }),
    status: 401,
    code: 'UNAUTHENTICATED',
  },

  // bookings.list
  {
    name: 'lists the bookings of a patient',
    procedure: 'bookings.list',
    rest: (f) => ({ method: 'GET', path: `/v1/bookings?patientId=${f.readPatient}` }),
    trpc: (f) => ({ patientId: f.readPatient }),
    status: 200,
  },
  {
    name: 'lists cancelled bookings in a window',
    procedure: 'bookings.list',
    rest: () => ({
      method: 'GET',
      path: `/v1/bookings?status=cancelled&from=${slotsWindow.from}&to=2027-03-05T00:00:00Z`,
    }),
    trpc: () => ({ status: 'cancelled', from: slotsWindow.from, to: '2027-03-05T00:00:00Z' }),
    status: 200,
  },
  {
    name: 'refuses an unknown status',
    procedure: 'bookings.list',
    rest: () => ({ method: 'GET', path: '/v1/bookings?status=booked' }),
    trpc: () => ({ status: 'booked' }),
    status: 400,
    code: 'VALIDATION_FAILED',
    pointer: '/status',
  },
  {
    name: 'refuses a booking list without a token',
    procedure: 'bookings.list',
    anonymous: true,
    rest: () => ({ method: 'GET', path: '/v1/bookings' }),
    trpc: () => ({}),
    status: 401,
    code: 'UNAUTHENTICATED',
  },

  // bookings.reschedule
  {
    name: 'moves a booking to another free slot',
    procedure: 'bookings.reschedule',
    // Each transport books the cancel slot afresh and moves it; the REST move is undone first.
    prepare: async (gw, f) => {
      await cancelActiveBookingsOf(gw, f.cancelPatient);
      return book(gw, booking(f.cancelPatient, CANCEL_START, 30));
    },
    rest: (_f, id) => ({
      method: 'POST',
      path: `/v1/bookings/${id}/reschedule`,
      body: { start: RESCHEDULE_START },
    }),
    trpc: (_f, id) => ({ id, start: RESCHEDULE_START }),
    status: 200,
    fresh: ['id', 'video'],
  },
  {
    name: 'refuses to move a cancelled booking',
    procedure: 'bookings.reschedule',
    rest: (f) => ({
      method: 'POST',
      path: `/v1/bookings/${f.cancelledBooking}/reschedule`,
      body: { start: RESCHEDULE_START },
    }),
    trpc: (f) => ({ id: f.cancelledBooking, start: RESCHEDULE_START }),
    status: 409,
    code: 'INVALID_STATE',
  },
  {
    name: 'refuses to move a booking without a token',
    procedure: 'bookings.reschedule',
    anonymous: true,
    rest: (f) => ({
      method: 'POST',
      path: `/v1/bookings/${f.readBooking}/reschedule`,
      body: { start: RESCHEDULE_START },
    }),
    trpc: (f) => ({ id: f.readBooking, start: RESCHEDULE_START }),
    status: 401,
    code: 'UNAUTHENTICATED',
  },

  // bookings.cancel
  {
    name: 'cancels a booking',
    procedure: 'bookings.cancel',
    // Each transport books the same slot for itself (REST's cancellation frees it for tRPC).
    prepare: (gw, f) => book(gw, booking(f.cancelPatient, CANCEL_START, 30)),
    rest: (_f, id) => ({
      method: 'POST',
      path: `/v1/bookings/${id}/cancel`,
      body: { reason: 'Feeling better' },
    }),
    trpc: (_f, id) => ({ id, reason: 'Feeling better' }),
    status: 200,
    fresh: ['id', 'video'],
  },
  {
    name: 'refuses to cancel a cancelled booking',
    procedure: 'bookings.cancel',
    rest: (f) => ({ method: 'POST', path: `/v1/bookings/${f.cancelledBooking}/cancel` }),
    trpc: (f) => ({ id: f.cancelledBooking }),
    status: 409,
    code: 'INVALID_STATE',
  },
  {
    name: 'answers 404 for cancelling an unknown booking',
    procedure: 'bookings.cancel',
    rest: () => ({ method: 'POST', path: `/v1/bookings/${UNKNOWN.booking}/cancel` }),
    trpc: () => ({ id: UNKNOWN.booking }),
    status: 404,
    code: 'NOT_FOUND',
  },
  {
    name: 'refuses a cancellation reason with markup',
    procedure: 'bookings.cancel',
    rest: (f) => ({
      method: 'POST',
      path: `/v1/bookings/${f.readBooking}/cancel`,
      body: { reason: '<i>x</i>' },
    }),
    trpc: (f) => ({ id: f.readBooking, reason: '<i>x</i>' }),
    status: 400,
    code: 'VALIDATION_FAILED',
    pointer: '/reason',
  },
  {
    name: 'refuses a cancellation without a token',
    procedure: 'bookings.cancel',
    anonymous: true,
    rest: (f) => ({ method: 'POST', path: `/v1/bookings/${f.readBooking}/cancel` }),
    trpc: (f) => ({ id: f.readBooking }),
    status: 401,
    code: 'UNAUTHENTICATED',
  },

  // patients.export
  {
    name: 'exports a patient',
    procedure: 'patients.export',
    rest: (f) => ({ method: 'GET', path: `/v1/patients/${f.readPatient}/export` }),
    trpc: (f) => ({ id: f.readPatient }),
    status: 200,
    // Each export is itself recorded, so the second call sees one audit entry more.
    fresh: ['auditEvents'],
  },
  {
    name: 'answers 404 for the export of an unknown patient',
    procedure: 'patients.export',
    rest: () => ({ method: 'GET', path: `/v1/patients/${UNKNOWN.patient}/export` }),
    trpc: () => ({ id: UNKNOWN.patient }),
    status: 404,
    code: 'NOT_FOUND',
  },
  {
    name: 'refuses an export without a token',
    procedure: 'patients.export',
    anonymous: true,
    rest: (f) => ({ method: 'GET', path: `/v1/patients/${f.readPatient}/export` }),
    trpc: (f) => ({ id: f.readPatient }),
    status: 401,
    code: 'UNAUTHENTICATED',
  },

  // patients.erase
  {
    name: 'erases a patient',
    procedure: 'patients.erase',
    prepare: (gw, _f, transport) => registerPatient(gw, `parity-erase-${transport}`),
    rest: (_f, id) => ({ method: 'DELETE', path: `/v1/patients/${id}` }),
    trpc: (_f, id) => ({ id }),
    status: 200,
    fresh: ['id'],
  },
  {
    name: 'answers 404 for the erasure of an unknown patient',
    procedure: 'patients.erase',
    rest: () => ({ method: 'DELETE', path: `/v1/patients/${UNKNOWN.patient}` }),
    trpc: () => ({ id: UNKNOWN.patient }),
    status: 404,
    code: 'NOT_FOUND',
  },
  {
    name: 'refuses a malformed patient id for erasure',
    procedure: 'patients.erase',
    rest: () => ({ method: 'DELETE', path: '/v1/patients/pat_x' }),
    trpc: () => ({ id: 'pat_x' }),
    status: 400,
    code: 'VALIDATION_FAILED',
    pointer: '/id',
  },
  {
    name: 'refuses an erasure without a token',
    procedure: 'patients.erase',
    anonymous: true,
    rest: (f) => ({ method: 'DELETE', path: `/v1/patients/${f.readPatient}` }),
    trpc: (f) => ({ id: f.readPatient }),
    status: 401,
    code: 'UNAUTHENTICATED',
  },

  // auditEvents.list
  {
    name: 'reads the audit trail about a patient',
    procedure: 'auditEvents.list',
    rest: (f) => ({
      method: 'GET',
      path: `/v1/audit-events?action=patient.create&resourceId=${f.readPatient}&limit=5`,
    }),
    trpc: (f) => ({ action: 'patient.create', resourceId: f.readPatient, limit: 5 }),
    status: 200,
  },
  {
    name: 'refuses an unknown audit action',
    procedure: 'auditEvents.list',
    rest: () => ({ method: 'GET', path: '/v1/audit-events?action=patient.delete' }),
    trpc: () => ({ action: 'patient.delete' }),
    status: 400,
    code: 'VALIDATION_FAILED',
    pointer: '/action',
  },
  {
    name: 'refuses the audit trail without a token',
    procedure: 'auditEvents.list',
    anonymous: true,
    rest: () => ({ method: 'GET', path: '/v1/audit-events' }),
    trpc: () => ({}),
    status: 401,
    code: 'UNAUTHENTICATED',
  },

  // credentials.*
  {
    name: "lists the organization's credentials",
    procedure: 'credentials.list',
    rest: () => ({ method: 'GET', path: '/v1/credentials' }),
    trpc: () => ({}),
    status: 200,
  },
  {
    name: 'refuses the credentials without a token',
    procedure: 'credentials.list',
    anonymous: true,
    rest: () => ({ method: 'GET', path: '/v1/credentials' }),
    trpc: () => ({}),
    status: 401,
    code: 'UNAUTHENTICATED',
  },
  {
    name: 'creates a narrowed credential, its secret shown once',
    procedure: 'credentials.create',
    rest: () => ({ method: 'POST', path: '/v1/credentials', body: CREDENTIAL }),
    trpc: () => CREDENTIAL,
    status: 201,
    fresh: ['id', 'clientSecret', 'secrets'],
  },
  {
    name: 'refuses a scope Tahoon does not have',
    procedure: 'credentials.create',
    rest: () => ({ method: 'POST', path: '/v1/credentials', body: { scopes: ['all:things'] } }),
    trpc: () => ({ scopes: ['all:things'] }),
    status: 400,
    code: 'VALIDATION_FAILED',
    pointer: '/scopes/0',
  },
  {
    name: 'refuses a credential without a token',
    procedure: 'credentials.create',
    anonymous: true,
    rest: () => ({ method: 'POST', path: '/v1/credentials', body: CREDENTIAL }),
    trpc: () => CREDENTIAL,
    status: 401,
    code: 'UNAUTHENTICATED',
  },
  {
    name: 'reads a credential without its secrets',
    procedure: 'credentials.get',
    prepare: (gw) => createCredential(gw),
    rest: (_f, id) => ({ method: 'GET', path: `/v1/credentials/${id}` }),
    trpc: (_f, id) => ({ id }),
    status: 200,
    fresh: ['id', 'secrets'],
  },
  {
    name: 'answers 404 for an unknown credential',
    procedure: 'credentials.get',
    rest: () => ({ method: 'GET', path: `/v1/credentials/${UNKNOWN_CREDENTIAL}` }),
    trpc: () => ({ id: UNKNOWN_CREDENTIAL }),
    status: 404,
    code: 'NOT_FOUND',
  },
  {
    name: 'refuses a credential read without a token',
    procedure: 'credentials.get',
    anonymous: true,
    rest: () => ({ method: 'GET', path: `/v1/credentials/${UNKNOWN_CREDENTIAL}` }),
    trpc: () => ({ id: UNKNOWN_CREDENTIAL }),
    status: 401,
    code: 'UNAUTHENTICATED',
  },
  {
    name: 'rotates a secret with an overlap',
    procedure: 'credentials.rotate',
    prepare: (gw) => createCredential(gw),
    rest: (_f, id) => ({
      method: 'POST',
      path: `/v1/credentials/${id}/rotate`,
      body: { previousSecretExpiresInSeconds: 3600 },
    }),
    trpc: (_f, id) => ({ id, previousSecretExpiresInSeconds: 3600 }),
    status: 200,
    fresh: ['clientId', 'clientSecret', 'secretId', 'credential'],
  },
  {
    name: 'answers 404 for rotating an unknown credential',
    procedure: 'credentials.rotate',
    rest: () => ({ method: 'POST', path: `/v1/credentials/${UNKNOWN_CREDENTIAL}/rotate` }),
    trpc: () => ({ id: UNKNOWN_CREDENTIAL }),
    status: 404,
    code: 'NOT_FOUND',
  },
  {
    name: 'refuses a credential rotation without a token',
    procedure: 'credentials.rotate',
    anonymous: true,
    rest: () => ({ method: 'POST', path: `/v1/credentials/${UNKNOWN_CREDENTIAL}/rotate` }),
    trpc: () => ({ id: UNKNOWN_CREDENTIAL }),
    status: 401,
    code: 'UNAUTHENTICATED',
  },
  {
    name: 'revokes a credential',
    procedure: 'credentials.revoke',
    prepare: (gw) => createCredential(gw),
    rest: (_f, id) => ({ method: 'DELETE', path: `/v1/credentials/${id}` }),
    trpc: (_f, id) => ({ id }),
    status: 200,
    fresh: ['id', 'secrets'],
  },
  {
    name: 'refuses a malformed credential id',
    procedure: 'credentials.revoke',
    rest: () => ({ method: 'DELETE', path: '/v1/credentials/cred_x' }),
    trpc: () => ({ id: 'cred_x' }),
    status: 400,
    code: 'VALIDATION_FAILED',
    pointer: '/id',
  },
  {
    name: 'refuses a credential revocation without a token',
    procedure: 'credentials.revoke',
    anonymous: true,
    rest: () => ({ method: 'DELETE', path: `/v1/credentials/${UNKNOWN_CREDENTIAL}` }),
    trpc: () => ({ id: UNKNOWN_CREDENTIAL }),
    status: 401,
    code: 'UNAUTHENTICATED',
  },

  // webhookEndpoints.*, events.*, devices.*
  ...NOTIFICATION_ROWS,
  // organization.get
  {
    name: "reads the organization's settings",
    procedure: 'organization.get',
    rest: () => ({ method: 'GET', path: '/v1/organization' }),
    trpc: () => ({}),
    status: 200,
  },
  {
    name: 'refuses the settings without a token',
    procedure: 'organization.get',
    anonymous: true,
    rest: () => ({ method: 'GET', path: '/v1/organization' }),
    trpc: () => ({}),
    status: 401,
    code: 'UNAUTHENTICATED',
  },

  // organization.update
  {
    name: 'leaves signing optional',
    procedure: 'organization.update',
    rest: () => ({
      method: 'PATCH',
      path: '/v1/organization',
      body: { requireSignedRequests: false },
    }),
    trpc: () => ({ requireSignedRequests: false }),
    status: 200,
  },
  {
    name: 'refuses to require signing before any signing key exists',
    procedure: 'organization.update',
    rest: () => ({
      method: 'PATCH',
      path: '/v1/organization',
      body: { requireSignedRequests: true },
    }),
    trpc: () => ({ requireSignedRequests: true }),
    status: 409,
    code: 'INVALID_STATE',
  },
  {
    name: 'refuses a setting that is not a boolean',
    procedure: 'organization.update',
    rest: () => ({
      method: 'PATCH',
      path: '/v1/organization',
      body: { requireSignedRequests: 'on' },
    }),
    trpc: () => ({ requireSignedRequests: 'on' }),
    status: 400,
    code: 'VALIDATION_FAILED',
    pointer: '/requireSignedRequests',
  },
  {
    name: 'refuses a settings change without a token',
    procedure: 'organization.update',
    anonymous: true,
    rest: () => ({ method: 'PATCH', path: '/v1/organization', body: {} }),
    trpc: () => ({}),
    status: 401,
    code: 'UNAUTHENTICATED',
  },

  // signingKeys.create
  {
    name: 'creates a signing key',
    procedure: 'signingKeys.create',
    rest: () => ({ method: 'POST', path: '/v1/signing-keys', body: { expiresInSeconds: 3600 } }),
    trpc: () => ({ expiresInSeconds: 3600 }),
    status: 201,
    fresh: ['id', 'secret'],
  },
  {
    name: 'answers 404 for a key for an unknown credential',
    procedure: 'signingKeys.create',
    rest: () => ({
      method: 'POST',
      path: '/v1/signing-keys',
      body: { credentialId: UNKNOWN_CREDENTIAL },
    }),
    trpc: () => ({ credentialId: UNKNOWN_CREDENTIAL }),
    status: 404,
    code: 'NOT_FOUND',
  },
  {
    name: 'refuses a key lifetime under a minute',
    procedure: 'signingKeys.create',
    rest: () => ({ method: 'POST', path: '/v1/signing-keys', body: { expiresInSeconds: 1 } }),
    trpc: () => ({ expiresInSeconds: 1 }),
    status: 400,
    code: 'VALIDATION_FAILED',
    pointer: '/expiresInSeconds',
  },
  {
    name: 'refuses a signing key without a token',
    procedure: 'signingKeys.create',
    anonymous: true,
    rest: () => ({ method: 'POST', path: '/v1/signing-keys', body: {} }),
    trpc: () => ({}),
    status: 401,
    code: 'UNAUTHENTICATED',
  },

  // signingKeys.list
  {
    name: 'lists signing keys',
    procedure: 'signingKeys.list',
    rest: () => ({ method: 'GET', path: '/v1/signing-keys' }),
    trpc: () => ({}),
    status: 200,
  },
  {
    name: 'refuses the signing keys without a token',
    procedure: 'signingKeys.list',
    anonymous: true,
    rest: () => ({ method: 'GET', path: '/v1/signing-keys' }),
    trpc: () => ({}),
    status: 401,
    code: 'UNAUTHENTICATED',
  },

  // signingKeys.rotate
  {
    name: 'rotates a signing key',
    procedure: 'signingKeys.rotate',
    prepare: (gw) => createSigningKey(gw),
    rest: (_f, id) => ({
      method: 'POST',
      path: `/v1/signing-keys/${id}/rotate`,
      body: { overlapSeconds: 600 },
    }),
    trpc: (_f, id) => ({ id, overlapSeconds: 600 }),
    status: 201,
    fresh: ['key', 'previous'],
  },
  {
    name: 'answers 404 for rotating an unknown key',
    procedure: 'signingKeys.rotate',
    rest: () => ({ method: 'POST', path: `/v1/signing-keys/${UNKNOWN_SIGNING_KEY}/rotate` }),
    trpc: () => ({ id: UNKNOWN_SIGNING_KEY }),
    status: 404,
    code: 'NOT_FOUND',
  },
  {
    name: 'refuses a rotation without a token',
    procedure: 'signingKeys.rotate',
    anonymous: true,
    rest: () => ({ method: 'POST', path: `/v1/signing-keys/${UNKNOWN_SIGNING_KEY}/rotate` }),
    trpc: () => ({ id: UNKNOWN_SIGNING_KEY }),
    status: 401,
    code: 'UNAUTHENTICATED',
  },

  // signingKeys.revoke
  {
    name: 'revokes a signing key',
    procedure: 'signingKeys.revoke',
    prepare: (gw) => createSigningKey(gw),
    rest: (_f, id) => ({ method: 'DELETE', path: `/v1/signing-keys/${id}` }),
    trpc: (_f, id) => ({ id }),
    status: 200,
    fresh: ['id'],
  },
  {
    name: 'answers 404 for revoking an unknown key',
    procedure: 'signingKeys.revoke',
    rest: () => ({ method: 'DELETE', path: `/v1/signing-keys/${UNKNOWN_SIGNING_KEY}` }),
    trpc: () => ({ id: UNKNOWN_SIGNING_KEY }),
    status: 404,
    code: 'NOT_FOUND',
  },
  {
    name: 'refuses a malformed signing key id',
    procedure: 'signingKeys.revoke',
    rest: () => ({ method: 'DELETE', path: '/v1/signing-keys/sgk_x' }),
    trpc: () => ({ id: 'sgk_x' }),
    status: 400,
    code: 'VALIDATION_FAILED',
    pointer: '/id',
  },
  {
    name: 'refuses a revocation without a token',
    procedure: 'signingKeys.revoke',
    anonymous: true,
    rest: () => ({ method: 'DELETE', path: `/v1/signing-keys/${UNKNOWN_SIGNING_KEY}` }),
    trpc: () => ({ id: UNKNOWN_SIGNING_KEY }),
    status: 401,
    code: 'UNAUTHENTICATED',
  },
];

const UNKNOWN_SIGNING_KEY = 'sgk_k3m9q2x7w4n8p5rt';
const UNKNOWN_CREDENTIAL = 'cred_k3m9q2x7w4n8p5rt';

const CREDENTIAL = { label: 'Parity', scopes: ['bookings:read'] };

async function createCredential(gw: TestGateway): Promise<string> {
  const answer = await rest(gw, 'POST', '/v1/credentials', {
    token: gw.partnerA.token,
    body: CREDENTIAL,
  });
  if (answer.status !== 201) throw new Error(`could not create a credential: ${answer.status}`);
  return (answer.body as { id: string }).id;
}

async function createSigningKey(gw: TestGateway): Promise<string> {
  const answer = await rest(gw, 'POST', '/v1/signing-keys', { token: gw.partnerA.token, body: {} });
  if (answer.status !== 201) throw new Error(`could not create a signing key: ${answer.status}`);
  return (answer.body as { id: string }).id;
}

async function registerPatient(gw: TestGateway, externalId: string): Promise<string> {
  const answer = await rest(gw, 'POST', '/v1/patients', {
    token: gw.partnerA.token,
    body: patientInput(externalId),
  });
  if (answer.status !== 201) throw new Error(`could not register ${externalId}: ${answer.status}`);
  return (answer.body as { id: string }).id;
}

async function book(gw: TestGateway, body: ReturnType<typeof booking>): Promise<string> {
  const answer = await rest(gw, 'POST', '/v1/bookings', { token: gw.partnerA.token, body });
  if (answer.status !== 201)
    throw new Error(`could not book ${body.start}: ${JSON.stringify(answer.body)}`);
  return (answer.body as { id: string }).id;
}

async function cancel(gw: TestGateway, id: string): Promise<void> {
  const answer = await rest(gw, 'POST', `/v1/bookings/${id}/cancel`, { token: gw.partnerA.token });
  if (answer.status !== 200) throw new Error(`could not cancel ${id}: ${answer.status}`);
}

async function cancelActiveBookingsOf(gw: TestGateway, patientId: string): Promise<void> {
  const listed = await rest(gw, 'GET', `/v1/bookings?patientId=${patientId}&status=confirmed`, {
    token: gw.partnerA.token,
  });
  for (const { id } of (listed.body as { data: { id: string }[] }).data) await cancel(gw, id);
}

/**
 * Replaces what each call made for itself (its id, the externalId it chose, its video room) with
 * placeholders, after checking the value is there. Everything else must match exactly.
 */
function normalise(body: unknown, fresh: Fresh[] = []): unknown {
  const copy = { ...(body as Record<string, unknown>) };
  for (const field of fresh) {
    expect(copy[field], `${field} is present`).toBeTruthy();
    if (field === 'key' || field === 'previous') {
      copy[field] = normalise(copy[field], field === 'key' ? ['id', 'secret'] : ['id']);
      continue;
    }
    if (field !== 'video') {
      copy[field] = `<${field}>`;
      continue;
    }
    const video = copy.video as { roomId: string; patientJoinUrl: string; providerJoinUrl: string };
    copy.video = {
      ...video,
      roomId: '<room>',
      patientJoinUrl: video.patientJoinUrl.replace(video.roomId, '<room>'),
      providerJoinUrl: video.providerJoinUrl.replace(video.roomId, '<room>'),
    };
  }
  return copy;
}

function matchesRoute(call: RestCall, route: { method: string; path: string }): boolean {
  const pattern = new RegExp(`^${route.path.replaceAll(/\{\w+\}/g, '[^/?]+')}(\\?.*)?$`);
  return call.method === route.method && pattern.test(call.path);
}

/** A fixture with placeholder ids, for checking rows without a database. */
const SHAPE_FIXTURE: Fixture = {
  readPatient: UNKNOWN.patient,
  otherPatient: UNKNOWN.patient,
  bookPatient: UNKNOWN.patient,
  cancelPatient: UNKNOWN.patient,
  readBooking: UNKNOWN.booking,
  cancelledBooking: UNKNOWN.booking,
};

describe('the parity table', () => {
  it('has a success and an unauthenticated row for every procedure the router serves', () => {
    const served = procedureNames();
    const missing = served.filter(
      (name) =>
        !ROWS.some((r) => r.procedure === name && r.status < 300) ||
        !ROWS.some((r) => r.procedure === name && r.code === 'UNAUTHENTICATED'),
    );
    expect(missing, 'procedures without parity rows').toEqual([]);
    expect(served.length).toBeGreaterThanOrEqual(12);
  });

  it('names only served procedures, each with its own REST route', () => {
    const served = new Set(procedureNames());
    for (const row of ROWS) {
      expect(served.has(row.procedure), `${row.name}: ${row.procedure} is served`).toBe(true);
      const call = row.rest(SHAPE_FIXTURE, UNKNOWN.patient);
      expect(
        matchesRoute(call, restRoute(row.procedure)),
        `${row.name}: ${call.method} ${call.path}`,
      ).toBe(true);
    }
  });
});

describe.each(DB_KINDS)('REST and tRPC answer alike on %s', (kind) => {
  let gw: TestGateway;
  let fixture: Fixture;

  beforeAll(async () => {
    gw = await createTestGateway(kind);
    const readPatient = await registerPatient(gw, 'parity-read');
    const otherPatient = await registerPatient(gw, 'parity-other');
    const cancelledBooking = await book(gw, booking(otherPatient, CANCELLED_START, 30));
    await cancel(gw, cancelledBooking);
    fixture = {
      readPatient,
      otherPatient,
      bookPatient: await registerPatient(gw, 'parity-book'),
      cancelPatient: await registerPatient(gw, 'parity-cancel'),
      readBooking: await book(gw, booking(readPatient, READ_START, 50)),
      cancelledBooking,
    };
  });
  afterAll(() => gw?.close());

  it.each(ROWS)('$procedure $name', async (row) => {
    const token = row.anonymous ? undefined : gw.partnerA.token;

    const restMade = (await row.prepare?.(gw, fixture, 'rest')) ?? '';
    const call = row.rest(fixture, restMade);
    const restAnswer = await rest(gw, call.method, call.path, { token, body: call.body });
    const trpcMade = (await row.prepare?.(gw, fixture, 'trpc')) ?? '';
    const trpcAnswer = await callTrpc(gw, row.procedure, row.trpc(fixture, trpcMade), token);

    expect(restAnswer.status, JSON.stringify(restAnswer.body)).toBe(row.status);
    expect(trpcAnswer.status, JSON.stringify(trpcAnswer.body)).toBe(row.status);
    expect(restAnswer.headers.get('x-request-id')).toMatch(/^req_/);
    expect(trpcAnswer.headers.get('x-request-id')).toMatch(/^req_/);
    if (row.code === undefined) {
      expect(normalise(trpcAnswer.body, row.fresh)).toEqual(normalise(restAnswer.body, row.fresh));
    } else {
      expectSameRefusal(row, restAnswer, trpcAnswer);
    }
  });
});

function expectSameRefusal(row: ParityRow, restAnswer: Answer, trpcAnswer: TrpcAnswer): void {
  const code = row.code ?? '';
  const restProblem = expectProblemDocument(restAnswer, row.status, code);
  const trpcProblem = expectProblemDocument(trpcAnswer, row.status, code);
  expect(restAnswer.headers.get('content-type')).toMatch(/^application\/problem\+json/);

  // The typed client reads `error.data`; it must say what the problem document says.
  expect(trpcAnswer.errorData).toMatchObject({
    code,
    httpStatus: row.status,
    requestId: trpcProblem.requestId,
  });
  expect(problemShape(trpcProblem)).toEqual(problemShape(restProblem));
  expect(trpcProblem.requestId).not.toBe(restProblem.requestId);
  if (row.pointer) expect(pointersOf(restProblem)).toContain(row.pointer);
}

const pointersOf = (problem: ProblemBody) => (problem.errors ?? []).map((e) => e.pointer);
