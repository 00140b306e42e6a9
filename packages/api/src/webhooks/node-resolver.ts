import { lookup } from 'node:dns/promises';
import { createUrlGuard, type Resolver, type UrlGuard, type UrlPolicy } from './ssrf.js';

/**
 * The system resolver, as the operating system answers for sockets (hosts file included), with
 * every A and AAAA answer in the order it gave them. Node only; ssrf.ts stays web-standard.
 *
 * @example
 * await lookupAddresses('hooks.clinic.example'); // ['203.0.113.7', '2001:db8::7']
 */
export const lookupAddresses: Resolver = async (hostname) => {
  const answers = await lookup(hostname, { all: true, verbatim: true });
  return answers.map((answer) => answer.address);
};

/**
 * The guard production uses: the strict default policy unless told otherwise, and system DNS.
 *
 * @example
 * const guard = createNodeUrlGuard();
 * const check = await guard(endpoint.url);
 */
export function createNodeUrlGuard(policy: UrlPolicy = {}): UrlGuard {
  return createUrlGuard({ policy, resolve: lookupAddresses });
}
