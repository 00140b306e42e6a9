import { TRPCClientError } from '@trpc/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInternalClient } from '../src/client.js';
import { createTestGateway, type TestGateway } from './harness.js';

describe('the typed internal tRPC client', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await createTestGateway('pglite');
  });
  afterAll(() => gw?.close());

  const client = (token: string) =>
    createInternalClient({
      baseUrl: 'http://tahoon.test',
      token,
      fetch: async (input, init) => gw.app.fetch(new Request(input, init)),
    });

  it('calls procedures with their router types, batched over /trpc', async () => {
    const tahoon = client(gw.partnerA.token);
    const [catalogue, providers] = await Promise.all([
      tahoon.catalogue.get.query({}),
      tahoon.providers.search.query({ region: 'SA', limit: 3 }),
    ]);
    expect(catalogue.providerTypes).toContain('psychologist');
    expect(providers.data.length).toBeGreaterThan(0);
  });

  it('carries the problem code and request id in the error data', async () => {
    const tahoon = client(gw.partnerA.token);
    const error = await tahoon.patients.get
      .query({ id: 'pat_aaaaaaaaaaaaaaaa' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TRPCClientError);
    expect((error as TRPCClientError<never>).data).toMatchObject({
      code: 'NOT_FOUND',
      httpStatus: 404,
      requestId: expect.stringMatching(/^req_/),
    });
  });
});
