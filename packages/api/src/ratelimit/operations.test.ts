import { describe, expect, it } from 'vitest';
import { DEFAULT_RATE_LIMIT_CONFIG } from './config.js';
import { AVAILABILITY_SEARCH, operationCost, operationsOf, requestCost } from './operations.js';

const costs = DEFAULT_RATE_LIMIT_CONFIG.costs;
const get = (path: string) => new Request(`http://gateway.test${path}`);
const trpcInput = (value: unknown) => encodeURIComponent(JSON.stringify(value));

describe('operationsOf', () => {
  it.each([
    ['GET', '/v1/catalogue', 'catalogue.get'],
    ['POST', '/v1/patients', 'patients.create'],
    ['GET', '/v1/patients/pat_1', 'patients.get'],
    ['PATCH', '/v1/patients/pat_1', 'patients.update'],
    ['GET', '/v1/patients?externalId=x', 'patients.list'],
    ['GET', '/v1/providers', 'providers.search'],
    ['GET', '/v1/providers/prv_1', 'providers.get'],
    ['GET', '/v1/providers/prv_1/slots', 'providers.slots'],
    ['POST', '/v1/bookings', 'bookings.create'],
    ['GET', '/v1/bookings/bkg_1', 'bookings.get'],
    ['GET', '/v1/bookings', 'bookings.list'],
    ['POST', '/v1/bookings/bkg_1/cancel', 'bookings.cancel'],
  ])('names %s %s as %s', (method, path, operation) => {
    expect(operationsOf(new Request(`http://gateway.test${path}`, { method }))).toEqual([
      operation,
    ]);
  });

  it('tells a provider search that computes free slots from a plain one', () => {
    expect(operationsOf(get('/v1/providers?specialty=anxiety'))).toEqual(['providers.search']);
    const from =
      '/v1/providers?availableFrom=2027-03-01T00:00:00Z&availableTo=2027-03-02T00:00:00Z';
    expect(operationsOf(get(from))).toEqual([AVAILABILITY_SEARCH]);
    expect(operationsOf(get('/v1/providers?sort=earliest'))).toEqual([AVAILABILITY_SEARCH]);
  });

  it('matches paths as the REST handler does: trailing slash and letter case aside', () => {
    expect(operationsOf(get('/v1/providers/prv_1/slots/'))).toEqual(['providers.slots']);
    expect(operationsOf(get('/V1/Providers/prv_1/Slots'))).toEqual(['providers.slots']);
  });

  it('names nothing for routes that are not operations', () => {
    expect(operationsOf(get('/health'))).toEqual([]);
    expect(
      operationsOf(new Request('http://gateway.test/v1/catalogue', { method: 'DELETE' })),
    ).toEqual([]);
  });

  it('names each call of a tRPC batch, with its own input', () => {
    const input = trpcInput({ 0: { id: 'prv_1' }, 1: { sort: 'earliest' }, 2: { q: 'x' } });
    const path = `/trpc/providers.get,providers.search,providers.search?batch=1&input=${input}`;
    expect(operationsOf(get(path))).toEqual([
      'providers.get',
      AVAILABILITY_SEARCH,
      'providers.search',
    ]);
  });

  it('reads the input of a single tRPC call', () => {
    const input = trpcInput({
      availableFrom: '2027-03-01T00:00:00Z',
      availableTo: '2027-03-02T00:00:00Z',
    });
    expect(operationsOf(get(`/trpc/providers.search?input=${input}`))).toEqual([
      AVAILABILITY_SEARCH,
    ]);
    expect(operationsOf(get('/trpc/providers.search?input=%7Bbroken'))).toEqual([
      'providers.search',
    ]);
  });
});

describe('requestCost', () => {
  it('charges the configured cost for expensive operations and 1 for the rest', () => {
    expect(requestCost(get('/v1/providers/prv_1/slots?from=a&to=b'), costs)).toBe(5);
    expect(requestCost(get('/v1/providers?sort=earliest'), costs)).toBe(5);
    expect(requestCost(get('/v1/providers'), costs)).toBe(1);
    expect(requestCost(get('/v1/catalogue'), costs)).toBe(1);
    expect(requestCost(get('/health'), costs)).toBe(1);
  });

  it('charges a tRPC batch what its calls cost', () => {
    const path = '/trpc/providers.slots,providers.slots,catalogue.get?batch=1&input=%7B%7D';
    expect(requestCost(get(path), costs)).toBe(11);
  });
});

describe('operationCost', () => {
  it('falls back from a qualified operation to its plain name, then to 1', () => {
    expect(operationCost(AVAILABILITY_SEARCH, { 'providers.search': 3 })).toBe(3);
    expect(
      operationCost(AVAILABILITY_SEARCH, { [AVAILABILITY_SEARCH]: 7, 'providers.search': 3 }),
    ).toBe(7);
    expect(operationCost('bookings.create', {})).toBe(1);
    expect(operationCost('catalogue.get', { 'catalogue.get': 0 })).toBe(0);
  });
});
