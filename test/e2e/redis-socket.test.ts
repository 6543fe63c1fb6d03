import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { Redis } from 'ioredis';
import * as oidc from 'openid-client';

import { startThrowawayRedis, type ThrowawayRedis } from '../../scripts/throwaway-redis.ts';
import { createRedisClient } from '../../src/stores/redis-client.ts';
import { keysWithPrefix } from '../support/redis.ts';
import { clientFor, startTestServer, type TestServer } from '../support/gatehouse.ts';

/**
 * REDIS_URL=unix:///path?db=N: Redis on the same machine over a Unix socket. The Redis
 * here listens on the socket only (no TCP port), so everything that works went through it:
 * the token store, the rate limits and the revocation list with its pub/sub.
 */
describe('Redis over a Unix socket', () => {
  let dir: string;
  let redis: ThrowawayRedis;
  let server: TestServer;
  let peek: Redis;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gatehouse-socket-'));
    redis = await startThrowawayRedis('The Unix socket tests', { socket: join(dir, 'redis.sock') });
    server = await startTestServer({ REDIS_URL: `${redis.url}?db=5` });
    peek = createRedisClient(`${redis.url}?db=5`, { maxRetriesPerRequest: 1 });
  });

  afterAll(async () => {
    await server?.close();
    peek?.disconnect();
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('issues, introspects and revokes a token, keeping it and the rate-limit counters in the chosen database', async () => {
    const service = await clientFor(server, 'service');
    const rs = await clientFor(server, 'resource-server');
    const { access_token: token } = await oidc.clientCredentialsGrant(service, { scope: 'api:read' });
    expect(await oidc.tokenIntrospection(rs, token)).toMatchObject({ active: true, client_id: 'service', scope: 'api:read' });

    expect(await keysWithPrefix(peek, 'gh:e:ClientCredentials:')).toHaveLength(1);
    expect((await keysWithPrefix(peek, 'gh:rl:')).length).toBeGreaterThan(0);
    await peek.select(0);
    expect(await keysWithPrefix(peek, 'gh:')).toEqual([]);

    await oidc.tokenRevocation(service, token);
    expect(await oidc.tokenIntrospection(rs, token)).toEqual({ active: false });
  });
});
