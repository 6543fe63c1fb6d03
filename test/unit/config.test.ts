import { jest } from '@jest/globals';

import { ConfigError, describeStorage, loadConfig } from '../../src/config/index.ts';
import { redisSocketOf } from '../../src/config/redis-url.ts';
import { CONTEXT_FRAME_FLAG, contextFrameRestart, contextFramesActive, hashingSlots, heapGrowthFlag, poolSizeOf, threadPoolSize, tuneHeap, type RuntimeFacts } from '../../src/process-tuning.ts';

describe('configuration from the environment', () => {
  test('the embedded default needs no variables', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      production: false, reloadViews: false, port: 3000, issuer: 'http://localhost:3000', redisUrl: undefined, mongodbUri: undefined,
      ephemeralSecrets: true, ttl: { authorizationCode: 60, accessToken: 3600 },
      argon2: { memoryCost: 19456, timeCost: 2, parallelism: 1 },
    });
    expect(config.seedPath).toMatch(/config\/dev-seed\.json$/);
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.ttl)).toBe(true);
  });

  test('page templates are compiled once, unless NODE_ENV=development asks to read them at every render', () => {
    expect(loadConfig({}).reloadViews).toBe(false);
    expect(loadConfig({ NODE_ENV: 'test' }).reloadViews).toBe(false);
    expect(loadConfig({ NODE_ENV: 'development' }).reloadViews).toBe(true);
  });

  test('the thread pool gets a thread per core the process has to itself for hashing, and one more', () => {
    expect(threadPoolSize(2, 1)).toBe(3);
    expect(threadPoolSize(8, 1)).toBe(9);
    expect(threadPoolSize(8, 8)).toBe(2);
    expect(threadPoolSize(16, 4)).toBe(5);
    expect(threadPoolSize(1, 1)).toBe(2);
    expect(threadPoolSize(3, 2)).toBe(3);
  });

  test('hashing takes at most the process\'s cores and never the last pool thread', () => {
    expect(hashingSlots(3, 2, 1)).toBe(2);
    expect(hashingSlots(4, 2, 1)).toBe(2); // Node's default pool on two cores
    expect(hashingSlots(2, 8, 1)).toBe(1); // UV_THREADPOOL_SIZE=2 on eight cores
    expect(hashingSlots(1, 2, 1)).toBe(1); // a pool of one: hashing still has to run
    expect(hashingSlots(64, 8, 2)).toBe(4);
  });

  test('UV_THREADPOOL_SIZE is read as libuv reads it', () => {
    expect(poolSizeOf(undefined)).toBe(4);
    expect(poolSizeOf('6')).toBe(6);
    expect(poolSizeOf('0')).toBe(1);
    expect(poolSizeOf('lots')).toBe(1);
    expect(poolSizeOf('5000')).toBe(1024);
  });

  const tuneFrom = (env: Record<string, string>, setFlags: (flags: string) => void) => {
    const config = loadConfig(env);
    tuneHeap({ growthPercent: config.heapGrowthPercent, pretenuring: config.heapPretenuring }, setFlags);
  };

  test('HEAP_GROWTH_PERCENT sets how far the old generation grows between full collections (0: V8 decides)', () => {
    const setFlags = jest.fn();
    tuneFrom({}, setFlags);
    expect(setFlags).toHaveBeenCalledWith('--heap-growing-percent=60');
    setFlags.mockClear();
    tuneFrom({ HEAP_GROWTH_PERCENT: '0', HEAP_PRETENURING: 'on' }, setFlags);
    expect(setFlags).not.toHaveBeenCalled();
    expect(heapGrowthFlag(loadConfig({ HEAP_GROWTH_PERCENT: '150' }).heapGrowthPercent)).toBe('--heap-growing-percent=150');
    expect(() => loadConfig({ HEAP_GROWTH_PERCENT: '-5' })).toThrow('HEAP_GROWTH_PERCENT must be a non-negative whole number between 0 and 300 (got "-5")');
    expect(() => loadConfig({ HEAP_GROWTH_PERCENT: '1000' })).toThrow(ConfigError);
  });

  test('HEAP_PRETENURING turns V8\'s allocation-site pretenuring off unless set to on', () => {
    const setFlags = jest.fn();
    tuneFrom({ HEAP_GROWTH_PERCENT: '0' }, setFlags);
    expect(setFlags.mock.calls).toEqual([['--no-allocation-site-pretenuring']]);
    setFlags.mockClear();
    tuneFrom({}, setFlags);
    expect(setFlags.mock.calls).toEqual([['--heap-growing-percent=60'], ['--no-allocation-site-pretenuring']]);
    expect(() => loadConfig({ HEAP_PRETENURING: 'no' })).toThrow(ConfigError);
  });

  test('ASYNC_CONTEXT_FRAME restarts Node 22 with async context frames unless set to off', () => {
    expect(loadConfig({}).asyncContextFrame).toBe(true);
    expect(loadConfig({ ASYNC_CONTEXT_FRAME: 'off' }).asyncContextFrame).toBe(false);
    expect(() => loadConfig({ ASYNC_CONTEXT_FRAME: 'yes' })).toThrow('ASYNC_CONTEXT_FRAME must be one of on, off (got "yes")');

    const node22: RuntimeFacts = { nodeMajor: 22, execArgv: ['--cpu-prof'], framesActive: false, canExec: true };
    // The process's own options are kept, after the flag.
    expect(contextFrameRestart(true, node22)).toEqual([CONTEXT_FRAME_FLAG, '--cpu-prof']);
    expect(contextFrameRestart(false, node22)).toBeUndefined();
    // Already restarted, or started with the flag (on the command line or in NODE_OPTIONS): never again.
    expect(contextFrameRestart(true, { ...node22, execArgv: [CONTEXT_FRAME_FLAG] })).toBeUndefined();
    expect(contextFrameRestart(true, { ...node22, framesActive: true })).toBeUndefined();
    // Node 24 has frames by default and refuses the flag; without execve there is no restart in place.
    expect(contextFrameRestart(true, { ...node22, nodeMajor: 24 })).toBeUndefined();
    expect(contextFrameRestart(true, { ...node22, canExec: false })).toBeUndefined();
  });

  // npm test (scripts/test.ts) starts jest on the AsyncLocalStorage that npm start runs on,
  // and says which; jest started some other way has nothing to compare with.
  const testRuntime = process.env.GATEHOUSE_TEST_ASYNC_CONTEXT;
  (testRuntime ? test : test.skip)('the in-process servers of the tests run on the same AsyncLocalStorage as npm start', () => {
    expect(contextFramesActive() ? 'frames' : 'hooks').toBe(testRuntime);
  });

  test('GATEHOUSE_ROLES adds custom organization roles', () => {
    expect(loadConfig({ GATEHOUSE_ROLES: '{"auditor":["admin:accounts:read","admin:grants:read"]}' }).roles)
      .toEqual({ auditor: ['admin:accounts:read', 'admin:grants:read'] });
  });

  test('PORT and ISSUER move it', () => {
    expect(loadConfig({ PORT: '8080' }).issuer).toBe('http://localhost:8080');
    expect(loadConfig({ ISSUER: 'https://id.example.com/' }).issuer).toBe('https://id.example.com');
  });

  test.each([
    [{ ACCESS_TOKEN_TTL: '-5' }, 'ACCESS_TOKEN_TTL must be a positive whole number of seconds (got "-5")'],
    [{ ACCESS_TOKEN_TTL: 'soon' }, 'ACCESS_TOKEN_TTL must be a positive whole number of seconds (got "soon")'],
    [{ PORT: '70000' }, 'PORT must be a non-negative whole number between 0 and 65535 (got "70000")'],
    [{ AUTHORIZATION_CODE_TTL: '3600' }, 'AUTHORIZATION_CODE_TTL must be a positive whole number of seconds between 1 and 600 (got "3600")'],
    [{ ISSUER: 'not a url' }, 'ISSUER must be an absolute URL (got "not a url")'],
    [{ ISSUER: 'https://id.example.com/?x=1' }, 'ISSUER must not have a query or fragment (OIDC Discovery §2)'],
    [{ REDIS_URL: 'http://localhost' }, 'REDIS_URL must use redis:, rediss: or unix: (got "http:")'],
    [{ REDIS_URL: 'unix://redis/run/redis.sock' }, 'REDIS_URL with unix: names a socket on this machine, not the host "redis": unix:///path/to/redis.sock, optionally with ?db=N'],
    [{ REDIS_URL: 'unix://' }, "REDIS_URL with unix: needs the socket's path: unix:///path/to/redis.sock, optionally with ?db=N"],
    [{ REDIS_URL: 'unix:///run/redis/' }, "REDIS_URL with unix: needs the socket's path: unix:///path/to/redis.sock, optionally with ?db=N"],
    [{ REDIS_URL: 'unix:///run/redis.sock?db=two' }, 'REDIS_URL\'s db must be a database number (got "two")'],
    [{ REDIS_URL: 'unix:///run/redis.sock?timeout=5' }, 'REDIS_URL with unix: takes only the db parameter, not "timeout": unix:///path/to/redis.sock, optionally with ?db=N'],
    [{ ARGON2_MEMORY_KIB: '1024' }, expect.stringContaining('ARGON2_MEMORY_KIB must be')],
    [{ COOKIE_KEYS: 'short' }, 'COOKIE_KEYS must be a comma-separated list of keys of at least 32 characters each'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent (got "loud")'],
    [{ API_SCOPES: 'api:read bad"scope' }, 'API_SCOPES contains an invalid scope value "bad"scope" (RFC 6749 §3.3)'],
    [{ GATEHOUSE_ROLES: '["auditor"]' }, 'GATEHOUSE_ROLES must be a JSON object of role name to an array of scopes'],
    [{ GATEHOUSE_ROLES: '{"admin":[]}' }, 'GATEHOUSE_ROLES: role "admin" is built in and cannot be redefined'],
    [{ GATEHOUSE_ROLES: '{"auditor":["admin:keys:read"]}' }, 'GATEHOUSE_ROLES: role "auditor": "admin:keys:read" is not an admin scope an organization role may have'],
  ])('%o is refused with a message naming the variable', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    try {
      loadConfig(env);
    } catch (err) {
      expect((err as Error).message).toEqual(message);
    }
  });

  test('client URLs must be public by default; CLIENT_URLS_ALLOW_PRIVATE and CLIENT_URLS_ALLOWED_CIDRS open them', () => {
    expect(loadConfig({}).clientUrls).toEqual({ allowPrivate: false, allowedCidrs: [] });
    expect(loadConfig({ CLIENT_URLS_ALLOW_PRIVATE: 'true', CLIENT_URLS_ALLOWED_CIDRS: '10.20.0.0/16, fd00:1::/64' }).clientUrls)
      .toEqual({ allowPrivate: true, allowedCidrs: ['10.20.0.0/16', 'fd00:1::/64'] });
    expect(() => loadConfig({ CLIENT_URLS_ALLOW_PRIVATE: 'yes' })).toThrow('CLIENT_URLS_ALLOW_PRIVATE must be one of true, false (got "yes")');
    expect(() => loadConfig({ CLIENT_URLS_ALLOWED_CIDRS: '10.1.2.3/8' }))
      .toThrow('CLIENT_URLS_ALLOWED_CIDRS: "10.1.2.3/8" is not a valid CIDR range: host bits are set (did you mean 10.0.0.0/8?)');
  });

  test('a password in a connection string is never echoed', () => {
    expect.assertions(6);
    for (const env of [{ MONGODB_URI: 'mongo://user:hunter2@host/db' }, { REDIS_URL: 'redis://user:hunter2@host:port' }, { REDIS_URL: 'unix://user:hunter2@host:port/run/redis.sock' }]) {
      try {
        loadConfig(env);
      } catch (err) {
        expect((err as Error).message).toContain('***@');
        expect((err as Error).message).not.toContain('hunter2');
      }
    }
  });

  test('REDIS_URL may name a Unix socket on this machine, with a database and credentials', () => {
    expect(redisSocketOf(loadConfig({ REDIS_URL: 'unix:///run/redis/redis.sock' }).redisUrl!)).toEqual({ path: '/run/redis/redis.sock' });
    expect(redisSocketOf(loadConfig({ REDIS_URL: 'unix:///tmp/my%20redis.sock?db=3' }).redisUrl!)).toEqual({ path: '/tmp/my redis.sock', db: 3 });
    expect(redisSocketOf(loadConfig({ REDIS_URL: 'unix://gatehouse:p%40ss@localhost/run/redis.sock' }).redisUrl!))
      .toEqual({ path: '/run/redis.sock', username: 'gatehouse', password: 'p@ss' });
    expect(redisSocketOf(loadConfig({ REDIS_URL: 'redis://127.0.0.1:6379/2' }).redisUrl!)).toBeUndefined();
    // The banner and the ready log line show where, never the password.
    expect(describeStorage(loadConfig({ REDIS_URL: 'unix://gatehouse:hunter2@localhost/run/redis.sock?db=1' })).ephemeral)
      .toBe('Redis unix://***@localhost/run/redis.sock?db=1');
    // Above one worker needs REDIS_URL: a socket counts.
    expect(loadConfig({ REDIS_URL: 'unix:///run/redis.sock', GATEHOUSE_WORKERS: '2' }).workers).toBe(2);
  });

  test('a MongoDB URI with several hosts is accepted and names the database', () => {
    const config = loadConfig({ MONGODB_URI: 'mongodb://u:p@a.example:27017,b.example:27017/tenants?replicaSet=rs0' });
    expect(config.mongodbDatabase).toBe('tenants');
    expect(loadConfig({ MONGODB_URI: 'mongodb://a.example' }).mongodbDatabase).toBe('gatehouse');
  });

  describe('in production', () => {
    const good = {
      NODE_ENV: 'production', ISSUER: 'https://id.example.com', COOKIE_KEYS: 'k'.repeat(32), SECRET_PEPPER: 'p'.repeat(32),
      REDIS_URL: 'redis://127.0.0.1:6379', MONGODB_URI: 'mongodb://127.0.0.1/gh', KEY_ENCRYPTION_KEYS: `k1:${Buffer.alloc(32, 7).toString('base64')}`,
      DPOP_NONCE_SECRET: Buffer.alloc(32, 9).toString('base64url'),
    };

    test('a complete configuration starts, with no demo seed', () => {
      const config = loadConfig(good);
      expect(config).toMatchObject({ production: true, ephemeralSecrets: false, seedPath: undefined, mongodbDatabase: 'gh' });
    });

    test.each([
      ['COOKIE_KEYS', 'COOKIE_KEYS is required when NODE_ENV=production'],
      ['SECRET_PEPPER', 'SECRET_PEPPER is required when NODE_ENV=production'],
      ['REDIS_URL', 'REDIS_URL and MONGODB_URI are required'],
      ['MONGODB_URI', 'REDIS_URL and MONGODB_URI are required'],
      ['KEY_ENCRYPTION_KEYS', 'KEY_ENCRYPTION_KEYS is required when NODE_ENV=production'],
    ])('refuses to start without %s', (name, message) => {
      const env: Record<string, string | undefined> = { ...good, [name]: undefined };
      expect(() => loadConfig(env)).toThrow(message);
    });

    test('refuses an http issuer', () => {
      expect(() => loadConfig({ ...good, ISSUER: 'http://id.example.com' })).toThrow('ISSUER must be an https URL when NODE_ENV=production');
    });
  });
});

