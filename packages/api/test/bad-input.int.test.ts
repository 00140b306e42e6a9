import { base64url as jwtBase64url, importJWK, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUDIENCE, createAuth } from '../src/auth.js';
import { generateSigningKey, publicJwk, type SigningKey } from '../src/tokens/signing-keys.js';
import {
  callTrpc,
  expectNoLeak,
  expectProblemDocument,
  patientInput,
  readTrpc,
  rowCounts,
  type Transport,
  type TrpcAnswer,
} from './acceptance.js';
import {
  createTestGateway,
  DB_KINDS,
  rest,
  TEST_SIGNING_KEY,
  type Answer,
  type TestGateway,
} from './harness.js';

/** Asia/Riyadh psychologist, licensed in SA, offering 30 and 50 minutes, Sunday to Thursday. */
const PROVIDER = 'prv_sjnpfzd39nd2qv6w';
const SLOTS = `/v1/providers/${PROVIDER}/slots`;
/** Tuesday morning in Riyadh: an offered start for a 50-minute session. */
const OFFERED_START = '2027-03-02T10:00:00+03:00';

/** What each case needs from the database it runs on. */
interface Fixture {
  patientId: string;
  bookingId: string;
}

interface RestCall {
  method: string;
  path: string;
  /** A value is sent as JSON; a string is sent as it is. */
  body?: unknown;
  headers?: Record<string, string>;
}

interface TrpcCall {
  procedure: string;
  input?: unknown;
  /** Sent as the POST body verbatim, for input that is not JSON. */
  raw?: string;
}

interface BadInputCase {
  name: string;
  rest?: (f: Fixture) => RestCall;
  trpc?: (f: Fixture) => TrpcCall;
  status: number;
  code: string;
  /** The JSON pointer an `errors[]` entry must name; null when the request as a whole is bad. */
  pointer: string | null;
}

function booking(f: Fixture, change: Record<string, unknown>) {
  return {
    patientId: f.patientId,
    providerId: PROVIDER,
    start: OFFERED_START,
    duration: 50,
    ...change,
  };
}

function slotsQuery(from: string, to: string, extra = '') {
  return `${SLOTS}?from=${from}&to=${to}&duration=30${extra}`;
}

/** A cursor in the API's encoding whose sort key no row can have. */
function forgedCursor(sortKey: number): string {
  return btoa(JSON.stringify([sortKey, 'pat_k3m9q2x7w4n8p5rt'])).replaceAll('=', '');
}

/** A valid registration padded past the body limit with one long name. */
const HUGE_PATIENT = { ...patientInput('huge'), givenName: 'a'.repeat(1_048_576) };

