import { fileURLToPath } from 'node:url';

import * as oidc from 'openid-client';

import { loadConfig } from '../../src/config/index.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { startGatehouse, type Running } from '../../src/server.ts';
import { freePort } from '../../scripts/throwaway-redis.ts';

export { freePort };

export const SEED_PATH = fileURLToPath(new URL('../fixtures/seed.json', import.meta.url));

/** Secrets of test/fixtures/seed.json's clients (test-only values). */
export const SECRETS = {
  web: 'web-secret-for-tests-only-0123456789',
  narrow: 'narrow-secret-for-tests-only-0123456789',
  service: 'service-secret-for-tests-only-0123456789',
  'service-post': 'service-post-secret-for-tests-only-01234',
  'resource-server': 'rs-secret-for-tests-only-0123456789abcd',
  'admin-service': 'admin-service-secret-for-tests-only-0123',
} as const;

export const ADA = { email: 'ada@example.com', password: 'correct horse battery', name: 'Ada Lovelace' };

export interface TestServer extends Running {
  issuer: string;
}

/** Starts a real Gatehouse on a free loopback port with the test seed. */
export async function startTestServer(env: Record<string, string> = {}): Promise<TestServer> {
  const port = await freePort();
  const config = loadConfig({
    PORT: String(port), HOST: '127.0.0.1', GATEHOUSE_SEED: SEED_PATH, LOG_LEVEL: 'silent', ...env,
  });
  const running = await startGatehouse(config, createLogger('silent'));
  return Object.assign(running, { issuer: config.issuer });
}

/** An openid-client Configuration for one of the seeded clients, found through discovery. */
export async function clientFor(
  server: TestServer, clientId: string, auth: 'basic' | 'post' | 'none' = 'basic', secret?: string,
): Promise<oidc.Configuration> {
  const clientSecret = secret ?? (SECRETS as Record<string, string>)[clientId];
  const method = auth === 'none' ? oidc.None() : auth === 'post' ? oidc.ClientSecretPost(clientSecret) : oidc.ClientSecretBasic(clientSecret);
  return oidc.discovery(new URL(server.issuer), clientId, auth === 'none' ? undefined : clientSecret, method, {
    execute: [oidc.allowInsecureRequests],
  });
}

/**
 * The OAuth error an openid-client call failed with: from the JSON body
 * (ResponseBodyError) or, for a 401, from the WWW-Authenticate challenge
 * (WWWAuthenticateChallengeError, RFC 6750 §3).
 */
export async function oauthError(call: Promise<unknown>): Promise<{ status: number; error: string | undefined }> {
  try {
    await call;
  } catch (err) {
    if (err instanceof oidc.ResponseBodyError) return { status: err.status, error: err.error };
    if (err instanceof oidc.WWWAuthenticateChallengeError) {
      return { status: err.status, error: err.cause[0]?.parameters.error };
    }
    throw err;
  }
  throw new Error('the call succeeded');
}
