import { createTRPCClient, httpBatchLink } from '@trpc/client';
import type { AppRouter } from './routers/index.js';

export type { AppRouter } from './routers/index.js';

/**
 * The typed tRPC client for Tahoon's own tooling (operators' scripts, internal services).
 * Partners use `@tahoon/sdk` or REST instead: this client follows the routers' types exactly and
 * changes with them.
 *
 * @example
 * const tahoon = createInternalClient({ baseUrl: 'http://localhost:3000', token });
 * const page = await tahoon.bookings.list.query({ status: 'confirmed' });
 */
export function createInternalClient(options: {
  baseUrl: string;
  token: string;
  fetch?: typeof fetch;
}) {
  return createTRPCClient<AppRouter>({
    links: [
      httpBatchLink({
        url: `${options.baseUrl.replace(/\/$/, '')}/trpc`,
        headers: () => ({ authorization: `Bearer ${options.token}` }),
        ...(options.fetch ? { fetch: options.fetch } : {}),
      }),
    ],
  });
}
