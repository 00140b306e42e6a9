import type { TahoonError } from '@tahoon/core';
import type { Logger } from 'pino';
import type { Principal } from '../auth.js';

/** Variables every request carries through the Hono app. */
export interface AppEnv {
  Variables: {
    requestId: string;
    log: Logger;
    /** The verified caller, when the request carried a valid access token. */
    principal: Principal | undefined;
    /** Why a presented access token was refused; procedures that need a partner answer with it. */
    authError: TahoonError | undefined;
    /**
     * `credentialId idempotency-key` while this request runs under a fresh claim of its key;
     * writes that make something (bookings) record it to find their work after a crash.
     */
    requestKey: string | undefined;
  };
}
