import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { jwtVerify } from 'jose';
import type { CryptoKey, JWTPayload } from 'jose';

const FCM_SCOPE = 'https://www.googleapis.com/auth/firebase.messaging';
const JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const FCM_ERROR_TYPE = 'type.googleapis.com/google.firebase.fcm.v1.FcmError';
const BAD_REQUEST_TYPE = 'type.googleapis.com/google.rpc.BadRequest';
const SEND_PATH = /^\/v1\/projects\/([^/]+)\/messages:send$/;
/** FCM's limit on a message's data, keys and values together. */
const MAX_DATA_BYTES = 4096;

/**
 * How the next `messages:send` requests fail. The status modes answer as FCM does, with its
 * error body; `unauthenticated` is a 401 about the access token itself; `timeout` never
 * answers; `reset` drops the connection unanswered; `lost` accepts and records the message,
 * then drops the connection, so the client cannot tell it was sent.
 */
export type FcmFailureMode =
  | '429'
  | '503'
  | '500'
  | 'unregistered'
  | 'invalid-argument'
  | 'sender-id-mismatch'
  | 'third-party-auth'
  | 'unauthenticated'
  | 'timeout'
  | 'reset'
  | 'lost';

/** How the next token requests fail: overloaded, or refusing the assertion. */
export type TokenFailureMode = '503' | 'invalid-grant';

/** A message FCM accepted, as it arrived. */
export interface ReceivedFcmMessage {
  name: string;
  message: Record<string, unknown>;
}

/** One request that reached the fake, whatever became of it. */
export interface FakeFcmRequest {
  kind: 'token' | 'send' | 'other';
  path: string;
  /** The raw body, to search for what must never be sent. */
  body: string;
  /** For token requests: the assertion's claims when its signature and claims held. */
  assertion?: JWTPayload;
  /** For sends: the bearer token presented. */
  accessToken?: string;
}

export interface FakeFcm {
  /** Pass as `apiBase`. */
  url: string;
  /** Pass as the service account's `token_uri`. */
  tokenUri: string;
  messages(): ReceivedFcmMessage[];
  requests(): FakeFcmRequest[];
  sendRequests(): FakeFcmRequest[];
  tokenRequests(): FakeFcmRequest[];
  /** The next `count` sends fail as `mode` says; later ones are served again. */
  failNext(count: number, mode: FcmFailureMode): void;
  failTokenNext(count: number, mode: TokenFailureMode): void;
  /** From now on, sends to this device token answer UNREGISTERED. */
  unregister(deviceToken: string): void;
  /** Forgets every access token issued so far, as if they had been revoked. */
  revokeTokens(): void;
  close(): Promise<void>;
}

export interface FakeFcmOptions {
  projectId: string;
  clientEmail: string;
  /** The service account's public key: assertions must verify against it. */
  publicKey: CryptoKey;
  /** Lifetime of the access tokens issued, in seconds. */
  tokenLifetimeS?: number;
  /** `Retry-After` seconds sent with a 429. */
  retryAfterS?: number;
  /** The fake's clock in milliseconds, shared with the client's to test token expiry. */
  now?: () => number;
}

