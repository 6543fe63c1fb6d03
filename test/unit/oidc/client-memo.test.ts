import type Provider from 'oidc-provider';

import { rememberClients } from '../../../src/oidc/client-memo.ts';
import type { ClientChanges } from '../../../src/stores/invalidation-bus.ts';

/** A provider whose Client.find counts its loads; `gate` holds a load until released. */
function fakeProvider(stored: Map<string, object>) {
  const loads: string[] = [];
  let gate: Promise<void> | undefined;
  const provider = {
    Client: {
      async find(id: string) {
        loads.push(id);
        if (gate) await gate;
        const found = stored.get(id);
        return found ? { ...found } : undefined;
      },
    },
  };
  return { provider: provider as unknown as Provider, loads, hold: (p: Promise<void>) => { gate = p; } };
}

function changeFeed() {
  const listeners: Array<(id: string) => void> = [];
  const changes: ClientChanges = { subscribe: (l) => { listeners.push(l); } };
  return { changes, change: (id: string) => listeners.forEach((l) => l(id)) };
}

describe('the memo of loaded clients', () => {
  const clock = { now: 1_700_000_000_000 };

  test('a client is loaded once, then remembered until it changes', async () => {
    const stored = new Map<string, object>([['web', { client_id: 'web', v: 1 }]]);
    const { provider, loads } = fakeProvider(stored);
    const { changes, change } = changeFeed();
    rememberClients(provider, changes, { now: () => clock.now });
    const first = await provider.Client.find('web');
    expect(await provider.Client.find('web')).toBe(first);
    expect(loads).toEqual(['web']);
    stored.set('web', { client_id: 'web', v: 2 });
    change('web');
    expect(await provider.Client.find('web')).toMatchObject({ v: 2 });
    stored.delete('web');
    change('web');
    expect(await provider.Client.find('web')).toBeUndefined();
    expect(loads).toEqual(['web', 'web', 'web']);
  });

  test('a load that began before a change is not remembered', async () => {
    const stored = new Map<string, object>([['web', { client_id: 'web', v: 1 }]]);
    const { provider, loads, hold } = fakeProvider(stored);
    const { changes, change } = changeFeed();
    rememberClients(provider, changes, { now: () => clock.now });
    let release!: () => void;
    hold(new Promise<void>((r) => { release = r; }));
    const slow = provider.Client.find('web');
    stored.set('web', { client_id: 'web', v: 2 });
    change('web');
    release();
    expect(await slow).toMatchObject({ v: 2 }); // what the store held when the load ended
    hold(Promise.resolve());
    await provider.Client.find('web');
    expect(loads).toHaveLength(2); // the racing load was not kept
  });

  test('unknown ids and https ids (client ID metadata documents) are never remembered; entries expire after ttlMs', async () => {
    const url = 'https://app.example/client.json';
    const stored = new Map<string, object>([['web', { client_id: 'web' }], [url, { client_id: url }]]);
    const { provider, loads } = fakeProvider(stored);
    rememberClients(provider, changeFeed().changes, { now: () => clock.now, ttlMs: 1000 });
    for (const id of ['nobody', 'nobody', url, url]) await provider.Client.find(id);
    expect(loads).toEqual(['nobody', 'nobody', url, url]);
    await provider.Client.find('web');
    clock.now += 1001;
    await provider.Client.find('web');
    expect(loads.filter((id) => id === 'web')).toHaveLength(2);
  });
});
