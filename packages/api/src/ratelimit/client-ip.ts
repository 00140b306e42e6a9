import ipaddr from 'ipaddr.js';

type Address = ipaddr.IPv4 | ipaddr.IPv6;
type Range = [Address, number];

export interface ClientIpOptions {
  /** The TCP peer's address, e.g. `getConnInfo(c).remote.address` under the Node server. */
  socketAddress: string | undefined;
  /** Addresses or CIDR ranges of the proxies in front of the gateway. */
  trustedProxies: readonly string[];
}

/**
 * Reads one address strictly: four-part dotted IPv4 or IPv6 (brackets, a port and a zone
 * are dropped), with IPv4-mapped IPv6 turned into IPv4 so each client has one spelling.
 * ipaddr's lenient parser would also take `127.1` or `0x7f000001`; those are refused.
 */
export function parseAddress(text: string): Address | null {
  let value = text.trim();
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(value);
  if (bracketed?.[1]) value = bracketed[1];
  else if (/^[\d.]+:\d+$/.test(value)) value = value.slice(0, value.lastIndexOf(':'));
  value = value.replace(/%[\w.-]+$/, '');

  if (ipaddr.IPv4.isValidFourPartDecimal(value)) return ipaddr.IPv4.parse(value);
  if (!ipaddr.IPv6.isValid(value)) return null;
  const v6 = ipaddr.IPv6.parse(value);
  return v6.isIPv4MappedAddress() ? v6.toIPv4Address() : v6;
}

function parseRange(spec: string): Range | null {
  if (!spec.includes('/')) {
    const address = parseAddress(spec);
    return address ? [address, address.kind() === 'ipv4' ? 32 : 128] : null;
  }
  try {
    return ipaddr.parseCIDR(spec);
  } catch {
    return null;
  }
}

function isTrusted(address: Address, ranges: readonly Range[]): boolean {
  return ranges.some(([network, bits]) => {
    if (network.kind() !== address.kind()) return false;
    return address.match(network, bits);
  });
}

/** The addresses of every X-Forwarded-For field, left (first hop) to right (last hop). */
function forwardedChain(request: Request): string[] {
  const value = request.headers.get('x-forwarded-for');
  if (!value) return [];
  return value
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part.length > 0);
}

/**
 * The address of the client a request came from. X-Forwarded-For is believed only when the TCP
 * peer is a trusted proxy, and then only as far as trusted proxies wrote it: walking from the
 * right, the first address that is not a trusted proxy is the client. Everything left of it
 * came from the client and can be forged. A malformed entry ends the walk at the last good hop.
 * Returns null when even the socket address is missing or unreadable.
 *
 * @example
 * const ip = clientIp(c.req.raw, {
 *   socketAddress: getConnInfo(c).remote.address,
 *   trustedProxies: ['10.0.0.0/8'],
 * });
 */
export function clientIp(request: Request, options: ClientIpOptions): string | null {
  const peer = options.socketAddress ? parseAddress(options.socketAddress) : null;
  if (!peer) return null;
  const ranges = options.trustedProxies.map(parseRange).filter((r): r is Range => r !== null);
  if (!isTrusted(peer, ranges)) return peer.toString();

  let client: Address = peer;
  for (const entry of forwardedChain(request).reverse()) {
    const hop = parseAddress(entry);
    if (!hop) break;
    client = hop;
    if (!isTrusted(hop, ranges)) break;
  }
  return client.toString();
}

/**
 * The key a client address is counted under: an IPv4 address as it is, an IPv6 address by its
 * /64, because one subscriber usually holds a whole /64 and could otherwise rotate through it.
 * Unreadable input is counted under one shared key rather than escaping the limit.
 *
 * @example
 * ipRateLimitKey('2001:db8:1:2:3:4:5:6'); // '2001:db8:1:2::/64'
 */
export function ipRateLimitKey(ip: string | null): string {
  const address = ip ? parseAddress(ip) : null;
  if (!address) return 'unknown';
  if (!(address instanceof ipaddr.IPv6)) return address.toString();
  const network = new ipaddr.IPv6([...address.parts.slice(0, 4), 0, 0, 0, 0]);
  return `${network.toString()}/64`;
}
