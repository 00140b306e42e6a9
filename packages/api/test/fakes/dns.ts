import type { Resolver } from '../../src/webhooks/ssrf.js';

/**
 * A resolver that answers from a table and never touches the network. A name may map to one
 * answer list, or to several used in turn (the last repeats), to play a rebinding name. Unknown
 * names fail like NXDOMAIN.
 *
 * @example
 * const dns = fakeDns({ 'hooks.clinic.example': ['93.184.215.14'] });
 * const guard = createUrlGuard({ resolve: dns.resolve });
 * expect(dns.asked).toEqual(['hooks.clinic.example']);
 */
export function fakeDns(table: Record<string, readonly string[] | readonly (readonly string[])[]>) {
  const asked: string[] = [];
  const resolve: Resolver = async (hostname) => {
    const turn = asked.filter((name) => name === hostname).length;
    asked.push(hostname);
    const entry = table[hostname];
    if (entry === undefined)
      throw Object.assign(new Error(`ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    if (!Array.isArray(entry[0])) return entry as readonly string[];
    const turns = entry as readonly (readonly string[])[];
    return turns[Math.min(turn, turns.length - 1)] ?? [];
  };
  return { resolve, asked };
}
