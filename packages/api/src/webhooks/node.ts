/** Partner webhooks, the Node-only part: system DNS and the fetch that pins checked addresses. */
export { createNodeUrlGuard, lookupAddresses } from './node-resolver.js';
export { createPinnedFetch, type PinnedFetchOptions } from './pinned-fetch.js';
