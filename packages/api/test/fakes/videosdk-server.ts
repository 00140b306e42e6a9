import { randomBytes, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { jwtVerify } from 'jose';
import type { JWTPayload } from 'jose';

/**
 * How the next requests fail: `503` and `429` answer with that status, `timeout` never answers,
 * `reset` drops the connection unanswered, and `lost` does the work and then drops the
 * connection, so the client cannot tell a room was made.
 */
export type FailureMode = '503' | '429' | 'timeout' | 'reset' | 'lost';

/** A room as the fake keeps it: the fields VideoSDK returns, in its spelling. */
export interface FakeRoom {
  id: string;
  roomId: string;
  customRoomId: string | null;
  userId: string;
  disabled: boolean;
  createdAt: string;
  updatedAt: string;
}

/** One request that reached the fake, with the claims of its token when the token was valid. */
export interface ReceivedRequest {
  method: string;
  path: string;
  authorization: string | undefined;
  claims: JWTPayload | undefined;
  body: unknown;
}

export interface FakeVideoSdk {
  /** Base URL to pass as `apiBase`, e.g. `http://127.0.0.1:41234`. */
  url: string;
  /** Every room made, deactivated ones included. */
  rooms(): FakeRoom[];
  /** Rooms made and not deactivated: what a failed booking must not leave behind. */
  liveRooms(): FakeRoom[];
  requests(): ReceivedRequest[];
  /** The next `count` requests fail as `mode` says; later ones are served again. */
  failNext(count: number, mode: FailureMode): void;
  close(): Promise<void>;
}

export interface FakeVideoSdkOptions {
  apiKey: string;
  secret: string;
  /** Seconds asked of a client that hit the rate limit. */
  retryAfterS?: number;
}

type Handler = (body: unknown) => { status: number; body: unknown };

/**
 * A local stand-in for VideoSDK's v2 rooms API: `POST /v2/rooms` and
 * `POST /v2/rooms/deactivate`, authorised like the real one by an HS256 JWT sent as the raw
 * `Authorization` header and carrying the account's `apikey`. Listens on a free port.
 *
 * @example
 * const fake = await startFakeVideoSdk({ apiKey: 'key', secret: 'a-long-test-secret' });
 * fake.failNext(1, 'lost');
 * // …exercise the adapter with apiBase: fake.url…
 * expect(fake.liveRooms()).toHaveLength(1);
 * await fake.close();
 */
export async function startFakeVideoSdk(options: FakeVideoSdkOptions): Promise<FakeVideoSdk> {
  const key = new TextEncoder().encode(options.secret);
  const rooms = new Map<string, FakeRoom>();
  const received: ReceivedRequest[] = [];
  const failures: FailureMode[] = [];
  let baseUrl = '';

  const routes: Record<string, Handler> = {
    '/v2/rooms': (body) => createRoom(rooms, body, baseUrl),
    '/v2/rooms/deactivate': (body) => deactivateRoom(rooms, body, baseUrl),
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://fake').pathname;
    const body = await readJson(req);
    const authorization = req.headers.authorization;
    const claims = await verifiedClaims(authorization, key, options.apiKey);
    received.push({ method: req.method ?? '', path, authorization, claims, body });

    const failure = failures.shift();
    if (failure && failure !== 'lost') return fail(res, failure, options.retryAfterS ?? 1);

    const route = req.method === 'POST' ? routes[path] : undefined;
    const answer = !claims
      ? { status: 401, body: { statusCode: 401, error: 'Unauthorized', message: 'Invalid token' } }
      : route
        ? route(body)
        : { status: 404, body: { statusCode: 404, error: 'Not Found', message: 'No such route' } };

    // The work is done; dropping the connection now hides the success from the client.
    if (failure === 'lost') return void req.socket.destroy();
    send(res, answer.status, answer.body);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(() => send(res, 500, { statusCode: 500, error: 'Internal' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url: baseUrl,
    rooms: () => [...rooms.values()].map((room) => ({ ...room })),
    liveRooms: () => [...rooms.values()].filter((room) => !room.disabled).map((r) => ({ ...r })),
    requests: () => [...received],
    failNext(count, mode) {
      for (let i = 0; i < count; i++) failures.push(mode);
    },
    close() {
      // Requests held by `timeout` would keep the server open forever; cut them loose.
      server.closeAllConnections();
      return new Promise((resolve, reject) => server.close((e) => (e ? reject(e) : resolve())));
    },
  };
}

/** Like VideoSDK, a second creation under one `customRoomId` returns the first room. */
function createRoom(rooms: Map<string, FakeRoom>, body: unknown, baseUrl: string) {
  const customRoomId = stringField(body, 'customRoomId');
  const existing = [...rooms.values()].find(
    (room) => customRoomId && room.customRoomId === customRoomId,
  );
  if (existing) return { status: 200, body: roomBody(existing, baseUrl) };

  const at = new Date().toISOString();
  const room: FakeRoom = {
    id: randomBytes(12).toString('hex'),
    roomId: newRoomId(),
    customRoomId: customRoomId ?? null,
    userId: FAKE_USER_ID,
    disabled: false,
    createdAt: at,
    updatedAt: at,
  };
  rooms.set(room.roomId, room);
  return { status: 200, body: roomBody(room, baseUrl) };
}

/** Deactivating twice is harmless; an unknown room id is a client error. */
function deactivateRoom(rooms: Map<string, FakeRoom>, body: unknown, baseUrl: string) {
  const room = rooms.get(stringField(body, 'roomId') ?? '');
  if (!room) {
    return {
      status: 400,
      body: { statusCode: 400, error: 'Bad Request', message: 'Invalid roomId' },
    };
  }
  if (!room.disabled) Object.assign(room, { disabled: true, updatedAt: new Date().toISOString() });
  return { status: 200, body: roomBody(room, baseUrl) };
}

const FAKE_USER_ID = '5f7edbb14c938bcd4294452a';

function roomBody(room: FakeRoom, baseUrl: string) {
  return {
    ...room,
    links: {
      get_room: `${baseUrl}/v2/rooms/${room.roomId}`,
      get_session: `${baseUrl}/v2/sessions/?roomId=${room.roomId}`,
    },
  };
}

/** VideoSDK's room ids read like `abcd-efgh-ijkl`. */
function newRoomId(): string {
  const letters = 'abcdefghijklmnopqrstuvwxyz';
  const chars = [...randomBytes(12)].map((byte) => letters[byte % letters.length]);
  return [0, 4, 8].map((start) => chars.slice(start, start + 4).join('')).join('-');
}

/**
 * The claims of a token VideoSDK would accept: signed with the account's secret, unexpired,
 * for this API key, for version 2 with the API role. Anything else is treated as no token.
 */
async function verifiedClaims(
  authorization: string | undefined,
  key: Uint8Array,
  apiKey: string,
): Promise<JWTPayload | undefined> {
  if (!authorization) return undefined;
  try {
    const { payload } = await jwtVerify(authorization, key, { algorithms: ['HS256'] });
    const roles = Array.isArray(payload.roles) ? payload.roles : [];
    const fitsApi = payload.apikey === apiKey && payload.version === 2 && roles.includes('crawler');
    return fitsApi ? payload : undefined;
  } catch {
    // A `Bearer ` prefix, a bad signature or an expired token all land here.
    return undefined;
  }
}

function fail(res: ServerResponse, mode: Exclude<FailureMode, 'lost'>, retryAfterS: number): void {
  switch (mode) {
    case '503':
      return send(res, 503, { statusCode: 503, error: 'Service Unavailable' });
    case '429':
      res.setHeader('retry-after', String(retryAfterS));
      return send(res, 429, { statusCode: 429, error: 'Too Many Requests' });
    case 'reset':
      return void res.socket?.destroy();
    case 'timeout':
      return;
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, { 'content-type': 'application/json', 'x-request-id': randomUUID() });
  res.end(JSON.stringify(body));
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function stringField(body: unknown, name: string): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const value = (body as Record<string, unknown>)[name];
  return typeof value === 'string' ? value : undefined;
}
