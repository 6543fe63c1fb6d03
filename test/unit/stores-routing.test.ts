import Provider from 'oidc-provider';
import { createMemoryBackend } from '../../src/stores/adapters/memory.ts';
import { createRoutedAdapterFactory } from '../../src/stores/routing.ts';

describe('createRoutedAdapterFactory', () => {
  const durable = createMemoryBackend();
  const ephemeral = createMemoryBackend();
  afterAll(async () => { await durable.close(); await ephemeral.close(); });

  it('routes the durable models to `durable` and every other model to `ephemeral` (DESIGN.md table)', async () => {
    const factory = createRoutedAdapterFactory({ durable, ephemeral });
    const durableModels = ['Client', 'Grant', 'RefreshToken', 'RegistrationAccessToken'];
    const ephemeralModels = ['Session', 'Interaction', 'AuthorizationCode', 'AccessToken', 'ClientCredentials',
      'DeviceCode', 'PushedAuthorizationRequest', 'ReplayDetection', 'BackchannelAuthenticationRequest'];
    for (const model of [...durableModels, ...ephemeralModels]) await factory(model).upsert('x', { kind: model }, 60);
    for (const model of durableModels) {
      expect(await durable.adapterFor(model).find('x')).toEqual({ kind: model });
      expect(await ephemeral.adapterFor(model).find('x')).toBeUndefined();
    }
    for (const model of ephemeralModels) {
      expect(await ephemeral.adapterFor(model).find('x')).toEqual({ kind: model });
      expect(await durable.adapterFor(model).find('x')).toBeUndefined();
    }
  });

  it('caches one adapter per model name', () => {
    const factory = createRoutedAdapterFactory({ durable, ephemeral });
    expect(factory('Session')).toBe(factory('Session'));
    expect(factory('Session')).not.toBe(factory('Client'));
  });

  it('is accepted by node-oidc-provider as its `adapter` option and used for its models', async () => {
    const factory = createRoutedAdapterFactory({ durable, ephemeral });
    const provider = new Provider('https://issuer.test', { adapter: factory });
    const client = { client_id: 'routed-client', client_secret: 'a-secret-of-enough-length', redirect_uris: ['https://rp.test/cb'] };
    await durable.adapterFor('Client').upsert('routed-client', client);
    expect(await provider.Client.find('routed-client')).toMatchObject({ clientId: 'routed-client' });
    const session = new provider.Session();
    session.accountId = 'acc';
    await session.save(60);
    expect(await ephemeral.adapterFor('Session').find(session.jti)).toMatchObject({ accountId: 'acc' });
  });
});
