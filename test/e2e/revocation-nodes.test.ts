import { randomBytes } from 'node:crypto';

import * as oidc from 'openid-client';

import { generateSigningKey } from '../../src/stores/signing-keys.ts';
import { SECRETS, SEED_PATH } from '../support/gatehouse.ts';
import { startGatehouseProcess, stopGatehouseProcess, type GatehouseProcess } from '../support/gatehouse-process.ts';

/** Every node answers as the same issuer, as behind one load balancer. */
const ISSUER = 'http://gatehouse.test';
const ORDERS = 'https://orders.example/api'; // JWT access tokens (test/fixtures/seed.json)

type Node = GatehouseProcess;
/** A Gatehouse of its own, on the shared Redis. */
const startNode = startGatehouseProcess;
const stopNode = stopGatehouseProcess;

/** openid-client for `clientId`, talking to one node's endpoints of the shared issuer. */
function clientAt(node: Node, clientId: keyof typeof SECRETS): oidc.Configuration {
  const config = new oidc.Configuration({
    issuer: ISSUER,
    token_endpoint: `${node.url}/token`,
    introspection_endpoint: `${node.url}/token/introspection`,
    revocation_endpoint: `${node.url}/token/revocation`,
  }, clientId, SECRETS[clientId], oidc.ClientSecretBasic(SECRETS[clientId]));
  oidc.allowInsecureRequests(config);
  return config;
}

/**
 * Polls `isActive` until it says false; fails if that takes longer than `deadlineMs`.
 * No sleeping: each round is a real introspection request.
 */
async function inactiveWithin(deadlineMs: number, isActive: () => Promise<boolean>): Promise<number> {
  const started = Date.now();
  for (;;) {
    if (!(await isActive())) return Date.now() - started;
    if (Date.now() - started > deadlineMs) throw new Error(`still active after ${deadlineMs} ms`);
  }
}

/**
 * Two Gatehouse processes on one Redis: a token issued by A and revoked at B is inactive
 * at A within a second. Nothing but Redis is shared (no MongoDB here: each node has the
 * seed's clients in its own memory; the signing keys are handed to both, as MongoDB would).
 */
describe('revocation across nodes (two processes, one Redis)', () => {
  let a: Node | undefined;
  let b: Node | undefined;

  beforeAll(async () => {
    const env = {
      ISSUER, REDIS_URL: process.env.REDIS_URL!, GATEHOUSE_SEED: SEED_PATH,
      COOKIE_KEYS: randomBytes(32).toString('base64url'), SECRET_PEPPER: randomBytes(32).toString('base64url'),
      GATEHOUSE_TEST_SIGNING_KEYS: JSON.stringify(await Promise.all([generateSigningKey('ES256', 'ES256#1'), generateSigningKey('RS256', 'RS256#1')])),
    };
    [a, b] = await Promise.all([startNode(env), startNode(env)]);
  }, 30_000);
  afterAll(() => Promise.all([stopNode(a), stopNode(b)]));

  const active = (node: Node, token: string) => async () =>
    (await oidc.tokenIntrospection(clientAt(node, 'resource-server'), token)).active;

  test('an opaque token issued by A and revoked at B is inactive at A within one second', async () => {
    const { access_token: token } = await oidc.clientCredentialsGrant(clientAt(a!, 'service'), { scope: 'api:read' });
    expect(await active(a!, token)()).toBe(true);
    expect(await active(b!, token)()).toBe(true);

    await oidc.tokenRevocation(clientAt(b!, 'service'), token);
    expect(await inactiveWithin(1000, active(a!, token))).toBeLessThanOrEqual(1000);
  });

  test('a JWT access token issued by A and revoked at B is inactive at A within one second', async () => {
    const { access_token: jwt } = await oidc.clientCredentialsGrant(clientAt(a!, 'service'), { scope: 'api:read', resource: ORDERS });
    expect(jwt.split('.')).toHaveLength(3);
    expect(await active(a!, jwt)()).toBe(true);
    expect(await active(b!, jwt)()).toBe(true);

    await oidc.tokenRevocation(clientAt(b!, 'service'), jwt);
    expect(await inactiveWithin(1000, active(a!, jwt))).toBeLessThanOrEqual(1000);
    expect(await active(b!, jwt)()).toBe(false);
  });
});