describe('config/gatehouse.example.env', () => {
  test('documents every variable the configuration reads', async () => {
    const { readFile } = await import('node:fs/promises');
    const source = await readFile(new URL('../../src/config/index.ts', import.meta.url), 'utf8');
    const example = await readFile(new URL('../../config/gatehouse.example.env', import.meta.url), 'utf8');
    // readAddressPolicy(env, 'X') reads X_ALLOW_PRIVATE and X_ALLOWED_CIDRS.
    const read = [...source.matchAll(/read(\w+)\(env, '([A-Z0-9_]+)'/g)]
      .flatMap(([, reader, name]) => (reader === 'AddressPolicy' ? [`${name!}_ALLOW_PRIVATE`, `${name!}_ALLOWED_CIDRS`] : [name!]));
    expect(read.length).toBeGreaterThan(20);
    expect(read).toEqual(expect.arrayContaining(['WEBHOOK_ALLOWED_CIDRS', 'CLIENT_URLS_ALLOW_PRIVATE', 'CLIENT_URLS_ALLOWED_CIDRS']));
    const documented = new Set([...example.matchAll(/^#? ?([A-Z0-9_]+)=/gm)].map((m) => m[1]!));
    expect(read.filter((name) => !documented.has(name))).toEqual([]);
  });
});
