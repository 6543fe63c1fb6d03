import { EventEmitter } from 'node:events';

import type Provider from 'oidc-provider';

import { createAccountAccessEnder, trackAccountAccess } from '../../../src/oidc/revoke-grants.ts';
import { createMemoryAccountAccessStore } from '../../../src/stores/account-access.ts';
import { createMemoryBackend } from '../../../src/stores/adapters/index.ts';

describe("ending an account's access", () => {
  const backend = createMemoryBackend();
  afterAll(() => backend.close());
  const adapter = (model: string) => backend.adapterFor(model);
  const exp = () => Math.floor(Date.now() / 1000) + 3600;

  test("the provider's saved grants and sessions are recorded per account, then revoked with their tokens", async () => {
    const store = createMemoryAccountAccessStore();
    // The provider is an EventEmitter; these are the events BaseModel#save emits.
    const events = new EventEmitter();
    trackAccountAccess(events as unknown as Provider, store, (err) => { throw err; });

    await adapter('Grant').upsert('g1', { jti: 'g1', accountId: 'ada', exp: exp() }, 3600);
    await adapter('RefreshToken').upsert('rt1', { jti: 'rt1', grantId: 'g1', accountId: 'ada' }, 3600);
    await adapter('AccessToken').upsert('at1', { jti: 'at1', grantId: 'g1', accountId: 'ada' }, 3600);
    await adapter('Session').upsert('sid-2', { jti: 'sid-2', uid: 'u1', accountId: 'ada' }, 3600);
    await adapter('Grant').upsert('g2', { jti: 'g2', accountId: 'grace', exp: exp() }, 3600);
    events.emit('grant.saved', { jti: 'g1', accountId: 'ada', exp: exp() });
    events.emit('session.saved', { jti: 'sid-2', uid: 'u1', accountId: 'ada', exp: exp() });
    events.emit('session.saved', { jti: 'anon', uid: 'u0', exp: exp() }); // not signed in: nothing to record
    events.emit('grant.saved', { jti: 'g2', accountId: 'grace', exp: exp() });
    await new Promise((r) => setImmediate(r));

    const ended = await createAccountAccessEnder({ adapter, store })('ada');
    expect(ended).toEqual({ grants: 1, sessions: 1 });
    for (const [model, id] of [['Grant', 'g1'], ['RefreshToken', 'rt1'], ['AccessToken', 'at1'], ['Session', 'sid-2']] as const) {
      await expect(adapter(model).find(id)).resolves.toBeUndefined();
    }
    await expect(adapter('Grant').find('g2')).resolves.toBeDefined();
    expect(await store.list('ada', new Date())).toEqual([]);
  });
});
