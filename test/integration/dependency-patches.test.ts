import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import type { Redis } from 'ioredis';
import Provider from 'oidc-provider';

import { applyPatch, PATCHES, PatchError, type DependencyPatch } from '../../scripts/patch-dependencies.ts';
import { unpatchedDependencies } from '../../src/dependency-patches.ts';
import { createRedisClient } from '../../src/stores/redis-client.ts';
import { connectTestRedis, testKeyPrefix, testRedisUrl } from '../support/redis.ts';

const NODE_MODULES = fileURLToPath(new URL('../../node_modules', import.meta.url));

describe('scripts/patch-dependencies.ts', () => {
  let dir: string;
  const patch: DependencyPatch = { name: 'some-lib', version: '1.2.3', file: 'lib/a.js', before: 'per-object getter', after: 'prototype getter' };
  const install = (version: string, source: string) => {
    mkdirSync(join(dir, 'some-lib', 'lib'), { recursive: true });
    writeFileSync(join(dir, 'some-lib', 'package.json'), JSON.stringify({ name: 'some-lib', version }));
    writeFileSync(join(dir, 'some-lib', 'lib', 'a.js'), source);
  };
  const patched = () => readFileSync(join(dir, 'some-lib', 'lib', 'a.js'), 'utf8');

  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'gatehouse-patch-')); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('replaces the text once and leaves an applied patch alone', () => {
    install('1.2.3', 'head\nper-object getter\ntail\n');
    expect(applyPatch(dir, patch)).toBe('applied');
    expect(patched()).toBe('head\nprototype getter\ntail\n');
    expect(applyPatch(dir, patch)).toBe('already applied');
    expect(patched()).toBe('head\nprototype getter\ntail\n');
  });

  it('stops at another version of the package, naming both', () => {
    install('1.3.0', 'per-object getter\n');
    expect(() => applyPatch(dir, patch)).toThrow(new PatchError(
      'some-lib is 1.3.0, but its patch was written for 1.2.3: check whether the new version still needs it, '
      + 'then update or remove it in scripts/patch-dependencies.ts',
    ));
    expect(patched()).toBe('per-object getter\n');
  });

  it('stops when the text is missing or ambiguous, and changes nothing', () => {
    install('1.2.3', 'something else\n');
    expect(() => applyPatch(dir, patch)).toThrow('some-lib/lib/a.js does not contain the patched text exactly once');
    install('1.2.3', 'per-object getter\nper-object getter\n');
    expect(() => applyPatch(dir, patch)).toThrow(PatchError);
    expect(patched()).toBe('per-object getter\nper-object getter\n');
  });

  it('stops when the package is not installed', () => {
    expect(() => applyPatch(dir, patch)).toThrow(`some-lib is not installed under ${dir}`);
  });

  it.each(PATCHES.map((p) => [p.name, p] as const))('%s is patched in this install (npm ci ran the postinstall)', (_name, real) => {
    const source = readFileSync(join(NODE_MODULES, real.name, real.file), 'utf8');
    expect(source.split(real.after)).toHaveLength(2);
    expect(source).not.toContain(real.before);
    expect(applyPatch(NODE_MODULES, real)).toBe('already applied');
  });
});

describe('node-oidc-provider with the patch', () => {
  let server: Server;
  let base: string;
  const seen: Array<{ path: string; own: boolean; route: string | undefined; same: boolean }> = [];

  beforeAll(async () => {
    const provider = new Provider('http://127.0.0.1', { features: { devInteractions: { enabled: false } } });
    provider.use(async function record(ctx, next) {
      await next();
      const first = ctx.oidc;
      seen.push({ path: ctx.path, own: Object.getOwnPropertyDescriptor(ctx, 'oidc') !== undefined, route: first?.route, same: first === ctx.oidc });
    });
    server = createServer(provider.callback());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    expect(unpatchedDependencies(provider.context)).toEqual([]);
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('gives its routes one OIDC context per request, from a getter the request does not own', async () => {
    expect((await fetch(`${base}/.well-known/openid-configuration`)).status).toBe(200);
    expect((await fetch(`${base}/jwks`)).status).toBe(200);
    expect(seen.slice(-2)).toEqual([
      { path: '/.well-known/openid-configuration', own: false, route: 'discovery', same: true },
      { path: '/jwks', own: false, route: 'jwks', same: true },
    ]);
  });

  it('has no OIDC context outside its routes, as before', async () => {
    expect((await fetch(`${base}/not-a-route`)).status).toBe(404);
    expect(seen.at(-1)).toEqual({ path: '/not-a-route', own: false, route: undefined, same: true });
  });
});

describe('ioredis with the patch', () => {
  let redis: Redis;
  let auto: Redis;
  const prefix = testKeyPrefix('patch');

  beforeAll(async () => {
    redis = await connectTestRedis();
    auto = createRedisClient(testRedisUrl(), { enableAutoPipelining: true, maxRetriesPerRequest: 1 });
  });
  afterAll(async () => {
    await redis.del(`${prefix}a`, `${prefix}b`);
    await Promise.all([redis.quit(), auto.quit()]);
  });

  it('counts a pipeline\'s commands through the prototype getter', async () => {
    const pipeline = redis.pipeline().set(`${prefix}a`, '1').get(`${prefix}a`);
    expect(pipeline.length).toBe(2);
    expect(Object.getOwnPropertyDescriptor(pipeline, 'length')).toBeUndefined();
    expect(await pipeline.exec()).toEqual([[null, 'OK'], [null, '1']]);
  });

  it('still answers every auto-pipelined command with its own reply', async () => {
    const values = Array.from({ length: 50 }, (_, i) => String(i));
    await Promise.all(values.map((v) => auto.hset(`${prefix}b`, v, `value-${v}`)));
    expect(await Promise.all(values.map((v) => auto.hget(`${prefix}b`, v)))).toEqual(values.map((v) => `value-${v}`));
  });
});

describe('unpatchedDependencies', () => {
  it('names each library whose getter is still per object', () => {
    expect(unpatchedDependencies({}, {})).toEqual(['oidc-provider', 'ioredis']);
    expect(unpatchedDependencies(Object.defineProperty({}, 'oidc', { get: () => undefined }), {})).toEqual(['ioredis']);
  });
});
