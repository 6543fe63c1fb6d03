import { createAllowListCache, IpAllowListError, parseIpAllowList } from '../../../src/security/ip-allow-list.ts';

const refusal = (entries: string[]) => {
  try {
    parseIpAllowList(entries);
  } catch (err) {
    if (err instanceof IpAllowListError) return { index: err.index, entry: err.entry, message: err.message };
    throw err;
  }
  throw new Error('accepted');
};

describe('parseIpAllowList', () => {
  test('an empty list allows every address, even an unknown one', () => {
    const list = parseIpAllowList([]);
    expect(list.allows('203.0.113.9')).toBe(true);
    expect(list.allows('2001:db8::1')).toBe(true);
    expect(list.allows(undefined)).toBe(true);
  });

  test('IPv4 ranges', () => {
    const list = parseIpAllowList(['10.0.0.0/8', '192.168.1.7', '203.0.113.128/25']);
    expect(list.entries).toEqual(['10.0.0.0/8', '192.168.1.7/32', '203.0.113.128/25']);
    for (const ip of ['10.0.0.1', '10.255.255.255', '192.168.1.7', '203.0.113.200']) expect(list.allows(ip)).toBe(true);
    for (const ip of ['11.0.0.1', '192.168.1.8', '203.0.113.127', '2001:db8::1']) expect(list.allows(ip)).toBe(false);
  });

  test('IPv6 ranges, canonicalised (RFC 5952)', () => {
    const list = parseIpAllowList(['2001:DB8:0:0::/32', '::1']);
    expect(list.entries).toEqual(['2001:db8::/32', '::1/128']);
    expect(list.allows('2001:db8:ffff::42')).toBe(true);
    expect(list.allows('::1')).toBe(true);
    expect(list.allows('2001:db9::1')).toBe(false);
    expect(list.allows('10.0.0.1')).toBe(false);
  });

  test('an IPv4-mapped IPv6 client address matches IPv4 ranges, and mapped ranges match IPv4 clients', () => {
    expect(parseIpAllowList(['10.0.0.0/8']).allows('::ffff:10.0.0.1')).toBe(true);
    expect(parseIpAllowList(['10.0.0.0/8']).allows('::ffff:11.0.0.1')).toBe(false);
    const mapped = parseIpAllowList(['::ffff:10.0.0.0/104']);
    expect(mapped.entries).toEqual(['10.0.0.0/8']);
    expect(mapped.allows('10.1.2.3')).toBe(true);
  });

  test('a non-empty list fails closed on an unknown or unparsable address', () => {
    const list = parseIpAllowList(['0.0.0.0/0', '::/0']);
    expect(list.allows('198.51.100.1')).toBe(true);
    expect(list.allows(undefined)).toBe(false);
    expect(list.allows('not-an-ip')).toBe(false);
    expect(list.allows('10.1')).toBe(false); // inet_aton shorthand is not an address here
  });

  test('names the bad entry and says why', () => {
    expect(refusal(['10.0.0.0/8', '10.0.0.0/33'])).toEqual({ index: 1, entry: '10.0.0.0/33', message: '"10.0.0.0/33" is not a valid CIDR range: the prefix length must be an integer from 0 to 32' });
    expect(refusal(['2001:db8::/129']).message).toBe('"2001:db8::/129" is not a valid CIDR range: the prefix length must be an integer from 0 to 128');
    expect(refusal(['example.com/24']).message).toBe('"example.com/24" is not a valid CIDR range: expected an IPv4 (a.b.c.d) or IPv6 address before the "/"');
    expect(refusal(['10.1/16']).entry).toBe('10.1/16');
    expect(refusal(['10.0.0.0/']).message).toContain('the prefix length must be an integer');
    expect(refusal(['10.1.2.3/8']).message).toBe('"10.1.2.3/8" is not a valid CIDR range: host bits are set (did you mean 10.0.0.0/8?)');
    expect(refusal(['fe80::1%eth0/64']).message).toBe('"fe80::1%eth0/64" is not a valid CIDR range: zone identifiers are not allowed');
  });
});

test('createAllowListCache reuses parsed lists and fails closed on a list that no longer parses', () => {
  const cache = createAllowListCache(2);
  expect(cache(['10.0.0.0/8'])).toBe(cache(['10.0.0.0/8']));
  expect(cache(['bogus']).allows('10.0.0.1')).toBe(false);
  expect(cache([]).allows('10.0.0.1')).toBe(true);
  expect(cache(['10.0.0.0/8']).allows('10.0.0.1')).toBe(true); // after an eviction
});
