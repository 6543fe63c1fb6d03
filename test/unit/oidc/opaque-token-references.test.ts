import { listDestroyedOpaqueTokens, opaqueTokenReference } from '../../../src/oidc/opaque-token-references.ts';
import { createMemoryBackend } from '../../../src/stores/adapters/memory.ts';

describe('destroying an opaque access token lists its reference first', () => {
  const exp = Math.floor(Date.now() / 1000) + 600;

  test('the reference goes on the list until the token would expire, then the token is gone; other models are untouched', async () => {
    const listed: Array<[string, number]> = [];
    const backend = createMemoryBackend();
    const adapter = listDestroyedOpaqueTokens((model) => backend.adapterFor(model), {
      revokeOpaque: async (reference, expiresAt) => { listed.push([reference, expiresAt]); },
    });
    await adapter('AccessToken').upsert('tok-1', { exp, kind: 'AccessToken' }, 600);
    await adapter('AccessToken').destroy('tok-1');
    expect(listed).toEqual([[opaqueTokenReference('tok-1'), exp]]);
    expect(await adapter('AccessToken').find('tok-1')).toBeUndefined();

    await adapter('Session').upsert('s-1', { exp, kind: 'Session' }, 600);
    await adapter('Session').destroy('s-1');
    expect(listed).toHaveLength(1);
  });

  test('when the list cannot be written, the token stays (the caller is told to try again)', async () => {
    const backend = createMemoryBackend();
    const adapter = listDestroyedOpaqueTokens((model) => backend.adapterFor(model), {
      revokeOpaque: async () => { throw new Error('redis away'); },
    });
    await adapter('ClientCredentials').upsert('tok-2', { exp, kind: 'ClientCredentials' }, 600);
    await expect(adapter('ClientCredentials').destroy('tok-2')).rejects.toThrow('redis away');
    expect(await adapter('ClientCredentials').find('tok-2')).toMatchObject({ exp });
  });

  test('the reference is a fixed-length digest that does not contain the token', () => {
    const token = 'r8ju2_secret-opaque-token-value';
    expect(opaqueTokenReference(token)).toMatch(/^[\w-]{22}$/);
    expect(opaqueTokenReference(token)).not.toContain(token.slice(0, 8));
    expect(opaqueTokenReference(token)).toBe(opaqueTokenReference(token));
  });
});
