import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

/**
 * How the endpoint answers a delivery: `ok` with 204; a status of choice (with `Retry-After`
 * when asked); `redirect` with a 307 to another path on this server (which records anything that
 * follows it); `hang` never answers; `reset` drops the connection unanswered.
 */
export type PartnerAnswer =
  'ok' | 'redirect' | 'hang' | 'reset' | { status: number; retryAfterS?: number };

/** One request that reached the endpoint, as a partner's receiver would see it. */
export interface ReceivedDelivery {
  method: string;
  path: string;
  /** `webhook-id`, `webhook-timestamp`, `webhook-signature`; undefined when absent. */
  id: string | undefined;
  timestamp: string | undefined;
  signature: string | undefined;
  headers: Record<string, string>;
  /** The raw body, exactly as received. */
  body: string;
  /** Verified by the Standard Webhooks library with one of the endpoint's secrets. */
  verified: boolean;
  /** Why verification failed, when it did. */
  verifyError: string | undefined;
  answer: PartnerAnswer;
}

export interface FakePartnerEndpoint {
  /** Where to deliver, e.g. `http://127.0.0.1:41234/webhooks`. */
  url: string;
  /** Port the endpoint listens on, for URLs under other host names. */
  port: number;
  deliveries(): ReceivedDelivery[];
  /** The next `count` requests get `answer`; then the standing answer applies again. */
  answerNext(count: number, answer: PartnerAnswer): void;
  /** The answer for every request not covered by `answerNext` (initially `ok`). */
  answerAlways(answer: PartnerAnswer): void;
  /** The secrets the partner verifies with, e.g. only the new one after a rotation. */
  useSecrets(secrets: readonly string[]): void;
  close(): Promise<void>;
}

/**
 * A partner's webhook receiver on a free local port. It verifies every request with the
 * `standardwebhooks` library (the partner's side of the contract, written by neither us nor the
 * tests), records what arrived, answers 401 to what does not verify, and otherwise answers as
 * it was told.
 *
 * @example
 * const partner = await startFakePartnerEndpoint({ secrets: [secret] });
 * partner.answerNext(2, { status: 500 });
 * // …deliver three times…
 * expect(partner.deliveries().map((d) => d.verified)).toEqual([true, true, true]);
 * await partner.close();
 */
export async function startFakePartnerEndpoint(options: {
  secrets: readonly string[];
}): Promise<FakePartnerEndpoint> {
  let secrets = [...options.secrets];
  let standing: PartnerAnswer = 'ok';
  const queued: PartnerAnswer[] = [];
  const received: ReceivedDelivery[] = [];

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const headers = flatHeaders(req);
    const verification = verify(secrets, body, headers);
    // Like a careful receiver, refuse what does not verify; the scripted answers wait.
    const answer = verification.verified ? (queued.shift() ?? standing) : UNVERIFIED;
    received.push({
      method: req.method ?? '',
      path: new URL(req.url ?? '/', 'http://partner').pathname,
      id: headers['webhook-id'],
      timestamp: headers['webhook-timestamp'],
      signature: headers['webhook-signature'],
      headers,
      body,
      ...verification,
      answer,
    });
    respond(req, res, answer);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(() => respond(req, res, { status: 500 }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port}/webhooks`,
    port,
    deliveries: () => received.map((delivery) => ({ ...delivery })),
    answerNext(count, answer) {
      for (let i = 0; i < count; i++) queued.push(answer);
    },
    answerAlways(answer) {
      standing = answer;
    },
    useSecrets(next) {
      secrets = [...next];
    },
    close() {
      // A `hang` holds its connection open forever; cut it loose so the server can stop.
      server.closeAllConnections();
      return new Promise((resolve, reject) => server.close((e) => (e ? reject(e) : resolve())));
    },
  };
}

const UNVERIFIED: PartnerAnswer = { status: 401 };

function verify(
  secrets: readonly string[],
  body: string,
  headers: Record<string, string>,
): { verified: boolean; verifyError: string | undefined } {
  let verifyError = 'no secret to verify with';
  for (const secret of secrets) {
    try {
      new Webhook(secret).verify(body, headers);
      return { verified: true, verifyError: undefined };
    } catch (error) {
      verifyError = error instanceof Error ? error.message : String(error);
    }
  }
  return { verified: false, verifyError };
}

function respond(req: IncomingMessage, res: ServerResponse, answer: PartnerAnswer): void {
  if (res.headersSent || res.destroyed) return;
  if (answer === 'hang') return;
  if (answer === 'reset') return void req.socket.destroy();
  if (answer === 'ok') return void res.writeHead(204).end();
  if (answer === 'redirect') {
    return void res.writeHead(307, { location: '/webhooks/moved' }).end();
  }
  const headers: Record<string, string> = { 'content-type': 'text/plain' };
  if (answer.retryAfterS !== undefined) headers['retry-after'] = String(answer.retryAfterS);
  res.writeHead(answer.status, headers).end(`status ${answer.status}`);
}

function flatHeaders(req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
