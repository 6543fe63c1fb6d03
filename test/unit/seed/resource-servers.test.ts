import { importSeed, SeedError, validateSeed } from '../../../src/seed/index.ts';
import { memoryDeps } from './helpers.ts';

const deps = () => {
  const { deps: d, resourceServers } = memoryDeps({ knownScopes: new Set(['api:read', 'api:write']) });
  return { resourceServers, deps: d };
};

describe('resource servers in a seed', () => {
  test('are imported idempotently with their token format and lifetime', async () => {
    const { resourceServers, deps: d } = deps();
    const seed = validateSeed({
      resource_servers: [{ identifier: 'https://orders.example/api', scope: 'api:read', access_token_format: 'jwt', access_token_ttl: 300 }],
    }, 'seed.json');
    for (let i = 0; i < 2; i += 1) {
      expect((await importSeed(seed, d)).resource_servers).toEqual([{ identifier: 'https://orders.example/api', access_token_format: 'jwt' }]);
    }
    expect(await resourceServers.list()).toEqual([
      { identifier: 'https://orders.example/api', scope: 'api:read', accessTokenFormat: 'jwt', accessTokenTtl: 300 },
    ]);
  });

  test.each([
    [{ identifier: 'not a uri', scope: 'api:read' }, 'resource_servers[0]', 'identifier: must be an absolute URI (RFC 8707 §2)'],
    [{ identifier: 'https://a.example/#x', scope: 'api:read' }, 'resource_servers[0]', 'identifier: must not contain a fragment'],
    [{ identifier: 'https://a.example/', scope: 'api:read', access_token_format: 'paseto' }, 'resource_servers[0]', 'access_token_format: must be one of "opaque", "jwt"'],
  ])('%o is refused naming the entry and field', (entry, where, message) => {
    expect(() => validateSeed({ resource_servers: [entry] }, 'seed.json')).toThrow(SeedError);
    try {
      validateSeed({ resource_servers: [entry] }, 'seed.json');
    } catch (err) {
      expect((err as Error).message).toContain(where);
      expect((err as Error).message).toContain(message);
    }
  });

  test('a scope the server does not know is refused before anything is written', async () => {
    const { resourceServers, deps: d } = deps();
    const seed = validateSeed({ resource_servers: [{ identifier: 'https://a.example/', scope: 'api:read orders:delete' }] }, 'seed.json');
    await expect(importSeed(seed, d)).rejects.toThrow('seed.json: resource_servers[0] (identifier "https://a.example/"): scope: "orders:delete" is not a scope this server knows (add it to API_SCOPES)');
    expect(await resourceServers.list()).toEqual([]);
  });
});
