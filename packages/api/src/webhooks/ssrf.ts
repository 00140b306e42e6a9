import ipaddr from 'ipaddr.js';

/**
 * Which partner webhook URLs Tahoon will call. A partner chooses the URL, and the request leaves
 * from inside our network, so a careless check lets a partner make us POST to our own database,
 * admin ports or the cloud metadata service. Web-standard on purpose: DNS comes in through an
 * injected resolver (the Node one lives in node-resolver.ts), so this runs on any runtime.
 *
 * The rules, in the order they are applied:
 * 1. The URL parses with the same WHATWG parser fetch uses, and is at most 2,048 characters.
 *    That parser already turns `http://2130706433/`, `0x7f000001`, `017700000001`, `127.1` and
 *    `0` into dotted quads, so every numeric spelling of an address is judged as that address.
 * 2. The scheme is https (http only under `allowInsecure`).
 * 3. No user name or password in the URL: they would be sent as Basic credentials, and a URL
 *    with `@` in it is a classic way to disguise where a request goes.
 * 4. The port is 443 or 8443 (80 added under `allowInsecure`), or any under `allowedPorts`.
 *    Partners run webhook receivers on standard HTTPS ports; refusing the rest stops the gateway
 *    being aimed at SMTP, Redis or similar text protocols on a public host.
 * 5. The host name is not one that only means something inside a network: `localhost` and
 *    `*.localhost`, single-label names (resolved through search domains), `.local`, `.internal`,
 *    `.localdomain`, `.home.arpa`, `.arpa`, and known metadata names. Trailing dots are ignored.
 * 6. Every address — the literal one, or EVERY answer of the resolver — is public unicast:
 *    IPv4 outside private, loopback, link-local (169.254.169.254 included), CGNAT, multicast,
 *    unspecified, broadcast and reserved ranges; IPv6 inside 2000::/3 and outside the special
 *    ranges (6to4, Teredo, documentation, benchmarking…), which also rules out ::1, fc00::/7
 *    (fd00:ec2::254 included), fe80::/10, ff00::/8, NAT64 and IPv4-compatible forms. An
 *    IPv4-mapped IPv6 address is judged as the IPv4 address it carries.
 *
 * A check made now says nothing about what the name resolves to later. Use the pinned fetch in
 * pinned-fetch.ts, which connects only to addresses checked in the same lookup; with a plain
 * fetch, re-check right before every delivery and accept the short rebinding window.
 */

/** What a deployment allows beyond the strict default. Tests and local development only. */
export interface UrlPolicy {
  /** Permit `http:` as well as `https:`. */
  allowInsecure?: boolean;
  /** Permit loopback addresses (127.0.0.0/8, ::1), e.g. a local test endpoint. */
  allowLoopback?: boolean;
  /** Ports a URL may use; `'any'` lifts the port rule. Default: 443, 8443 (and 80 if insecure). */
  allowedPorts?: readonly number[] | 'any';
}

/** Why a URL was refused: a closed list the API can map to messages. */
export type UrlRefusal =
  | 'invalid_url'
  | 'scheme_not_allowed'
  | 'credentials_in_url'
  | 'port_not_allowed'
  | 'host_not_allowed'
  | 'address_not_allowed'
  | 'unresolvable';

/** A refusal with a human detail that names the host or address, never the whole URL. */
export interface UrlRefused {
  ok: false;
  reason: UrlRefusal;
  detail: string;
}

export type UrlShapeCheck = { ok: true; url: URL; hostname: string } | UrlRefused;

export type UrlCheck = { ok: true; url: URL; addresses: readonly string[] } | UrlRefused;

/** Every address a host name resolves to (A and AAAA), as text. */
export type Resolver = (hostname: string) => Promise<readonly string[]>;

/** Checks a URL right now, DNS included. */
export type UrlGuard = (url: string) => Promise<UrlCheck>;

/** A refusal as an exception, for the places (socket lookups) that can only fail by throwing. */
export class UrlRefusedError extends Error {
  readonly reason: UrlRefusal;

  constructor(refused: UrlRefused) {
    super(refused.detail);
    this.name = 'UrlRefusedError';
    this.reason = refused.reason;
  }
}

