import { TokenSource } from './auth.js';
import { TahoonApiError } from './errors.js';
import { type Settings, checkCallOptions } from './options.js';
import {
  type Page,
  type PageBody,
  type PagePromise,
  type WithRequestId,
  createPage,
  createPagePromise,
} from './pagination.js';
import { type QueryValue, type Reply, isRecord, send } from './transport.js';

/** Query parameters as a resource hands them over; `undefined` values are left out. */
export type Query = { [key: string]: QueryValue };

/**
 * What the resources call: reads, writes and lists against the gateway, authorised, retried and
 * with request ids attached. Not exported from the package.
 */
export class Http {
  readonly #settings: Settings;
  readonly #tokens: TokenSource;

  constructor(settings: Settings) {
    this.#settings = settings;
    this.#tokens = new TokenSource(settings);
  }

  async read<T extends object>(
    path: string,
    query: Query | undefined,
    options: unknown,
  ): Promise<WithRequestId<T>> {
    const checked = checkCallOptions(options, 'read');
    const reply = await send(this.#settings, {
      method: 'GET',
      path,
      query,
      auth: this.#tokens,
      options: checked,
    });
    return withRequestId<T>(reply);
  }

  async write<T extends object>(
    method: 'POST' | 'PUT' | 'PATCH' | 'DELETE',
    path: string,
    body: object | undefined,
    options: unknown,
  ): Promise<WithRequestId<T>> {
    const checked = checkCallOptions(options, 'write');
    const reply = await send(this.#settings, {
      method,
      path,
      json: body,
      auth: this.#tokens,
      // Made once per logical call, so every retry of it carries the same key.
      idempotencyKey: checked.idempotencyKey ?? randomKey(),
      options: checked,
    });
    return withRequestId<T>(reply);
  }

  /**
   * A list call; the path (when given as a function), params and options are checked when it
   * is first awaited or iterated.
   * `cursorParam` names the query parameter a page's `nextCursor` goes back in: `cursor` for
   * most lists, `after` for the events list, whose cursor is the last event's id.
   */
  list<T>(
    path: string | (() => string),
    params: object | undefined,
    options: unknown,
    cursorParam = 'cursor',
  ): PagePromise<T> {
    return createPagePromise(async () => {
      const listPath = typeof path === 'string' ? path : path();
      const query = queryOf(params, 'params');
      const checked = checkCallOptions(options, 'read');

      const load = async (cursor: string | undefined): Promise<Page<T>> => {
        const reply = await send(this.#settings, {
          method: 'GET',
          path: listPath,
          query: cursor === undefined ? query : { ...query, [cursorParam]: cursor },
          auth: this.#tokens,
          options: checked,
        });
        const body = readPage<T>(reply);
        // A cursor that points back at its own page would make iteration loop forever.
        if (cursor !== undefined && body.nextCursor === cursor) {
          throw unexpected(reply, `The page for cursor ${cursor} names the same cursor as next`);
        }
        return createPage(body, reply.requestId, load);
      };

      const first = query[cursorParam];
      return load(typeof first === 'string' ? first : undefined);
    });
  }
}

/** Checks and encodes an id for a path, so `get('')` can never turn into a list request. */
export function pathId(id: unknown, name: string): string {
  if (typeof id !== 'string' || id === '') {
    throw new TypeError(`${name} must be a non-empty string`);
  }
  return encodeURIComponent(id);
}

/** Checks query params, where given: an object of strings, numbers and booleans. */
export function queryOf(params: object | undefined, name: string): Query {
  const query: Query = {};
  for (const [key, value] of Object.entries(paramsObject(params, name))) {
    if (value !== undefined && !['string', 'number', 'boolean'].includes(typeof value)) {
      throw new TypeError(`${name}.${key} must be a string, number or boolean`);
    }
    query[key] = value as QueryValue;
  }
  return query;
}

/** Checks that params, where given, are an object; returns a copy to send. */
export function paramsObject<T extends object>(params: T | undefined, name: string): T {
  if (params === undefined) return {} as T;
  if (!isRecord(params)) throw new TypeError(`${name} must be an object`);
  return { ...params };
}

function withRequestId<T extends object>(reply: Reply): WithRequestId<T> {
  if (!isRecord(reply.body)) throw unexpected(reply, 'The response body is not a JSON object');
  return Object.defineProperty(reply.body, 'requestId', {
    value: reply.requestId,
    enumerable: false,
  }) as WithRequestId<T>;
}

function readPage<T>(reply: Reply): PageBody<T> {
  const body = reply.body;
  const valid =
    isRecord(body) &&
    Array.isArray(body.data) &&
    (typeof body.nextCursor === 'string' || body.nextCursor === null);
  if (!valid) throw unexpected(reply, 'The response is not a page of { data, nextCursor }');
  return { data: body.data as T[], nextCursor: body.nextCursor as string | null };
}

function unexpected(reply: Reply, detail: string): TahoonApiError {
  return new TahoonApiError({
    code: 'UNEXPECTED_RESPONSE',
    status: reply.status,
    requestId: reply.requestId || undefined,
    detail,
  });
}

/** `crypto.randomUUID` exists only in secure contexts in browsers; fall back to random bytes. */
function randomKey(): string {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}
