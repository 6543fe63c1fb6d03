import ipaddr from 'ipaddr.js';

type Address = ipaddr.IPv4 | ipaddr.IPv6;
type Range = [Address, number];

/** One bad entry: `index` and `entry` say which, `message` says why. */
export class IpAllowListError extends Error {
  readonly index: number;
  readonly entry: string;

  constructor(index: number, entry: string, reason: string) {
    super(`"${entry}" is not a valid CIDR range: ${reason}`);
    this.name = 'IpAllowListError';
    this.index = index;
    this.entry = entry;
  }
}

export interface IpAllowList {
  /** Canonical CIDR strings (what to store): `10.0.0.0/8`, `2001:db8::/32`. */
  readonly entries: readonly string[];
  /**
   * True when the list is empty (no restriction) or one range contains `address`.
   * An unknown (undefined) or unparsable address is allowed by the empty list only.
   */
  allows(address: string | undefined): boolean;
}

/**
 * IPv4 only in dotted-quad form: ipaddr.js also accepts classful and hex forms
 * ("10.1", "0x0a.0.0.1", inet_aton style), which nobody means in an allow-list.
 */
const isAddress = (s: string) => ipaddr.IPv4.isValidFourPartDecimal(s) || ipaddr.IPv6.isValid(s);

/** `::ffff:a.b.c.d/96+n` is the IPv4 range a.b.c.d/n (RFC 4291 §2.5.5.2): compare as IPv4. */
function unmap([addr, bits]: Range): Range {
  return addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress() && bits >= 96
    ? [(addr as ipaddr.IPv6).toIPv4Address(), bits - 96]
    : [addr, bits];
}

const show = (addr: Address) => (addr.kind() === 'ipv4' ? addr.toString() : (addr as ipaddr.IPv6).toRFC5952String());

function parseEntry(raw: string, index: number): Range {
  const entry = raw.trim();
  if (entry.includes('%')) throw new IpAllowListError(index, raw, 'zone identifiers are not allowed');
  const slash = entry.indexOf('/');
  // A bare address is a single host: /32 or /128.
  const host = slash === -1 ? entry : entry.slice(0, slash);
  if (!isAddress(host)) throw new IpAllowListError(index, raw, 'expected an IPv4 (a.b.c.d) or IPv6 address before the "/"');
  const kind = ipaddr.parse(host).kind();
  const max = kind === 'ipv4' ? 32 : 128;
  const lengthText = slash === -1 ? String(max) : entry.slice(slash + 1);
  if (!/^\d{1,3}$/.test(lengthText) || Number(lengthText) > max) {
    throw new IpAllowListError(index, raw, `the prefix length must be an integer from 0 to ${max}`);
  }
  const range = ipaddr.parseCIDR(`${host}/${lengthText}`) as Range;
  // "10.1.2.3/8" is usually a typo for a /32 or for 10.0.0.0/8: refuse rather than guess.
  const network = kind === 'ipv4' ? ipaddr.IPv4.networkAddressFromCIDR(`${host}/${lengthText}`) : ipaddr.IPv6.networkAddressFromCIDR(`${host}/${lengthText}`);
  if (show(network) !== show(range[0])) {
    throw new IpAllowListError(index, raw, `host bits are set (did you mean ${show(network)}/${lengthText}?)`);
  }
  return unmap(range);
}

/**
 * Parses an allow-list of CIDR ranges (IPv4 and IPv6, RFC 4632 / RFC 4291 §2.3) once, for
 * fast `allows` checks. Throws `IpAllowListError` naming the first bad entry.
 */
export function parseIpAllowList(entries: readonly string[]): IpAllowList {
  const ranges = entries.map(parseEntry);
  const canonical = [...new Set(ranges.map(([addr, bits]) => `${show(addr)}/${bits}`))];

  return {
    entries: canonical,
    allows(address) {
      if (ranges.length === 0) return true;
      const host = address?.split('%')[0] ?? '';
      if (!isAddress(host)) return false; // fail closed on anything that is not an address
      // process() turns an IPv4-mapped IPv6 address (a dual-stack socket's view of an
      // IPv4 client, "::ffff:10.0.0.1") into the IPv4 address it carries.
      const addr = ipaddr.process(host);
      return ranges.some((range) => range[0].kind() === addr.kind() && addr.match(range));
    },
  };
}

const DENY_ALL: IpAllowList = { entries: [], allows: () => false };

/**
 * Stored lists are checked on the introspection hot path: keep the parsed form of recent
 * distinct lists instead of parsing per request. A stored list that no longer parses
 * (edited behind our back) denies every address: fail closed.
 */
export function createAllowListCache(max = 1024): (entries: readonly string[]) => IpAllowList {
  const cache = new Map<string, IpAllowList>();
  return (entries) => {
    const key = entries.join(' ');
    let list = cache.get(key);
    if (!list) {
      try {
        list = parseIpAllowList(entries);
      } catch {
        list = DENY_ALL;
      }
      if (cache.size >= max) cache.clear(); // crude bound; a miss only costs one parse
      cache.set(key, list);
    }
    return list;
  };
}