export const MAX_WEBHOOK_URL_LENGTH = 2048;

const DEFAULT_PORTS: readonly number[] = [443, 8443];

/** Names that resolve, or should only resolve, inside a network. Compared without trailing dots. */
const FORBIDDEN_NAMES = new Set([
  'localhost',
  'metadata',
  'metadata.google.internal',
  'metadata.goog',
  'instance-data',
  'instance-data.ec2.internal',
]);

const FORBIDDEN_SUFFIXES = [
  '.localhost',
  '.local',
  '.internal',
  '.localdomain',
  '.home.arpa',
  '.arpa',
];

/** IPv6 global unicast; everything outside it is special-purpose or not routed to partners. */
const GLOBAL_UNICAST_V6 = ipaddr.parseCIDR('2000::/3');

/**
 * Checks what can be known without DNS: syntax, scheme, credentials, port, host name, and the
 * address when the host is a literal one. Enough to answer a registration form at once.
 *
 * @example
 * checkWebhookUrlShape('http://127.1/hook').ok; // false: http, and loopback
 * checkWebhookUrlShape('https://hooks.clinic.example/tahoon').ok; // true
 */
export function checkWebhookUrlShape(raw: string, policy: UrlPolicy = {}): UrlShapeCheck {
  if (raw.length > MAX_WEBHOOK_URL_LENGTH) return refuse('invalid_url', 'the URL is too long');
  const url = parseUrl(raw);
  if (!url) return refuse('invalid_url', 'not an absolute URL');

  const schemes = policy.allowInsecure ? ['https:', 'http:'] : ['https:'];
  if (!schemes.includes(url.protocol)) {
    return refuse('scheme_not_allowed', `${url.protocol} is not allowed; use https:`);
  }
  if (url.username !== '' || url.password !== '') {
    return refuse('credentials_in_url', 'the URL carries a user name or password');
  }
  const port = effectivePort(url);
  if (!portAllowed(port, policy)) return refuse('port_not_allowed', `port ${port} is not allowed`);

  const hostname = bareHostname(url.hostname);
  const literal = literalAddress(hostname);
  if (literal !== null) {
    const refusal = addressRefusal(literal, policy);
    return refusal ?? { ok: true, url, hostname };
  }
  if (!hostnameAllowed(hostname)) {
    return refuse('host_not_allowed', `${hostname} names a host inside a network`);
  }
  return { ok: true, url, hostname };
}

/**
 * The full check: shape, then every address the host resolves to. One forbidden answer is
 * enough to refuse, since the connection may use any of them.
 *
 * @example
 * const check = await checkWebhookUrl('https://hooks.clinic.example/', { resolve });
 * if (!check.ok) return badRequest(check.reason, check.detail);
 */
export async function checkWebhookUrl(
  raw: string,
  options: { policy?: UrlPolicy; resolve: Resolver },
): Promise<UrlCheck> {
  const policy = options.policy ?? {};
  const shape = checkWebhookUrlShape(raw, policy);
  if (!shape.ok) return shape;

  const literal = literalAddress(shape.hostname);
  if (literal !== null) return { ok: true, url: shape.url, addresses: [literal] };

  const resolved = await resolveChecked(shape.hostname, policy, options.resolve);
  return resolved.ok ? { ok: true, url: shape.url, addresses: resolved.addresses } : resolved;
}

/**
 * A guard bound to one policy and resolver, as registration and delivery take it.
 *
 * @example
 * const guard = createUrlGuard({ resolve: lookupAddresses });
 * await guard('https://hooks.clinic.example/'); // { ok: true, url, addresses: [...] }
 */
export function createUrlGuard(options: { policy?: UrlPolicy; resolve: Resolver }): UrlGuard {
  return (raw) => checkWebhookUrl(raw, options);
}

/**
 * Resolves a host name and checks every answer. Socket lookups call this too, so the address a
 * connection uses is the address that was checked.
 */
