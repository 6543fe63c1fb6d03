import { lookup as dnsLookup, type LookupAddress, type LookupAllOptions, type LookupOptions } from 'node:dns';
import { isIP } from 'node:net';

import ipaddr from 'ipaddr.js';

import { parseIpAllowList, type IpAllowList } from './ip-allow-list.ts';

/**
 * Server-side request forgery guard for URLs that callers register and Gatehouse later
 * calls (webhooks). A target must resolve only to public unicast addresses: no loopback,
 * private (RFC 1918, RFC 6598 shared), unique-local (RFC 4193), link-local (RFC 3927,
 * RFC 4291 §2.5.6; 169.254.169.254 is the cloud metadata service), unspecified, multicast,
 * broadcast, reserved or documentation ranges, and no IPv6 form that embeds an IPv4
 * address (mapped, NAT64, 6to4, Teredo), which could smuggle any of those past a v4 check.
 *
 * The check runs when the URL is registered and again when a connection is made: the
 * connection resolves through `guardedLookup`, so a name that was public at registration
 * and now points inside (DNS rebinding) is refused at the socket, not just beforehand.
 */
export interface AddressPolicy {
  /** Also allow loopback, RFC 1918, RFC 6598 and unique-local ranges (development, tests). Never link-local. */
  readonly allowPrivate: boolean;
  /** Ranges allowed whatever they are, e.g. an internal receiver (`10.1.2.0/24`). */
  readonly allowedCidrs: readonly string[];
}

export const STRICT_POLICY: AddressPolicy = Object.freeze({ allowPrivate: false, allowedCidrs: Object.freeze([]) });

/** ipaddr.js range names that `allowPrivate` opens. Link-local stays closed: it is where metadata services live. */
const PRIVATE_RANGES = new Set(['loopback', 'private', 'uniqueLocal', 'carrierGradeNat']);

export class SsrfRefusedError extends Error {
  readonly host: string;
  readonly reason: string;

  constructor(host: string, reason: string) {
    super(`${host} is not an allowed destination (${reason})`);
    this.name = 'SsrfRefusedError';
    this.host = host;
    this.reason = reason;
  }
}

export interface AddressGuard {
  /** Why `address` may not be connected to (an ipaddr.js range name), or undefined when it may. */
  refusalOf(address: string): string | undefined;
}

export function createAddressGuard(policy: AddressPolicy): AddressGuard {
  const allowed: IpAllowList | undefined = policy.allowedCidrs.length > 0 ? parseIpAllowList(policy.allowedCidrs) : undefined;
  return {
    refusalOf(address) {
      const host = address.split('%')[0]!; // a zone id names an interface, not a different address
      if (!ipaddr.isValid(host)) return 'not an IP address';
      // process() turns "::ffff:10.0.0.1" (and the deprecated "::10.0.0.1") into the IPv4
      // address it carries, so every IPv4 rule below applies to it too.
      const addr = ipaddr.process(host);
      if (allowed?.allows(addr.toString())) return undefined;
      const range = addr.range();
      if (range === 'unicast') return undefined;
      if (policy.allowPrivate && PRIVATE_RANGES.has(range)) return undefined;
      return range;
    },
  };
}

/** All addresses of a name, as the system resolver (getaddrinfo) gives them. */
export type Resolver = (hostname: string) => Promise<string[]>;

export const systemResolver: Resolver = (hostname) => new Promise((resolve, reject) => {
  dnsLookup(hostname, { all: true, verbatim: true }, (err, addresses) => (err ? reject(err) : resolve(addresses.map((a) => a.address))));
});

/** `[::1]` → `::1`: WHATWG URL keeps the brackets of an IPv6 host. */
export const hostOf = (url: URL) => url.hostname.replace(/^\[(.*)\]$/, '$1');

/**
 * Checks where a URL would connect: its literal address, or every address its name
 * resolves to (one private answer among public ones is enough to refuse). Throws
 * SsrfRefusedError; a name that does not resolve is refused too.
 */
export async function checkDestination(url: URL, guard: AddressGuard, resolve: Resolver = systemResolver): Promise<void> {
  const host = hostOf(url);
  let addresses: string[];
  if (isIP(host)) {
    addresses = [host];
  } else {
    addresses = await resolve(host).catch(() => []);
    if (addresses.length === 0) throw new SsrfRefusedError(host, 'does not resolve');
  }
  for (const address of addresses) {
    const reason = guard.refusalOf(address);
    if (reason !== undefined) throw new SsrfRefusedError(host, reason);
  }
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * A `lookup` for node:http/node:net that resolves, then refuses the connection unless
 * every address passes the guard: the address checked is the address connected to.
 */
export function guardedLookup(guard: AddressGuard) {
  return function lookupChecked(hostname: string, options: LookupOptions, callback: LookupCallback): void {
    dnsLookup(hostname, { ...options, all: true } as LookupAllOptions, (err, addresses) => {
      if (err) return callback(err, []);
      const refused = addresses.map((a) => guard.refusalOf(a.address)).find((r) => r !== undefined);
      if (refused !== undefined || addresses.length === 0) {
        return callback(Object.assign(new SsrfRefusedError(hostname, refused ?? 'does not resolve'), { code: 'ESSRF' }), []);
      }
      if (options.all) return callback(null, addresses);
      return callback(null, addresses[0]!.address, addresses[0]!.family);
    });
  };
}
