import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupAddress, LookupOptions } from 'node:dns';
import type { FetchLike } from './delivery.js';
import { lookupAddresses } from './node-resolver.js';
import {
  checkWebhookUrlShape,
  resolveChecked,
  UrlRefusedError,
  type Resolver,
  type UrlPolicy,
} from './ssrf.js';

/**
 * A fetch for webhook deliveries that closes the DNS-rebinding gap (Node only). A guard that
 * resolves a name and then lets fetch resolve it again can be beaten by a name that answers a
 * public address to the check and 127.0.0.1 to the connection. Here the socket's own lookup runs
 * the SSRF check, so the addresses a connection may use are exactly the addresses just checked.
 * The global fetch takes no lookup hook without a dependency on undici, hence plain node:http.
 *
 * Deliberately small: POST/GET with a string body, headers, an abort signal, never a redirect
 * (node:http does not follow them), no connection reuse (each attempt gets a fresh socket, so a
 * socket checked under one policy never serves another), and the answer's body is discarded —
 * deliveries need the status and headers only, and reading an endpoint's body is an invitation
 * to be fed gigabytes.
 */

export interface PinnedFetchOptions {
  policy?: UrlPolicy;
  /** Defaults to the system resolver. */
  resolve?: Resolver;
}

/**
 * @example
 * const fetch = createPinnedFetch();
 * await deliverWebhook({ url, secrets, event, timeoutMs: 15_000, fetch, guard });
 */
export function createPinnedFetch(options: PinnedFetchOptions = {}): FetchLike {
  const policy = options.policy ?? {};
  const resolve = options.resolve ?? lookupAddresses;
  return (url, init) => pinnedRequest(url, init, policy, resolve);
}

async function pinnedRequest(
  raw: string,
  init: RequestInit,
  policy: UrlPolicy,
  resolve: Resolver,
): Promise<Response> {
  // Literal addresses never reach the lookup hook, so the shape check must judge them here.
  const shape = checkWebhookUrlShape(raw, policy);
  if (!shape.ok) throw new UrlRefusedError(shape);
  if (init.body !== undefined && init.body !== null && typeof init.body !== 'string') {
    throw new TypeError('the pinned fetch sends string bodies only');
  }
  const send = shape.url.protocol === 'https:' ? httpsRequest : httpRequest;

  return new Promise<Response>((fulfil, reject) => {
    const request = send(
      shape.url,
      {
        method: init.method ?? 'GET',
        headers: Object.fromEntries(new Headers(init.headers).entries()),
        signal: init.signal ?? undefined,
        agent: false,
        lookup: checkedLookup(policy, resolve),
      },
      (answer) => {
        answer.destroy();
        settle(answer, fulfil, reject);
      },
    );
    request.on('error', reject);
    request.end(init.body ?? undefined);
  });
}

function settle(
  answer: IncomingMessage,
  fulfil: (response: Response) => void,
  reject: (error: unknown) => void,
): void {
  try {
    fulfil(new Response(null, { status: answer.statusCode ?? 0, headers: headersOf(answer) }));
  } catch (error) {
    // A status outside 200–599 cannot be a Response; treat it like any broken answer.
    reject(new TypeError('the endpoint sent an invalid status line', { cause: error }));
  }
}

function headersOf(answer: IncomingMessage): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(answer.headers)) {
    if (value === undefined) continue;
    for (const one of Array.isArray(value) ? value : [value]) headers.append(name, one);
  }
  return headers;
}

type LookupCallback = (
  error: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void;

/** A socket lookup that resolves, refuses any forbidden answer, and hands back the rest. */
function checkedLookup(policy: UrlPolicy, resolve: Resolver) {
  return (hostname: string, options: LookupOptions, callback: LookupCallback): void => {
    resolveChecked(hostname, policy, resolve).then(
      (check) => {
        if (!check.ok) return callback(new UrlRefusedError(check), '');
        const answers = check.addresses
          .map((address) => ({ address, family: address.includes(':') ? 6 : 4 }))
          .filter((answer) => !options.family || answer.family === options.family);
        const first = answers[0];
        if (!first) return callback(refusedFamily(hostname), '');
        if (options.all) return callback(null, answers);
        callback(null, first.address, first.family);
      },
      (error: unknown) => callback(error instanceof Error ? error : new Error(String(error)), ''),
    );
  };
}

function refusedFamily(hostname: string): UrlRefusedError {
  return new UrlRefusedError({
    ok: false,
    reason: 'unresolvable',
    detail: `${hostname} has no address of the family asked for`,
  });
}
