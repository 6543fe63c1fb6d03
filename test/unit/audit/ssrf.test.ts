import { checkDestination, createAddressGuard, SsrfRefusedError, STRICT_POLICY, type Resolver } from '../../../src/security/ssrf.ts';

const strict = createAddressGuard(STRICT_POLICY);

describe('SSRF address guard, default policy', () => {
  test.each([
    ['127.0.0.1', 'loopback'], ['127.255.0.9', 'loopback'], ['10.1.2.3', 'private'], ['172.16.0.1', 'private'],
    ['192.168.1.1', 'private'], ['169.254.169.254', 'linkLocal'], ['0.0.0.0', 'unspecified'], ['224.0.0.1', 'multicast'],
    ['255.255.255.255', 'broadcast'], ['100.64.0.1', 'carrierGradeNat'], ['192.0.2.1', 'reserved'],
  ])('refuses IPv4 %s (%s)', (address, range) => {
    expect(strict.refusalOf(address)).toBe(range);
  });

  test.each([
    ['::1', 'loopback'], ['::', 'unspecified'], ['fe80::1', 'linkLocal'], ['fe80::1%eth0', 'linkLocal'], ['fc00::1', 'uniqueLocal'],
    ['fd12:3456::1', 'uniqueLocal'], ['ff02::1', 'multicast'], ['2001:db8::1', 'reserved'],
    // IPv6 forms that carry an IPv4 address: NAT64, 6to4, Teredo, IPv4-translated.
    ['64:ff9b::a00:1', 'rfc6052'], ['2002:a00:1::', '6to4'], ['2001:0:4136:e378::1', 'teredo'], ['::ffff:0:7f00:1', 'rfc6145'],
  ])('refuses IPv6 %s (%s)', (address, range) => {
    expect(strict.refusalOf(address)).toBe(range);
  });

  test.each([
    ['::ffff:127.0.0.1', 'loopback'], ['::ffff:7f00:1', 'loopback'], ['::ffff:10.0.0.1', 'private'],
    ['::ffff:169.254.169.254', 'linkLocal'], ['::ffff:0.0.0.0', 'unspecified'],
  ])('refuses the IPv4-mapped form %s as its IPv4 address (%s)', (address, range) => {
    expect(strict.refusalOf(address)).toBe(range);
  });

  test.each(['8.8.8.8', '93.184.215.14', '2001:4860:4860::8888', '::ffff:8.8.8.8'])('allows public unicast %s', (address) => {
    expect(strict.refusalOf(address)).toBeUndefined();
  });

  test('refuses what is not an address', () => {
    expect(strict.refusalOf('example.com')).toBe('not an IP address');
  });
});

describe('SSRF address guard, opened by configuration', () => {
  test('WEBHOOK_ALLOW_PRIVATE opens loopback and private ranges, never link-local, unspecified or multicast', () => {
    const guard = createAddressGuard({ allowPrivate: true, allowedCidrs: [] });
    for (const a of ['127.0.0.1', '::1', '10.0.0.1', '192.168.0.2', 'fd00::1', '::ffff:127.0.0.1']) expect([a, guard.refusalOf(a)]).toEqual([a, undefined]);
    for (const a of ['169.254.169.254', 'fe80::1', '0.0.0.0', '::', '224.0.0.1']) expect(guard.refusalOf(a)).toBeDefined();
  });

  test('WEBHOOK_ALLOWED_CIDRS opens exactly the ranges it names, mapped forms included', () => {
    const guard = createAddressGuard({ allowPrivate: false, allowedCidrs: ['127.0.0.1/32', '10.20.0.0/16', 'fd00:1::/64'] });
    expect(guard.refusalOf('127.0.0.1')).toBeUndefined();
    expect(guard.refusalOf('::ffff:127.0.0.1')).toBeUndefined();
    expect(guard.refusalOf('10.20.3.4')).toBeUndefined();
    expect(guard.refusalOf('fd00:1::5')).toBeUndefined();
    expect(guard.refusalOf('127.0.0.2')).toBe('loopback');
    expect(guard.refusalOf('10.21.0.1')).toBe('private');
    expect(guard.refusalOf('::1')).toBe('loopback');
  });
});

describe('checkDestination', () => {
  const resolver = (table: Record<string, string[]>): Resolver => async (host) => {
    const found = table[host];
    if (!found) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
    return found;
  };
  const dns = resolver({
    'hooks.example.com': ['93.184.215.14', '2606:2800:21f:cb07:6820:80da:af6b:8b2c'],
    'internal.example.com': ['10.0.0.7'],
    'mixed.example.com': ['93.184.215.14', '192.168.1.10'],
    'metadata.example.com': ['169.254.169.254'],
    'mapped.example.com': ['::ffff:127.0.0.1'],
  });
  const refusal = async (url: string) => {
    try {
      await checkDestination(new URL(url), strict, dns);
      return undefined;
    } catch (err) {
      expect(err).toBeInstanceOf(SsrfRefusedError);
      return (err as SsrfRefusedError).reason;
    }
  };

  test('allows a name that resolves only to public addresses', async () => {
    expect(await refusal('https://hooks.example.com/gatehouse')).toBeUndefined();
  });

  test('refuses names resolving to private, link-local or mapped loopback addresses, even among public ones', async () => {
    expect(await refusal('https://internal.example.com/')).toBe('private');
    expect(await refusal('https://mixed.example.com/')).toBe('private');
    expect(await refusal('http://metadata.example.com/latest/meta-data/')).toBe('linkLocal');
    expect(await refusal('https://mapped.example.com/')).toBe('loopback');
  });

  test('refuses literal addresses, in every spelling the URL parser normalizes', async () => {
    expect(await refusal('http://127.0.0.1:8080/')).toBe('loopback');
    expect(await refusal('http://[::1]/')).toBe('loopback');
    expect(await refusal('http://[::ffff:127.0.0.1]/')).toBe('loopback');
    expect(await refusal('http://2130706433/')).toBe('loopback'); // 127.0.0.1 as one number
    expect(await refusal('http://0x7f.1/')).toBe('loopback');
    expect(await refusal('http://[fe80::1]/')).toBe('linkLocal');
    expect(await refusal('http://0/')).toBe('unspecified');
  });

  test('refuses a name that does not resolve', async () => {
    expect(await refusal('https://nowhere.example.com/')).toBe('does not resolve');
  });

  test('the system resolver refuses localhost', async () => {
    await expect(checkDestination(new URL('http://localhost:9/'), strict)).rejects.toThrow(SsrfRefusedError);
  });
});
