import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import Koa from 'koa';

import type { AuditEventInput } from '../../../src/audit/events.ts';
import { loadConfig } from '../../../src/config/index.ts';
import { createRenderer } from '../../../src/interactions/views.ts';
import { createLogger } from '../../../src/observability/logger.ts';
import { createMetrics } from '../../../src/observability/metrics.ts';
import { addressKey, endpointOf } from '../../../src/security/rate-limit/identity.ts';
import { openRateLimiting, requestLimits } from '../../../src/security/rate-limit/index.ts';
import { createMemoryRateLimiter } from '../../../src/security/rate-limit/memory-limiter.ts';
import type { RateLimiter } from '../../../src/security/rate-limit/gcra.ts';
import { peekForm } from '../../../src/security/rate-limit/peek-form.ts';
import { parseTiers } from '../../../src/security/rate-limit/tiers.ts';
import { formatApiKey } from '../../../src/security/api-key-format.ts';
import { freePort } from '../../../scripts/throwaway-redis.ts';

describe('which requests are limited', () => {
  test.each([
    ['POST', '/token', 'token'], ['POST', '/token/introspection', 'introspection'], ['POST', '/token/revocation', 'revocation'], ['POST', '/request', 'pushed_authorization'],
    ['GET', '/auth', 'authorization'], ['GET', '/auth/abc123', 'authorization'], ['POST', '/interaction/abc/login', 'login'],
    ['POST', '/interaction/abc/confirm', 'login'], ['GET', '/interaction/abc', undefined], ['POST', '/reg', 'registration'],
    ['GET', '/invitations/xyz', 'registration'], ['GET', '/api/v1/auth/whoami', 'admin'], ['OPTIONS', '/token', undefined],
    ['GET', '/.well-known/openid-configuration', undefined], ['GET', '/jwks', undefined], ['GET', '/healthz', undefined],
    ['GET', '/authorize', undefined], ['GET', '/api/v10', undefined],
  ])('%s %s → %s', (method, path, endpoint) => {
    expect(endpointOf(method, path)).toBe(endpoint);
  });

  test('addresses: IPv4 as is, IPv4-mapped IPv6 as IPv4, IPv6 by its /64', () => {
    expect(addressKey('203.0.113.9')).toBe('203.0.113.9');
    expect(addressKey('::ffff:203.0.113.9')).toBe('203.0.113.9');
    expect(addressKey('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:db8:1:2:bbbb:cccc:dddd:eeee')).toBe('2001:db8:1:2::/64');
  });
});

