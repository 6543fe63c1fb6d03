import { generateKeyPairSync } from 'node:crypto';

import type { JWK } from 'oidc-provider';

import type { Config } from '../config/index.ts';
import { createProvider } from '../oidc/provider.ts';
import { createSecretHasher } from '../security/client-secrets.ts';
import { createMemoryBackend } from '../stores/adapters/memory.ts';
import { createRoutedAdapterFactory } from '../stores/routing.ts';
import type { SeedClientMetadata } from './deps.ts';

const notServed = async (): Promise<never> => { throw new Error('this provider only validates client metadata'); };

/** Throw-away signing keys: node-oidc-provider wants a key set, and this one is never served. */
function ephemeralKeys(): JWK[] {
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
  return [{ ...ec, kid: 'validate-es256', alg: 'ES256', use: 'sig' } as JWK, { ...rsa, kid: 'validate-rs256', alg: 'RS256', use: 'sig' } as JWK];
}

/**
 * `provider.Client.validate` outside a server, for `gatehouse import`: the provider is
 * configured from the same Config by the same code as the server's, so a client the
 * command accepts is one the server will load. It holds nothing and serves nothing.
 */
export function createClientValidator(config: Config): (metadata: SeedClientMetadata) => Promise<void> {
  const memory = createMemoryBackend();
  const provider = createProvider({
    config,
    adapter: createRoutedAdapterFactory({ durable: memory, ephemeral: memory }),
    accounts: { findById: async () => undefined },
    secrets: createSecretHasher(config.secretPepper),
    resourceServers: { find: async () => undefined },
    signingKeys: ephemeralKeys(),
    pages: { renderError: notServed, logoutSource: notServed, postLogoutSuccessSource: notServed },
  });
  return async (metadata) => { await provider.Client.validate(metadata); };
}
