import type { Logger } from 'pino';

/** Variables every request carries through the Hono app. */
export interface AppEnv {
  Variables: {
    requestId: string;
    log: Logger;
  };
}