describe('peekForm', () => {
  let server: Server;
  let url: URL;
  beforeAll(async () => {
    // Peeks, then reads the body the way node-oidc-provider does (an async iterator).
    server = createServer(async (req, res) => {
      const peeked = await peekForm(req, Number(req.headers['content-length']));
      const chunks: Buffer[] = [];
      for await (const chunk of req.iterator({ destroyOnReturn: false })) chunks.push(chunk as Buffer);
      res.end(JSON.stringify({ peeked: peeked?.get('client_id') ?? null, body: Buffer.concat(chunks).toString() }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  function post(parts: string[]): Promise<{ peeked: string | null; body: string }> {
    const length = parts.reduce((n, p) => n + Buffer.byteLength(p), 0);
    return new Promise((resolve, reject) => {
      const req = request(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': length } }, (res) => {
        let text = '';
        res.on('data', (d) => { text += d; });
        res.on('end', () => resolve(JSON.parse(text)));
      });
      req.on('error', reject);
      // The body in several writes, apart: the peek must wait for all of it.
      (async () => {
        for (const part of parts) {
          req.write(part);
          await new Promise((r) => setTimeout(r, 20));
        }
        req.end();
      })();
    });
  }

  test('sees the client_id, and the reader after it still gets every byte', async () => {
    const body = 'grant_type=client_credentials&client_id=svc%C3%A9&scope=api%3Aread';
    expect(await post([body])).toEqual({ peeked: 'svcé', body });
  });

  test('a body that arrives in pieces is read whole, then put back whole', async () => {
    const parts = ['grant_type=client_cre', 'dentials&client_', 'id=piecewise'];
    expect(await post(parts)).toEqual({ peeked: 'piecewise', body: parts.join('') });
  });
});

describe('the rate-limit middleware', () => {
  const tiers = parseTiers('default:2/min:2,authenticated:3/min:3,gold:5/min:5');
  const render = createRenderer({ cache: false });

  async function app(options: { limiter?: RateLimiter; onFailure?: (err: unknown) => void } = {}) {
    const events: AuditEventInput[] = [];
    const refusals: string[] = [];
    const apiKeyId = 'AbCdEfGhIjKl';
    const koa = new Koa();
    koa.use(requestLimits({
      limiter: options.limiter ?? createMemoryRateLimiter(), tiers,
      clients: { find: async (id) => (id === 'web' ? {} : id === 'vip' ? { rate_limit_tier: 'gold' } : undefined) },
      apiKeys: { findById: async (id) => (id === apiKeyId ? { rateLimitTier: 'gold', expiresAt: new Date(Date.now() + 60_000) } as never : undefined) },
      audit: { record: (e) => events.push(e) }, render,
      onRefused: (endpoint) => refusals.push(endpoint),
      reportFailure: (_limiter, err) => options.onFailure?.(err),
    }));
    koa.use((ctx) => { ctx.body = { ok: true }; });
    const server = createServer(koa.callback());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const apiKey = formatApiKey({ env: 'test', id: apiKeyId, secret: 'x'.repeat(43) });
    return { base, events, refusals, apiKey, close: () => new Promise((resolve) => server.close(resolve)) };
  }

  const basic = (id: string) => `Basic ${Buffer.from(`${encodeURIComponent(id)}:secret`).toString('base64')}`;

  test('a known client is limited at its tier; over it: 429 rate_limited, Retry-After, an audit event', async () => {
    const a = await app();
    const token = () => fetch(`${a.base}/token`, { method: 'POST', headers: { authorization: basic('web') } });
    for (let remaining = 2; remaining >= 0; remaining--) {
      const res = await token();
      expect(res.status).toBe(200);
      expect(res.headers.get('ratelimit')).toBe(`"authenticated";r=${remaining};t=20`);
      expect(res.headers.get('ratelimit-policy')).toBe('"authenticated";q=3;w=60');
    }
    const refused = await token();
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('20');
    expect(await refused.json()).toEqual({ error: 'rate_limited', error_description: 'too many requests: try again in 20 seconds' });
    expect(a.refusals).toEqual(['token']);
    expect(a.events).toEqual([expect.objectContaining({
      type: 'rate_limit.refused', clientId: 'web', ip: '127.0.0.1', reason: 'rate_limited', target: 'endpoint:token',
      details: { endpoint: 'token', bucket: 'client', tier: 'authenticated', retry_after: 20 },
    })]);
    await a.close();
  });

  test('a client\'s rate_limit_tier and an API key\'s tier are used; an unknown client id counts as anonymous', async () => {
    const a = await app();
    const vip = await fetch(`${a.base}/token/introspection`, { method: 'POST', headers: { authorization: basic('vip') } });
    expect(vip.headers.get('ratelimit-policy')).toBe('"gold";q=5;w=60');
    const key = await fetch(`${a.base}/api/v1/auth/whoami`, { headers: { 'x-api-key': a.apiKey } });
    expect(key.headers.get('ratelimit-policy')).toBe('"gold";q=5;w=60');
    const unknown = await fetch(`${a.base}/token`, { method: 'POST', headers: { authorization: basic('nobody') } });
    expect(unknown.headers.get('ratelimit-policy')).toBe('"default";q=2;w=60');
    const form = await fetch(`${a.base}/token/revocation`, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'token=t&client_id=vip',
    });
    expect(form.headers.get('ratelimit-policy')).toBe('"gold";q=5;w=60');
    await a.close();
  });

  test('X-RateLimit-* fields match the RateLimit fields; unlimited routes carry none', async () => {
    const a = await app();
    const res = await fetch(`${a.base}/auth?client_id=web`);
    expect({
      limit: res.headers.get('x-ratelimit-limit'), remaining: res.headers.get('x-ratelimit-remaining'), reset: res.headers.get('x-ratelimit-reset'),
    }).toEqual({ limit: '2', remaining: '1', reset: '30' });
    const other = await fetch(`${a.base}/jwks`);
    expect(other.headers.get('ratelimit')).toBeNull();
    expect(other.headers.get('x-ratelimit-limit')).toBeNull();
    await a.close();
  });

  test('a browser refused at /auth gets the error page with status 429', async () => {
    const a = await app();
    const open = () => fetch(`${a.base}/auth`, { headers: { accept: 'text/html' } });
    await open();
    await open();
    const refused = await open();
    expect(refused.status).toBe(429);
    expect(refused.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await refused.text()).toContain('rate_limited');
    await a.close();
  });

  test('fail open: with Redis unreachable the request goes through, each failure is counted, the log is throttled', async () => {
    const lines: Array<{ msg: string }> = [];
    const logger = createLogger('warn', { destination: { write: (line: string) => { lines.push(JSON.parse(line)); } } });
    const metrics = createMetrics({ defaultMetrics: false });
    const config = loadConfig({ REDIS_URL: `redis://127.0.0.1:${await freePort()}`, LOG_LEVEL: 'silent' });
    const limits = await openRateLimiting(config, logger, {
      connectTimeoutMs: 50, onFailure: (limiter) => metrics.rateLimitFailures.inc({ limiter }),
    });
    const a = await app({ limiter: limits.requests!, onFailure: (err) => limits.reportFailure('requests', err) });
    for (let i = 0; i < 5; i++) {
      const res = await fetch(`${a.base}/token`, { method: 'POST', headers: { authorization: basic('web') } });
      expect(res.status).toBe(200);
      expect(res.headers.get('ratelimit')).toBeNull();
    }
    expect((await metrics.rateLimitFailures.get()).values).toEqual([expect.objectContaining({ labels: { limiter: 'requests' }, value: 5 })]);
    expect(lines.filter((l) => l.msg === 'rate limiting unavailable: requests are let through')).toHaveLength(1);
    await a.close();
    await limits.close();
  });
});
