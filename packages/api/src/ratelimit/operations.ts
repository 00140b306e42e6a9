import { forEachOpenApiProcedure, getPathRegExp, normalizePath } from 'trpc-to-openapi';
import { appRouter } from '../routers/index.js';

/** The qualifier for a provider search that has to compute free slots. */
export const AVAILABILITY_SEARCH = 'providers.search:availability';

interface RestRoute {
  operation: string;
  method: string;
  pattern: RegExp;
}

let routes: RestRoute[] | undefined;

/**
 * The REST routes, read from the procedure definitions and matched the way the REST handler
 * matches them, so a new or moved operation is priced without a second table to keep in step.
 */
function restRoutes(): RestRoute[] {
  if (routes) return routes;
  const found: RestRoute[] = [];
  forEachOpenApiProcedure(appRouter._def.procedures, ({ path, meta }) => {
    const pattern = getPathRegExp(normalizePath(meta.openapi.path));
    found.push({ operation: path, method: meta.openapi.method, pattern });
  });
  routes = found;
  return routes;
}

type Input = Record<string, unknown>;

function wantsAvailability(input: Input | URLSearchParams | undefined): boolean {
  if (!input) return false;
  const get = (name: string) => (input instanceof URLSearchParams ? input.get(name) : input[name]);
  return Boolean(get('availableFrom') || get('availableTo')) || get('sort') === 'earliest';
}

function qualify(operation: string, input: Input | URLSearchParams | undefined): string {
  return operation === 'providers.search' && wantsAvailability(input)
    ? AVAILABILITY_SEARCH
    : operation;
}

function asInput(value: unknown): Input | undefined {
  return typeof value === 'object' && value !== null ? (value as Input) : undefined;
}

/** The inputs of a tRPC GET, by position in the batch; unreadable input counts as none. */
function trpcInputs(url: URL, count: number): (Input | undefined)[] {
  const raw = url.searchParams.get('input');
  let parsed: unknown;
  try {
    parsed = raw ? JSON.parse(raw) : undefined;
  } catch {
    parsed = undefined;
  }
  if (url.searchParams.get('batch') !== '1') return [asInput(parsed)];
  const byIndex = asInput(parsed);
  return Array.from({ length: count }, (_, i) => asInput(byIndex?.[String(i)]));
}

function trpcOperations(url: URL, names: string): string[] {
  let decoded: string;
  try {
    decoded = decodeURIComponent(names);
  } catch {
    return [];
  }
  const operations = decoded.split(',').filter((name) => name.length > 0);
  const inputs = trpcInputs(url, operations.length);
  return operations.map((operation, i) => qualify(operation, inputs[i]));
}

/**
 * The operations a request asks for: one for a REST call, one per call in a tRPC batch (a batch
 * costs what its calls cost), none for anything else.
 *
 * @example
 * operationsOf(new Request('http://x/v1/providers/prv_1/slots?from=…')); // ['providers.slots']
 */
export function operationsOf(request: Request): string[] {
  const url = new URL(request.url);
  const trpc = /^\/trpc\/(.+)$/.exec(url.pathname);
  if (trpc?.[1]) return trpcOperations(url, trpc[1]);

  const method = request.method === 'HEAD' ? 'GET' : request.method;
  const path = normalizePath(url.pathname);
  const route = restRoutes().find((r) => r.method === method && r.pattern.test(path));
  return route ? [qualify(route.operation, url.searchParams)] : [];
}

/** An operation's cost: its own entry, else its unqualified name's, else 1. */
export function operationCost(operation: string, costs: Record<string, number>): number {
  const base = operation.split(':')[0] ?? operation;
  return costs[operation] ?? costs[base] ?? 1;
}

/**
 * The quota units a request uses: the sum of its operations' costs, or 1 for a request that
 * names no operation (it still counts).
 *
 * @example
 * requestCost(c.req.raw, limiter.config.costs); // 5 for a slot search
 */
export function requestCost(request: Request, costs: Record<string, number>): number {
  const operations = operationsOf(request);
  if (operations.length === 0) return 1;
  return operations.reduce((sum, operation) => sum + operationCost(operation, costs), 0);
}