const CASES: BadInputCase[] = [
  {
    name: 'a number for givenName',
    rest: () => ({
      method: 'POST',
      path: '/v1/patients',
      body: { ...patientInput('t1'), givenName: 42 },
    }),
    trpc: () => ({ procedure: 'patients.create', input: { ...patientInput('t1'), givenName: 42 } }),
    status: 400,
    code: 'VALIDATION_FAILED',
    pointer: '/givenName',
  },
  {
    name: 'the string "60" for duration in a JSON body (refused, not coerced)',
    rest: (f) => ({ method: 'POST', path: '/v1/bookings', body: booking(f, { duration: '50' }) }),
    trpc: (f) => ({ procedure: 'bookings.create', input: booking(f, { duration: '50' }) }),
    status: 400,
    code: 'VALIDATION_FAILED',
    pointer: '/duration',
  },
  {
    name: 'an unknown field in a patient body',
    rest: () => ({ method: 'POST', path: '/v1/patients', body: { ...patientInput('t2'), foo: 1 } }),
    trpc: () => ({ procedure: 'patients.create', input: { ...patientInput('t2'), foo: 1 } }),
    status: 400,
    code: 'VALIDATION_FAILED',
    pointer: '/foo',
  },
  {
    name: 'an unknown field in a booking body',
    rest: (f) => ({ method: 'POST', path: '/v1/bookings', body: booking(f, { foo: 'x' }) }),
    trpc: (f) => ({ procedure: 'bookings.create', input: booking(f, { foo: 'x' }) }),
    status: 400,
    code: 'VALIDATION_FAILED',
    pointer: '/foo',
  },
  {
    name: 'an unknown field in a patch',
    rest: (f) => ({
      method: 'PATCH',
      path: `/v1/patients/${f.patientId}`,
      body: { nickname: 'N' },
    }),
    trpc: (f) => ({ procedure: 'patients.update', input: { id: f.patientId, nickname: 'N' } }),
    status: 400,
    code: 'VALIDATION_FAILED',
    pointer: '/nickname',
  },
  {
    name: 'an unknown field in a list query',
    rest: () => ({ method: 'GET', path: '/v1/patients?foo=1' }),
    trpc: () => ({ procedure: 'patients.list', input: { foo: '1' } }),
    status: 400,
    code: 'VALIDATION_FAILED',
    pointer: '/foo',
  },
  {
    name: 'an unknown field in a slots query',
    rest: () => ({
      method: 'GET',
      path: slotsQuery('2027-03-02T00:00:00Z', '2027-03-03T00:00:00Z', '&foo=1'),
    }),
    trpc: () => ({
      procedure: 'providers.slots',
      input: {
        id: PROVIDER,
        from: '2027-03-02T00:00:00Z',
        to: '2027-03-03T00:00:00Z',
        duration: 30,
        foo: 1,
      },
    }),
    status: 400,
    code: 'VALIDATION_FAILED',
    pointer: '/foo',
  },
  {
    name: 'a number of the wrong form in a query',
    rest: () => ({ method: 'GET', path: '/v1/patients?limit=ten' }),
    trpc: () => ({ procedure: 'patients.list', input: { limit: 'ten' } }),
    status: 400,
    code: 'VALIDATION_FAILED',
    pointer: '/limit',
  },
  {
    name: 'a local start without an offset',
    rest: (f) => ({
      method: 'POST',
      path: '/v1/bookings',
      body: booking(f, { start: '2027-03-02T10:00:00' }),
    }),
    trpc: (f) => ({
      procedure: 'bookings.create',
      input: booking(f, { start: '2027-03-02T10:00:00' }),
    }),
    status: 400,
    code: 'VALIDATION_FAILED',
    pointer: '/start',
  },
  {
    name: 'a slots window whose `to` is before its `from`',
    rest: () => ({
      method: 'GET',
      path: slotsQuery('2027-03-05T00:00:00Z', '2027-03-02T00:00:00Z'),
    }),
    trpc: () => ({
      procedure: 'providers.slots',
      input: {
        id: PROVIDER,
        from: '2027-03-05T00:00:00Z',
        to: '2027-03-02T00:00:00Z',
        duration: 30,
      },
    }),
    status: 400,
    code: 'VALIDATION_FAILED',
    pointer: '/to',
  },
  {
    name: 'a 90-day slots window',
    rest: () => ({
      method: 'GET',
      path: slotsQuery('2027-03-02T00:00:00Z', '2027-05-31T00:00:00Z'),
    }),
    trpc: () => ({
      procedure: 'providers.slots',
      input: {
        id: PROVIDER,
        from: '2027-03-02T00:00:00Z',
        to: '2027-05-31T00:00:00Z',
        duration: 30,
      },
    }),
    status: 400,
    code: 'VALIDATION_FAILED',
    pointer: '/to',
  },
  {
    name: 'a 1 MB body',
    rest: () => ({ method: 'POST', path: '/v1/patients', body: HUGE_PATIENT }),
    trpc: () => ({ procedure: 'patients.create', input: HUGE_PATIENT }),
    status: 413,
    code: 'PAYLOAD_TOO_LARGE',
    pointer: null,
  },
  {
    name: 'a negative duration',
    rest: (f) => ({ method: 'POST', path: '/v1/bookings', body: booking(f, { duration: -30 }) }),
    trpc: (f) => ({ procedure: 'bookings.create', input: booking(f, { duration: -30 }) }),
    status: 400,
    code: 'VALIDATION_FAILED',
    pointer: '/duration',
  },
  {
    name: 'a duration the provider does not offer',
    rest: (f) => ({ method: 'POST', path: '/v1/bookings', body: booking(f, { duration: 45 }) }),
    trpc: (f) => ({ procedure: 'bookings.create', input: booking(f, { duration: 45 }) }),
    status: 422,
    code: 'NOT_ELIGIBLE',
    pointer: '/duration',
  },
  {
    name: 'slots for a duration the provider does not offer',
    rest: () => ({
      method: 'GET',
      path: `${SLOTS}?from=2027-03-02T00:00:00Z&to=2027-03-03T00:00:00Z&duration=45`,
    }),
    trpc: () => ({
      procedure: 'providers.slots',
      input: {
        id: PROVIDER,
        from: '2027-03-02T00:00:00Z',
        to: '2027-03-03T00:00:00Z',
        duration: 45,
      },
    }),
    status: 422,
    code: 'NOT_ELIGIBLE',
    pointer: '/duration',
  },
  {
    name: 'a start in the past',
    rest: (f) => ({
      method: 'POST',
      path: '/v1/bookings',
      body: booking(f, { start: '2027-02-28T10:00:00+03:00' }),
    }),
    trpc: (f) => ({
      procedure: 'bookings.create',
      input: booking(f, { start: '2027-02-28T10:00:00+03:00' }),
    }),
    status: 409,
    code: 'SLOT_UNAVAILABLE',
    pointer: '/start',
  },
  {
    name: 'a body that is not JSON',
    rest: () => ({ method: 'POST', path: '/v1/patients', body: '{"externalId": "t3", ' }),
    trpc: () => ({ procedure: 'patients.create', raw: '{"externalId": "t3", ' }),
    status: 400,
    code: 'VALIDATION_FAILED',
    pointer: null,
  },
  {
    name: 'a body that is not JSON at all, labelled as text',
    rest: () => ({
      method: 'POST',
      path: '/v1/patients',
      body: 'externalId=t4',
      headers: { 'content-type': 'text/plain' },
    }),
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
    pointer: null,
  },
  {
    name: 'a cursor this API never issued',
    rest: () => ({ method: 'GET', path: '/v1/patients?cursor=not-a-cursor' }),
    trpc: () => ({ procedure: 'patients.list', input: { cursor: 'not-a-cursor' } }),
    status: 400,
    code: 'VALIDATION_FAILED',
    pointer: '/cursor',
  },
  {
    name: 'a forged patients cursor past the end of time',
    rest: () => ({ method: 'GET', path: `/v1/patients?cursor=${forgedCursor(9e15)}` }),
    trpc: () => ({ procedure: 'patients.list', input: { cursor: forgedCursor(9e15) } }),
    status: 400,
    code: 'VALIDATION_FAILED',
    pointer: '/cursor',
  },
  {
    name: 'a forged bookings cursor past the end of time',
    rest: () => ({ method: 'GET', path: `/v1/bookings?cursor=${forgedCursor(9e15)}` }),
    trpc: () => ({ procedure: 'bookings.list', input: { cursor: forgedCursor(9e15) } }),
    status: 400,
    code: 'VALIDATION_FAILED',
    pointer: '/cursor',
  },
  {
    name: 'a forged providers cursor with a negative offset',
    rest: () => ({ method: 'GET', path: `/v1/providers?cursor=${forgedCursor(-5)}` }),
    trpc: () => ({ procedure: 'providers.search', input: { cursor: forgedCursor(-5) } }),
    status: 400,
    code: 'VALIDATION_FAILED',
    pointer: '/cursor',
  },
  {
    name: 'a malformed patient id in the path',
    rest: () => ({ method: 'GET', path: '/v1/patients/pat_x' }),
    trpc: () => ({ procedure: 'patients.get', input: { id: 'pat_x' } }),
    status: 400,
    code: 'VALIDATION_FAILED',
    pointer: '/id',
  },
  {
    name: 'a patient id where a booking id belongs',
    rest: (f) => ({ method: 'POST', path: `/v1/bookings/${f.patientId}/cancel` }),
    trpc: (f) => ({ procedure: 'bookings.cancel', input: { id: f.patientId } }),
    status: 400,
    code: 'VALIDATION_FAILED',
    pointer: '/id',
  },
  {
    name: 'a malformed patient id in a booking body',
    rest: (f) => ({
      method: 'POST',
      path: '/v1/bookings',
      body: booking(f, { patientId: 'pat_x' }),
    }),
    trpc: (f) => ({ procedure: 'bookings.create', input: booking(f, { patientId: 'pat_x' }) }),
    status: 400,
    code: 'VALIDATION_FAILED',
    pointer: '/patientId',
  },
  {
    name: 'a birth date that does not exist',
    rest: () => ({
      method: 'POST',
      path: '/v1/patients',
      body: { ...patientInput('t5'), birthDate: '1990-02-30' },
    }),
    trpc: () => ({
      procedure: 'patients.create',
      input: { ...patientInput('t5'), birthDate: '1990-02-30' },
    }),
    status: 400,
    code: 'VALIDATION_FAILED',
    pointer: '/birthDate',
  },
  {
    name: 'a phone number not in E.164',
    rest: () => ({
      method: 'POST',
      path: '/v1/patients',
      body: { ...patientInput('t6'), phone: '0501234567' },
    }),
    trpc: () => ({
      procedure: 'patients.create',
      input: { ...patientInput('t6'), phone: '0501234567' },
    }),
    status: 400,
    code: 'VALIDATION_FAILED',
    pointer: '/phone',
  },
  {
    name: 'an invalid email',
    rest: () => ({
      method: 'POST',
      path: '/v1/patients',
      body: { ...patientInput('t7'), email: 'noura@' },
    }),
    trpc: () => ({
      procedure: 'patients.create',
      input: { ...patientInput('t7'), email: 'noura@' },
    }),
    status: 400,
    code: 'VALIDATION_FAILED',
    pointer: '/email',
  },
  {
    name: 'an invalid email in a patch',
    rest: (f) => ({ method: 'PATCH', path: `/v1/patients/${f.patientId}`, body: { email: 'x' } }),
    trpc: (f) => ({ procedure: 'patients.update', input: { id: f.patientId, email: 'x' } }),
    status: 400,
    code: 'VALIDATION_FAILED',
    pointer: '/email',
  },
  {
    name: 'markup in givenName',
    rest: () => ({
      method: 'POST',
      path: '/v1/patients',
      body: { ...patientInput('t8'), givenName: '<script>alert(1)</script>' },
    }),
    trpc: () => ({
      procedure: 'patients.create',
      input: { ...patientInput('t8'), givenName: '<script>alert(1)</script>' },
    }),
    status: 400,
    code: 'VALIDATION_FAILED',
    pointer: '/givenName',
  },
  {
    name: 'markup in a cancellation reason',
    rest: (f) => ({
      method: 'POST',
      path: `/v1/bookings/${f.bookingId}/cancel`,
      body: { reason: '<b>x</b>' },
    }),
    trpc: (f) => ({ procedure: 'bookings.cancel', input: { id: f.bookingId, reason: '<b>x</b>' } }),
    status: 400,
    code: 'VALIDATION_FAILED',
    pointer: '/reason',
  },
];