interface Answer {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

/**
 * A local stand-in for FCM's HTTP v1 API and Google's OAuth token endpoint, on a free port.
 * The token endpoint verifies the RS256 assertion against the service account's public key
 * and its claims (issuer, audience, scope, an hour at most) and issues opaque access tokens;
 * `messages:send` accepts only those tokens, unexpired by the shared clock, checks the message
 * as FCM would and answers with a message name or FCM's error body.
 *
 * @example
 * const fake = await startFakeFcm({ projectId: 'p', clientEmail: 'sa@p.iam…', publicKey });
 * fake.failNext(1, '503');
 * // …send with apiBase: fake.url and token_uri: fake.tokenUri…
 * expect(fake.sendRequests()).toHaveLength(2);
 * await fake.close();
 */
export async function startFakeFcm(options: FakeFcmOptions): Promise<FakeFcm> {
  const now = options.now ?? Date.now;
  const lifetimeS = options.tokenLifetimeS ?? 3600;
  const received: FakeFcmRequest[] = [];
  const accepted: ReceivedFcmMessage[] = [];
  const failures: FcmFailureMode[] = [];
  const tokenFailures: TokenFailureMode[] = [];
  const issued = new Map<string, number>();
  const unregistered = new Set<string>();
  let baseUrl = '';

  async function token(req: IncomingMessage, res: ServerResponse, body: string): Promise<void> {
    const form = new URLSearchParams(body);
    const assertion = await verifiedAssertion(form, options, `${baseUrl}/token`, now());
    received.push({ kind: 'token', path: '/token', body, ...(assertion ? { assertion } : {}) });

    const failure = tokenFailures.shift();
    if (failure === '503')
      return send(res, { status: 503, body: { error: 'temporarily_unavailable' } });
    if (failure === 'invalid-grant' || !assertion) {
      return send(res, {
        status: 400,
        body: { error: 'invalid_grant', error_description: 'Invalid JWT Signature.' },
      });
    }
    const accessToken = `ya29.fake-${randomBytes(24).toString('base64url')}`;
    issued.set(accessToken, now() + lifetimeS * 1000);
    send(res, {
      status: 200,
      body: { access_token: accessToken, expires_in: lifetimeS, token_type: 'Bearer' },
    });
  }

  function messagesSend(
    req: IncomingMessage,
    res: ServerResponse,
    path: string,
    body: string,
  ): void {
    const accessToken = bearer(req.headers.authorization);
    received.push({ kind: 'send', path, body, ...(accessToken ? { accessToken } : {}) });

    const expiresAt = accessToken === undefined ? undefined : issued.get(accessToken);
    if (expiresAt === undefined || now() >= expiresAt) return send(res, unauthenticated());
    if (SEND_PATH.exec(path)?.[1] !== options.projectId) return send(res, notFound());

    const failure = failures.shift();
    if (failure && failure !== 'lost') return fail(res, failure, options.retryAfterS ?? 1);

    const parsed = parseJson(body);
    const problem = messageProblem(parsed);
    if (problem) return send(res, badRequest(problem.field, problem.description));
    const message = (parsed as { message: Record<string, unknown> }).message;
    if (typeof message.token === 'string' && unregistered.has(message.token)) {
      return send(
        res,
        fcmError(404, 'NOT_FOUND', 'UNREGISTERED', 'Requested entity was not found.'),
      );
    }

    const name = `projects/${options.projectId}/messages/0:${randomBytes(8).toString('hex')}`;
    accepted.push({ name, message });
    // The message is accepted; dropping the connection now hides that from the client.
    if (failure === 'lost') return void req.socket.destroy();
    send(res, { status: 200, body: { name } });
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://fake').pathname;
    const body = await readBody(req);
    if (req.method === 'POST' && path === '/token') return token(req, res, body);
    if (req.method === 'POST' && SEND_PATH.test(path)) return messagesSend(req, res, path, body);
    received.push({ kind: 'other', path, body });
    send(res, notFound());
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(() =>
      send(res, fcmError(500, 'INTERNAL', 'INTERNAL', 'Internal error.')),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url: baseUrl,
    tokenUri: `${baseUrl}/token`,
    messages: () => accepted.map((entry) => ({ ...entry })),
    requests: () => [...received],
    sendRequests: () => received.filter((request) => request.kind === 'send'),
    tokenRequests: () => received.filter((request) => request.kind === 'token'),
    failNext(count, mode) {
      for (let i = 0; i < count; i++) failures.push(mode);
    },
    failTokenNext(count, mode) {
      for (let i = 0; i < count; i++) tokenFailures.push(mode);
    },
    unregister: (deviceToken) => void unregistered.add(deviceToken),
    revokeTokens: () => issued.clear(),
    close() {
      // Requests held by `timeout` would keep the server open forever; cut them loose.
      server.closeAllConnections();
      return new Promise((resolve, reject) => server.close((e) => (e ? reject(e) : resolve())));
    },
  };
}

/**
 * The assertion's claims if Google would accept it: the right grant type, an RS256 signature
 * by the service account's key, issued by its email for this token endpoint, asking for the
 * messaging scope, and living an hour at most.
 */
async function verifiedAssertion(
  form: URLSearchParams,
  options: FakeFcmOptions,
  audience: string,
  nowMs: number,
): Promise<JWTPayload | undefined> {
  const assertion = form.get('assertion');
  if (form.get('grant_type') !== JWT_BEARER_GRANT || !assertion) return undefined;
  try {
    const { payload } = await jwtVerify(assertion, options.publicKey, {
      algorithms: ['RS256'],
      issuer: options.clientEmail,
      audience,
      requiredClaims: ['iat', 'exp', 'scope'],
      currentDate: new Date(nowMs),
    });
    const scopes = typeof payload.scope === 'string' ? payload.scope.split(' ') : [];
    const lifetime = (payload.exp ?? 0) - (payload.iat ?? 0);
    return scopes.includes(FCM_SCOPE) && lifetime > 0 && lifetime <= 3600 ? payload : undefined;
  } catch {
    return undefined;
  }
}

const MESSAGE_FIELDS = new Set([
  'token',
  'topic',
  'condition',
  'notification',
  'data',
  'android',
  'apns',
  'webpush',
  'fcm_options',
  'name',
]);

/** What FCM would refuse in a send request, as the field it names and its description. */
function messageProblem(body: unknown): { field: string; description: string } | undefined {
  if (!isRecord(body) || !isRecord(body.message)) {
    return { field: 'message', description: 'Message is missing.' };
  }
  const message = body.message;
  const unknown = Object.keys(message).find((key) => !MESSAGE_FIELDS.has(key));
  if (unknown) return { field: 'message', description: `Unknown name "${unknown}" at 'message'.` };

  const targets = ['token', 'topic', 'condition'].filter((key) => typeof message[key] === 'string');
  if (targets.length !== 1)
    return { field: 'message', description: 'Recipient of the message is not set.' };

  return notificationProblem(message.notification) ?? dataProblem(message.data);
}

function notificationProblem(
  notification: unknown,
): { field: string; description: string } | undefined {
  if (notification === undefined) return undefined;
  if (!isRecord(notification))
    return { field: 'message.notification', description: 'Invalid value.' };
  for (const key of Object.keys(notification)) {
    if (!['title', 'body', 'image'].includes(key) || typeof notification[key] !== 'string') {
      return { field: `message.notification.${key}`, description: 'Invalid value.' };
    }
  }
  return undefined;
}

function dataProblem(data: unknown): { field: string; description: string } | undefined {
  if (data === undefined) return undefined;
  if (!isRecord(data)) return { field: 'message.data', description: 'Invalid value.' };
  let bytes = 0;
  for (const [key, value] of Object.entries(data)) {
    if (typeof value !== 'string') {
      return { field: `message.data[${key}].value`, description: 'Invalid value (TYPE_STRING).' };
    }
    if (['from', 'notification', 'message_type'].includes(key) || /^(google|gcm)/.test(key)) {
      return { field: `message.data[${key}]`, description: 'Invalid data key: reserved.' };
    }
    bytes += Buffer.byteLength(key) + Buffer.byteLength(value);
  }
  return bytes > MAX_DATA_BYTES
    ? { field: 'message.data', description: 'Message is too big.' }
    : undefined;
}

function fail(
  res: ServerResponse,
  mode: Exclude<FcmFailureMode, 'lost'>,
  retryAfterS: number,
): void {
  switch (mode) {
    case '429':
      return send(res, {
        ...fcmError(
          429,
          'RESOURCE_EXHAUSTED',
          'QUOTA_EXCEEDED',
          'Quota exceeded for sending messages.',
        ),
        headers: { 'retry-after': String(retryAfterS) },
      });
    case '503':
      return send(
        res,
        fcmError(503, 'UNAVAILABLE', 'UNAVAILABLE', 'The service is currently unavailable.'),
      );
    case '500':
      return send(res, fcmError(500, 'INTERNAL', 'INTERNAL', 'Internal error encountered.'));
    case 'unregistered':
      return send(
        res,
        fcmError(404, 'NOT_FOUND', 'UNREGISTERED', 'Requested entity was not found.'),
      );
    case 'invalid-argument':
      return send(
        res,
        fcmError(
          400,
          'INVALID_ARGUMENT',
          'INVALID_ARGUMENT',
          'The registration token is not a valid FCM registration token',
        ),
      );
    case 'sender-id-mismatch':
      return send(
        res,
        fcmError(403, 'PERMISSION_DENIED', 'SENDER_ID_MISMATCH', 'SenderId mismatch'),
      );
    case 'third-party-auth':
      return send(
        res,
        fcmError(
          401,
          'UNAUTHENTICATED',
          'THIRD_PARTY_AUTH_ERROR',
          'Auth error from APNS or Web Push Service',
        ),
      );
    case 'unauthenticated':
      return send(res, unauthenticated());
    case 'reset':
      return void res.socket?.destroy();
    case 'timeout':
      return;
  }
}

/** FCM's error body: google.rpc.Status with the FCM error code in `details`. */
function fcmError(code: number, status: string, errorCode: string, message: string): Answer {
  return {
    status: code,
    body: { error: { code, message, status, details: [{ '@type': FCM_ERROR_TYPE, errorCode }] } },
  };
}

function badRequest(field: string, description: string): Answer {
  return {
    status: 400,
    body: {
      error: {
        code: 400,
        message: description,
        status: 'INVALID_ARGUMENT',
        details: [{ '@type': BAD_REQUEST_TYPE, fieldViolations: [{ field, description }] }],
      },
    },
  };
}

function unauthenticated(): Answer {
  const message = 'Request had invalid authentication credentials. Expected OAuth 2 access token.';
  return { status: 401, body: { error: { code: 401, message, status: 'UNAUTHENTICATED' } } };
}

function notFound(): Answer {
  return {
    status: 404,
    body: { error: { code: 404, message: 'Not found.', status: 'NOT_FOUND' } },
  };
}

function bearer(authorization: string | undefined): string | undefined {
  const match = /^Bearer (\S+)$/.exec(authorization ?? '');
  return match?.[1];
}

function send(res: ServerResponse, answer: Answer): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(answer.status, {
    'content-type': 'application/json; charset=UTF-8',
    ...answer.headers,
  });
  res.end(JSON.stringify(answer.body));
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}