export async function resolveChecked(
  hostname: string,
  policy: UrlPolicy,
  resolve: Resolver,
): Promise<{ ok: true; addresses: readonly string[] } | UrlRefused> {
  let answers: readonly string[];
  try {
    answers = await resolve(hostname);
  } catch {
    return refuse('unresolvable', `${hostname} did not resolve`);
  }
  if (answers.length === 0) return refuse('unresolvable', `${hostname} has no addresses`);

  for (const address of answers) {
    const refusal = addressRefusal(address, policy);
    if (refusal) return { ...refusal, detail: `${hostname} resolves to ${refusal.detail}` };
  }
  return { ok: true, addresses: answers };
}

/**
 * Why an address may not be called, or null when it may. Text in any form ipaddr.js reads.
 *
 * @example
 * addressRefusal('169.254.169.254', {})?.detail; // '169.254.169.254 (linkLocal)'
 * addressRefusal('8.8.8.8', {}); // null
 */
export function addressRefusal(address: string, policy: UrlPolicy): UrlRefused | null {
  const parsed = parseAddress(address);
  if (!parsed) return refuse('address_not_allowed', `${address} (not an address)`);

  const range = forbiddenRange(parsed, policy);
  if (range === null) return null;
  return refuse('address_not_allowed', `${address}${mappedSuffix(parsed)} (${range})`);
}

/** Spells out the IPv4 address inside an IPv4-mapped one, which hex forms hide. */
function mappedSuffix(address: ipaddr.IPv4 | ipaddr.IPv6): string {
  if (!(address instanceof ipaddr.IPv6) || !address.isIPv4MappedAddress()) return '';
  return ` = ${address.toIPv4Address().toString()}`;
}

/** The name of the range that forbids an address, or null for a public unicast one. */
function forbiddenRange(address: ipaddr.IPv4 | ipaddr.IPv6, policy: UrlPolicy): string | null {
  if (address instanceof ipaddr.IPv6) {
    // ::ffff:a.b.c.d reaches a.b.c.d, so it is judged as that address.
    if (address.isIPv4MappedAddress()) return forbiddenRange(address.toIPv4Address(), policy);
    const range = address.range();
    if (range === 'loopback' && policy.allowLoopback) return null;
    if (range !== 'unicast') return range;
    return address.match(GLOBAL_UNICAST_V6) ? null : 'not global unicast';
  }
  const range = address.range();
  if (range === 'loopback' && policy.allowLoopback) return null;
  return range === 'unicast' ? null : range;
}

function parseAddress(address: string): ipaddr.IPv4 | ipaddr.IPv6 | null {
  // Only canonical spellings: DNS answers and WHATWG-parsed hosts are always canonical, and a
  // looser parse here would disagree with what the socket layer makes of the same text.
  if (ipaddr.IPv4.isValidFourPartDecimal(address)) return ipaddr.IPv4.parse(address);
  if (ipaddr.IPv6.isValid(address)) return ipaddr.IPv6.parse(address);
  return null;
}

/** The address a host stands for when it is one (brackets removed from IPv6), else null. */
function literalAddress(hostname: string): string | null {
  if (ipaddr.IPv4.isValidFourPartDecimal(hostname)) return hostname;
  return ipaddr.IPv6.isValid(hostname) ? hostname : null;
}

function hostnameAllowed(hostname: string): boolean {
  if (!hostname.includes('.')) return false;
  if (FORBIDDEN_NAMES.has(hostname)) return false;
  return !FORBIDDEN_SUFFIXES.some((suffix) => hostname.endsWith(suffix));
}

/** Lower case (the parser did that), without IPv6 brackets and without trailing dots. */
function bareHostname(hostname: string): string {
  const unbracketed = hostname.startsWith('[') ? hostname.slice(1, -1) : hostname;
  return unbracketed.replace(/\.+$/, '');
}

function effectivePort(url: URL): number {
  if (url.port !== '') return Number(url.port);
  return url.protocol === 'http:' ? 80 : 443;
}

function portAllowed(port: number, policy: UrlPolicy): boolean {
  if (policy.allowedPorts === 'any') return true;
  const allowed = policy.allowedPorts ?? DEFAULT_PORTS;
  return allowed.includes(port) || (policy.allowInsecure === true && port === 80);
}

function parseUrl(raw: string): URL | null {
  try {
    return new URL(raw);
  } catch {
    return null;
  }
}

function refuse(reason: UrlRefusal, detail: string): UrlRefused {
  return { ok: false, reason, detail };
}