async function callRest(
  gw: TestGateway,
  call: RestCall,
  token: string | undefined,
): Promise<Answer & { text: string }> {
  const answer = await rest(gw, call.method, call.path, {
    token,
    body: call.body,
    headers: call.headers,
  });
  return { ...answer, text: JSON.stringify(answer.body) };
}

async function callRawTrpc(
  gw: TestGateway,
  procedure: string,
  body: string,
  token: string,
): Promise<TrpcAnswer> {
  const request = new Request(`http://tahoon.test/trpc/${procedure}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body,
  });
  return readTrpc(await gw.app.fetch(request));
}

/** Each case once per transport it applies to; body size and media type are HTTP matters. */
const RUNS = CASES.flatMap((c) =>
  (['rest', 'trpc'] as const)
    .filter((t) => c[t] !== undefined)
    .map((transport) => ({ ...c, transport })),
);

async function send(gw: TestGateway, run: BadInputCase & { transport: Transport }, f: Fixture) {
  const token = gw.partnerA.token;
  if (run.transport === 'rest') {
    const call = run.rest?.(f);
    if (!call) throw new Error(`${run.name} has no REST call`);
    return callRest(gw, call, token);
  }
  const call = run.trpc?.(f);
  if (!call) throw new Error(`${run.name} has no tRPC call`);
  if (call.raw !== undefined) return callRawTrpc(gw, call.procedure, call.raw, token);
  return callTrpc(gw, call.procedure, call.input, token);
}

function expectTransportEnvelope(transport: Transport, answer: Answer | TrpcAnswer, code: string) {
  const type = answer.headers.get('content-type') ?? '';
  if (transport === 'rest' || !('errorData' in answer) || answer.errorData === null) {
    expect(type).toMatch(/^application\/problem\+json/);
    return;
  }
  // The typed client reads tRPC's envelope; the problem document travels inside it.
  expect(type).toMatch(/^application\/json/);
  expect(answer.errorData).toMatchObject({ code, httpStatus: answer.status });
  expect(answer.errorData.requestId).toBe(answer.headers.get('x-request-id'));
}

function expectRefusal(
  transport: Transport,
  answer: (Answer | TrpcAnswer) & { text: string },
  expected: Pick<BadInputCase, 'status' | 'code' | 'pointer'>,
) {
  expect(answer.status).toBeGreaterThanOrEqual(400);
  expect(answer.status).toBeLessThan(500);
  const body = expectProblemDocument(answer, expected.status, expected.code);
  expectTransportEnvelope(transport, answer, expected.code);
  if (expected.pointer !== null) {
    expect(body.errors?.map((e) => e.pointer)).toContain(expected.pointer);
  }
  expectNoLeak(answer.text);
}

/** Claims of a genuine access token of partner A, for forging variants of it. */
function claimsOf(gw: TestGateway) {
  return {
    org: gw.partnerA.organizationId,
    scope: 'patients:read patients:write providers:read bookings:read bookings:write',
  };
}

/** Another Ed25519 key, unknown to the gateway. */
const STRANGER_KEY = await generateSigningKey('sgk_stranger');

async function signed(
  gw: TestGateway,
  options: {
    key?: SigningKey;
    kid?: string;
    audience?: string;
    issuer?: string;
    claims?: Record<string, unknown>;
    withoutExpiry?: boolean;
  },
): Promise<string> {
  const key = options.key ?? TEST_SIGNING_KEY;
  const nowS = Math.floor(gw.clock.nowMs() / 1000);
  const jwt = new SignJWT({ ...claimsOf(gw), ...options.claims })
    .setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt', kid: options.kid ?? key.kid })
    .setSubject(gw.partnerA.clientId)
    .setIssuer(options.issuer ?? gw.deps.config.TAHOON_ISSUER)
    .setAudience(options.audience ?? AUDIENCE)
    .setIssuedAt(nowS)
    .setJti('0123456789abcdef');
  if (!options.withoutExpiry) jwt.setExpirationTime(nowS + 900);
  return jwt.sign(await importJWK(key, 'EdDSA'));
}

/**
 * Algorithm confusion: an HS256 token whose HMAC key is the gateway's public key, which anyone
 * can read from the JWKS, once as the raw key bytes and once as the published JWK text.
 */
async function hs256WithPublicKey(gw: TestGateway, form: 'raw' | 'jwk'): Promise<string> {
  const nowS = Math.floor(gw.clock.nowMs() / 1000);
  const jwk = publicJwk(TEST_SIGNING_KEY);
  const secret =
    form === 'raw'
      ? jwtBase64url.decode(TEST_SIGNING_KEY.x)
      : new TextEncoder().encode(JSON.stringify(jwk));
  return new SignJWT(claimsOf(gw))
    .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt', kid: TEST_SIGNING_KEY.kid })
    .setSubject(gw.partnerA.clientId)
    .setIssuer(gw.deps.config.TAHOON_ISSUER)
    .setAudience(AUDIENCE)
    .setIssuedAt(nowS)
    .setExpirationTime(nowS + 900)
    .setJti('0123456789abcdef')
    .sign(secret);
}

/** A fresh token of partner A, revoked through RFC 7009 before it is used. */
async function revokedToken(gw: TestGateway): Promise<string> {
  const credential = await gw.deps.store.credentials.get(gw.partnerA.clientId);
  if (!credential) throw new Error('partner A has no credential');
  const auth = createAuth(gw.deps);
  const { accessToken } = await auth.issueToken(credential);
  const basic = btoa(`${gw.partnerA.clientId}:${gw.partnerA.clientSecret}`);
  const call = formPost('/v1/oauth/revoke', `token=${accessToken}`, {
    authorization: `Basic ${basic}`,
  });
  const revoked = await rest(gw, 'POST', call.path, call);
  expect(revoked.status).toBe(200);
  return accessToken;
}

const base64url = (text: string) =>
  btoa(text).replaceAll('+', '-').replaceAll('/', '_').replaceAll('=', '');

/** The token with one character of its payload segment changed, signature kept. */
function flipPayloadCharacter(token: string): string {
  const [header, payload, signature] = token.split('.');
  if (!header || !payload || signature === undefined) throw new Error('not a JWT');
  const i = Math.floor(payload.length / 2);
  const flipped = payload[i] === 'A' ? 'B' : 'A';
  return `${header}.${payload.slice(0, i)}${flipped}${payload.slice(i + 1)}.${signature}`;
}

/** The token with its organization claim swapped for another's, signature kept. */
function swapOrganization(token: string, organizationId: string): string {
  const [header, payload, signature] = token.split('.');
  if (!header || !payload || signature === undefined) throw new Error('not a JWT');
  const claims = JSON.parse(atob(payload.replaceAll('-', '+').replaceAll('_', '/'))) as object;
  return `${header}.${base64url(JSON.stringify({ ...claims, org: organizationId }))}.${signature}`;
}

interface TokenCase {
  name: string;
  /** The Authorization header to send, or null to send none. */
  header: (gw: TestGateway) => Promise<string | null>;
  /** Moves the clock before the call; it is put back afterwards. */
  advanceMs?: number;
}

const bearer = (token: string) => `Bearer ${token}`;

const TOKEN_CASES: TokenCase[] = [
  { name: 'no token', header: async () => null },
  { name: 'a garbage token', header: async () => bearer('not-a-token') },
  { name: 'an empty bearer', header: async () => 'Bearer ' },
  {
    name: 'client credentials sent as Basic',
    header: async (gw) => `Basic ${btoa(`${gw.partnerA.clientId}:${gw.partnerA.clientSecret}`)}`,
  },
  {
    name: 'a payload with one character flipped',
    header: async (gw) => bearer(flipPayloadCharacter(gw.partnerA.token)),
  },
  {
    name: "a payload claiming partner B's organization",
    header: async (gw) => bearer(swapOrganization(gw.partnerA.token, gw.partnerB.organizationId)),
  },
  {
    name: 'a token signed with an unknown key under its own kid',
    header: async (gw) => bearer(await signed(gw, { key: STRANGER_KEY })),
  },
  {
    name: "a token signed with an unknown key under the gateway's kid",
    header: async (gw) =>
      bearer(await signed(gw, { key: STRANGER_KEY, kid: TEST_SIGNING_KEY.kid })),
  },
  {
    name: 'a well-signed token naming an unknown kid',
    header: async (gw) => bearer(await signed(gw, { kid: 'sgk_retired' })),
  },
  {
    name: 'HS256 signed with the public key bytes (algorithm confusion)',
    header: async (gw) => bearer(await hs256WithPublicKey(gw, 'raw')),
  },
  {
    name: 'HS256 signed with the published JWK text (algorithm confusion)',
    header: async (gw) => bearer(await hs256WithPublicKey(gw, 'jwk')),
  },
  {
    name: 'a well-signed token without an expiry',
    header: async (gw) => bearer(await signed(gw, { withoutExpiry: true })),
  },
  { name: 'a revoked token', header: async (gw) => bearer(await revokedToken(gw)) },
  {
    name: 'a token for another audience',
    header: async (gw) => bearer(await signed(gw, { audience: 'someone-else' })),
  },
  {
    name: 'a token from another issuer',
    header: async (gw) => bearer(await signed(gw, { issuer: 'someone-else' })),
  },
  {
    name: "a well-signed token naming partner B's organization for A's credential",
    header: async (gw) => bearer(await signed(gw, { claims: { org: gw.partnerB.organizationId } })),
  },
  {
    name: 'an unsigned token (alg none)',
    header: async (gw) => {
      const nowS = Math.floor(gw.clock.nowMs() / 1000);
      const claims = {
        ...claimsOf(gw),
        sub: gw.partnerA.clientId,
        iss: gw.deps.config.TAHOON_ISSUER,
        aud: AUDIENCE,
        iat: nowS,
        exp: nowS + 900,
        jti: '0123456789abcdef',
      };
      const header = base64url(JSON.stringify({ alg: 'none', typ: 'JWT' }));
      return bearer(`${header}.${base64url(JSON.stringify(claims))}.`);
    },
  },
  // Issued at TEST_NOW with a 900 s lifetime; verification tolerates 30 s of clock skew.
  { name: 'an expired token', header: async (gw) => bearer(gw.partnerA.token), advanceMs: 931_000 },
];

async function withAuthorization(
  gw: TestGateway,
  transport: Transport,
  header: string | null,
): Promise<(Answer | TrpcAnswer) & { text: string }> {
  const headers: Record<string, string> = header === null ? {} : { authorization: header };
  if (transport === 'rest') {
    return callRest(
      gw,
      { method: 'POST', path: '/v1/patients', body: patientInput('token-case'), headers },
      undefined,
    );
  }
  const request = new Request('http://tahoon.test/trpc/patients.create', {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/json' },
    body: JSON.stringify(patientInput('token-case')),
  });
  return readTrpc(await gw.app.fetch(request));
}

function formPost(path: string, form: string, headers: Record<string, string> = {}) {
  return {
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: form,
    path,
  };
}

describe.each(DB_KINDS)('bad input on %s', (kind) => {
  let gw: TestGateway;
  let fixture: Fixture;

  beforeAll(async () => {
    gw = await createTestGateway(kind);
    const token = gw.partnerA.token;
    const patient = await rest(gw, 'POST', '/v1/patients', {
      token,
      body: patientInput('bad-input'),
    });
    expect(patient.status).toBe(201);
    const patientId = (patient.body as { id: string }).id;
    const booked = await rest(gw, 'POST', '/v1/bookings', {
      token,
      body: { patientId, providerId: PROVIDER, start: '2027-03-03T10:00:00+03:00', duration: 50 },
    });
    expect(booked.status).toBe(201);
    fixture = { patientId, bookingId: (booked.body as { id: string }).id };
  });
  afterAll(() => gw?.close());

  it.each(RUNS)('refuses $name over $transport, naming the field, writing nothing', async (run) => {
    const before = await rowCounts(gw);

    const answer = await send(gw, run, fixture);

    expectRefusal(run.transport, answer, run);
    expect(await rowCounts(gw)).toEqual(before);
  });

  it('says a body is not JSON in the same words over both transports', async () => {
    const restAnswer = await callRest(
      gw,
      { method: 'POST', path: '/v1/patients', body: '{' },
      gw.partnerA.token,
    );
    const trpcAnswer = await callRawTrpc(gw, 'patients.create', '{', gw.partnerA.token);

    const restBody = restAnswer.body as { detail: string };
    expect(restBody.detail).toMatch(/JSON/);
    expect((trpcAnswer.body as { detail: string }).detail).toBe(restBody.detail);
  });

  describe.each(TOKEN_CASES)('$name', (c) => {
    it.each(['rest', 'trpc'] as const)(
      'gets 401 UNAUTHENTICATED over %s and writes nothing',
      async (transport) => {
        const before = await rowCounts(gw);
        const header = await c.header(gw);

        gw.clock.advance(c.advanceMs ?? 0);
        let answer;
        try {
          answer = await withAuthorization(gw, transport, header);
        } finally {
          gw.clock.advance(-(c.advanceMs ?? 0));
        }

        expectProblemDocument(answer, 401, 'UNAUTHENTICATED');
        expectTransportEnvelope(transport, answer, 'UNAUTHENTICATED');
        expect((answer.body as { errors?: unknown }).errors).toBeUndefined();
        expectNoLeak(answer.text);
        expect(await rowCounts(gw)).toEqual(before);
      },
    );
  });

  it('accepts the genuine token until its lifetime and tolerance have passed', async () => {
    const list = () => rest(gw, 'GET', '/v1/patients?limit=1', { token: gw.partnerA.token });
    gw.clock.advance(929_000);
    try {
      expect((await list()).status).toBe(200);
    } finally {
      gw.clock.advance(-929_000);
    }
  });

  it('answers a wrong client secret with 401 invalid_client', async () => {
    const basic = btoa(`${gw.partnerA.clientId}:${gw.partnerB.clientSecret}`);
    const call = formPost('/v1/oauth/token', 'grant_type=client_credentials', {
      authorization: `Basic ${basic}`,
    });

    const answer = await rest(gw, 'POST', call.path, call);

    expectProblemDocument(answer, 401, 'UNAUTHENTICATED');
    expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(answer.body).toMatchObject({ error: 'invalid_client' });
    expect(answer.headers.get('www-authenticate')).toMatch(/^Basic/);
    expectNoLeak(JSON.stringify(answer.body));
  });

  it('answers a token request without grant_type with 400 unsupported_grant_type', async () => {
    const { clientId, clientSecret } = gw.partnerA;
    const form = `client_id=${clientId}&client_secret=${encodeURIComponent(clientSecret)}`;
    const call = formPost('/v1/oauth/token', form);

    const answer = await rest(gw, 'POST', call.path, call);

    const body = expectProblemDocument(answer, 400, 'VALIDATION_FAILED');
    expect(body.error).toBe('unsupported_grant_type');
    expect(body.errors?.map((e) => e.pointer)).toContain('/grant_type');
  });

  it('answers a wrong legacy access key with 401 invalid_client', async () => {
    const call = formPost('/api/auth/token', 'grant_type=password&access_key=tk_test_wrong');

    const answer = await rest(gw, 'POST', call.path, call);

    expectProblemDocument(answer, 401, 'UNAUTHENTICATED');
    expect(answer.body).toMatchObject({ error: 'invalid_client' });
  });

  it('issues a working bearer token from the legacy endpoint', async () => {
    const form = `grant_type=password&access_key=${encodeURIComponent(gw.partnerA.clientSecret)}`;
    const call = formPost('/api/auth/token', form);

    const answer = await rest(gw, 'POST', call.path, call);

    expect(answer.status).toBe(200);
    const body = answer.body as { access_token: string; token_type: string; expires_in: number };
    expect(body).toEqual({
      access_token: expect.any(String),
      token_type: 'bearer',
      expires_in: 900,
    });
    const listed = await rest(gw, 'GET', '/v1/patients', { token: body.access_token });
    expect(listed.status).toBe(200);
    const ids = (listed.body as { data: { id: string }[] }).data.map((p) => p.id);
    expect(ids).toContain(fixture.patientId);
  });
});
