import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request as the fake gateway received it. */
export interface Received {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: string;
}

/** What a route answers: JSON unless `raw` is given. */
export interface Answer {
  status?: number;
  json?: unknown;
  raw?: string;
  contentType?: string;
  headers?: Record<string, string>;
  delayMs?: number;
}

export type Route = (request: Received) => Answer | Promise<Answer>;

export const CLIENT_ID = 'cred_k3m9q2x7w4n8p5rt';
export const CLIENT_SECRET = 'sk test/secret:with+symbols';

/**
 * A small stand-in for the gateway on a loopback port: it issues client-credentials tokens,
 * checks bearer tokens, stamps `X-Request-Id` on every answer and replies to routes the test
 * registers. It knows only the wire contract, none of the SDK.
 */
export class FakeGateway {
  readonly received: Received[] = [];
  readonly tokens = new Set<string>();
  tokenLifetimeS: number | undefined = 3600;
  tokenDelayMs = 0;
  /** Answers the token endpoint gives instead of a token, first to last. */
  readonly tokenFailures: Answer[] = [];

  #server: Server | undefined;
  #routes = new Map<string, Route[]>();
  #requestCount = 0;
  #tokenCount = 0;

  get url(): string {
    const address = this.#server?.address() as AddressInfo;
    return `http://127.0.0.1:${address.port}`;
  }

  /** Requests to one path, token requests left out unless asked for. */
  requestsTo(path: string): Received[] {
    return this.received.filter((r) => r.path === path);
  }

  get tokenRequests(): Received[] {
    return this.requestsTo('/v1/oauth/token');
  }

  /**
   * Registers answers for `METHOD /path`, used one per request in order; the last one keeps
   * answering.
   */
  on(route: string, ...answers: (Answer | Route)[]): this {
    this.#routes.set(
      route,
      answers.map((a) => (typeof a === 'function' ? a : () => a)),
    );
    return this;
  }

  async start(): Promise<this> {
    this.#server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const url = new URL(req.url ?? '/', 'http://gateway.test');
        const received: Received = {
          method: req.method ?? 'GET',
          path: url.pathname,
          query: url.searchParams,
          headers: req.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        };
        this.received.push(received);
        void this.#answer(received).then(async (answer) => {
          if (answer.delayMs) await new Promise((r) => setTimeout(r, answer.delayMs));
          this.#requestCount += 1;
          const body = answer.raw ?? (answer.json === undefined ? '' : JSON.stringify(answer.json));
          res.writeHead(answer.status ?? 200, {
            'content-type': answer.contentType ?? 'application/json',
            'x-request-id': `req_${String(this.#requestCount).padStart(16, 'a')}`,
            ...answer.headers,
          });
          res.end(body);
        });
      });
    });
    await new Promise<void>((resolve) => this.#server?.listen(0, '127.0.0.1', resolve));
    return this;
  }

  async stop(): Promise<void> {
    const server = this.#server;
    if (!server) return;
    this.#server = undefined;
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }

  async #answer(request: Received): Promise<Answer> {
    if (request.path === '/v1/oauth/token') return this.#token(request);

    const token = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
    if (token === undefined || !this.tokens.has(token)) {
      return problem(401, 'UNAUTHENTICATED', 'The bearer token is missing, expired or revoked');
    }
    const routes = this.#routes.get(`${request.method} ${request.path}`);
    const route = routes && routes.length > 1 ? routes.shift() : routes?.[0];
    if (!route) return problem(404, 'NOT_FOUND', `No route ${request.method} ${request.path}`);
    return route(request);
  }

  async #token(request: Received): Promise<Answer> {
    if (this.tokenDelayMs) await new Promise((r) => setTimeout(r, this.tokenDelayMs));
    const failure = this.tokenFailures.shift();
    if (failure) return failure;

    const [id, secret] = decodeBasic(request.headers.authorization);
    const grant = new URLSearchParams(request.body).get('grant_type');
    if (id !== CLIENT_ID || secret !== CLIENT_SECRET || grant !== 'client_credentials') {
      return { ...problem(401, 'UNAUTHENTICATED', 'Unknown client'), json: invalidClient() };
    }

    this.#tokenCount += 1;
    const token = `tok_${this.#tokenCount}`;
    this.tokens.add(token);
    const lifetime = this.tokenLifetimeS === undefined ? {} : { expires_in: this.tokenLifetimeS };
    return { json: { access_token: token, token_type: 'Bearer', scope: 'partner', ...lifetime } };
  }
}

/** An RFC 9457 problem answer as the gateway writes one. */
export function problem(
  status: number,
  code: string,
  detail: string,
  extra: Record<string, unknown> = {},
): Answer {
  return {
    status,
    contentType: 'application/problem+json',
    json: {
      type: `https://docs.tahoon.example/problems/${code.toLowerCase()}`,
      title: `Problem ${code}`,
      status,
      detail,
      code,
      requestId: `req_body${code.toLowerCase().slice(0, 12)}`,
      ...extra,
    },
  };
}

function invalidClient(): Record<string, unknown> {
  return {
    type: 'https://docs.tahoon.example/problems/unauthenticated',
    title: 'Authentication is required',
    status: 401,
    detail: 'Unknown client or wrong secret',
    code: 'UNAUTHENTICATED',
    requestId: 'req_tokenfailure',
    error: 'invalid_client',
  };
}

/** RFC 6749 §2.3.1: both halves are form-encoded before they are joined. */
function decodeBasic(header: string | undefined): [string, string] {
  const encoded = /^Basic (.+)$/.exec(header ?? '')?.[1] ?? '';
  const decoded = Buffer.from(encoded, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const formDecode = (value: string) => decodeURIComponent(value.replaceAll('+', ' '));
  return [formDecode(decoded.slice(0, colon)), formDecode(decoded.slice(colon + 1))];
}
