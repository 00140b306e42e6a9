import type { Store } from '@tahoon/core';

/**
 * How long an instance trusts what it read of an organization's requirement. A change made
 * through this instance applies at once; other instances apply it within this time.
 */
export const REQUIREMENT_CACHE_MS = 5_000;

interface Remembered {
  required: boolean;
  until: number;
}

/** One cache per store, shared by the middleware and the procedures that change the setting. */
const caches = new WeakMap<Store, Map<string, Remembered>>();

function cacheOf(store: Store): Map<string, Remembered> {
  let cache = caches.get(store);
  if (!cache) {
    cache = new Map();
    caches.set(store, cache);
  }
  return cache;
}

/** Whether the organization requires signed requests, read at most every few seconds. */
export async function signingRequired(
  store: Store,
  organizationId: string,
  nowMs: number,
): Promise<boolean> {
  const cache = cacheOf(store);
  const cached = cache.get(organizationId);
  if (cached && cached.until > nowMs) return cached.required;
  const required = (await store.signing.required(organizationId)) ?? false;
  cache.set(organizationId, { required, until: nowMs + REQUIREMENT_CACHE_MS });
  return required;
}

/** Forgets what this instance read, after it changed the setting itself. */
export function forgetRequirement(store: Store, organizationId: string): void {
  cacheOf(store).delete(organizationId);
}
