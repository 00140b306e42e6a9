import type { Clock, IdGenerator, Store, VideoRooms } from '@tahoon/core';
import type { Logger } from 'pino';
import type { Config } from './config.js';
import type { Outbox } from './outbox/index.js';
import type { PhiCipher } from './phi/index.js';
import type { RateLimiter } from './ratelimit/index.js';
import type { Resolver } from './webhooks/ssrf.js';
import type { SigningKey } from './tokens/signing-keys.js';

/** Secrets the app needs at runtime, already decoded. */
export interface Keys {
  /**
   * Ed25519 private keys for access tokens: the first signs, all verify, and their public
   * halves are published at `/.well-known/jwks.json`.
   */
  tokenSigningKeys: SigningKey[];
  /** Keys the HMAC under which client secrets are stored. */
  credentialKey: Uint8Array;
}

/**
 * Everything the app is built from. The Node entry wires real adapters; tests wire the same
 * ones against other databases and a controllable clock.
 */
export interface Deps {
  config: Config;
  store: Store;
  clock: Clock;
  ids: IdGenerator;
  video: VideoRooms;
  keys: Keys;
  /** Seals patient data at rest. */
  phi: PhiCipher;
  /** Quotas per credential and failed-token limits per client address. */
  limiter: RateLimiter;
  /** The peer address of a request's connection, when the runtime knows it. */
  peerAddress?: (request: Request, env: unknown) => string | undefined;
  logger: Logger;
  /** True once the server is shutting down: readiness fails so load balancers move away. */
  draining?: () => boolean;
  /** The transactional outbox: booking changes with their side effects, and their delivery. */
  outbox: Outbox;
  /**
   * DNS for checking webhook URLs at registration; the Node entry passes the system resolver.
   * Without one, registration checks the URL's shape only and every delivery still checks DNS.
   */
  webhookResolver?: Resolver;
}

export const systemClock: Clock = { nowMs: () => Date.now() };
