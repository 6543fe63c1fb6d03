import { randomUUID } from 'node:crypto';
import type { AdapterPayload } from 'oidc-provider';
import { ConsumeConflictError, type AdapterBackend } from '../../src/stores/types.ts';

/** One backend under test, fresh for each test. */
export interface ContractHarness {
  backend: AdapterBackend;
  /** Lets `seconds` pass as far as the backend's expiry is concerned (fake clock or real wait). */
  advance(seconds: number): Promise<void>;
  cleanup?(): Promise<void>;
}

const id = (): string => randomUUID();

/**
 * The behaviour every AdapterBackend must share (DESIGN.md: "One adapter contract test
 * suite runs against every backend that is reachable"). `describeFn` lets a caller
 * register the suite as skipped with a name that says why.
 */
export function describeAdapterContract(
  title: string,
  makeHarness: () => Promise<ContractHarness>,
  describeFn: typeof describe | typeof describe.skip = describe,
): void {
  describeFn(title, () => {
    let h: ContractHarness;
    beforeEach(async () => { h = await makeHarness(); });
    afterEach(async () => {
      await h.cleanup?.();
      await h.backend.close();
    });
    const adapter = (model: string) => h.backend.adapterFor(model);

    it('pings and prepares', async () => {
      await expect(h.backend.ping()).resolves.toBeUndefined();
      await expect(h.backend.prepare()).resolves.toBeUndefined();
    });

    it('round-trips a payload unchanged (empty arrays, large integers, nested objects, unicode)', async () => {
      const payload: AdapterPayload = {
        kind: 'AccessToken', jti: id(), accountId: 'ä-😀', scope: 'openid', amr: [],
        iat: 1_700_000_000, exp: Number.MAX_SAFE_INTEGER, extra: { nested: { list: [1, 'two', {}] } },
      };
      await adapter('AccessToken').upsert(payload.jti!, payload, 60);
      expect(await adapter('AccessToken').find(payload.jti!)).toEqual(payload);
    });

    it('answers undefined for unknown ids, uids and user codes', async () => {
      await expect(adapter('Session').find(id())).resolves.toBeUndefined();
      await expect(adapter('Session').findByUid(id())).resolves.toBeUndefined();
      await expect(adapter('DeviceCode').findByUserCode(id())).resolves.toBeUndefined();
    });

    it('keeps models apart: the same id in two models is two entries', async () => {
      const key = id();
      await adapter('AccessToken').upsert(key, { kind: 'AccessToken' }, 60);
      expect(await adapter('AuthorizationCode').find(key)).toBeUndefined();
    });

    it('returns copies: mutating a found payload does not change what is stored', async () => {
      const key = id();
      const payload: AdapterPayload = { kind: 'Session', uid: id(), amr: ['pwd'] };
      await adapter('Session').upsert(key, payload, 60);
      payload.amr!.push('mutated-input');
      const found = (await adapter('Session').find(key))!;
      found.amr!.push('mutated-output');
      expect((await adapter('Session').find(key))!.amr).toEqual(['pwd']);
    });

    it('upsert overwrites the payload, its consumed mark and its uid index', async () => {
      const key = id();
      const [uid1, uid2] = [id(), id()];
      const sessions = adapter('Session');
      await sessions.upsert(key, { kind: 'Session', uid: uid1, accountId: 'a' }, 60);
      await sessions.consume(key);
      await sessions.upsert(key, { kind: 'Session', uid: uid2, accountId: 'b' }, 60);
      expect(await sessions.find(key)).toEqual({ kind: 'Session', uid: uid2, accountId: 'b' });
      expect(await sessions.findByUid(uid1)).toBeUndefined();
      expect(await sessions.findByUid(uid2)).toMatchObject({ accountId: 'b' });
    });

    it('does not find an entry, or its uid / user code, once expiresIn has passed', async () => {
      const [session, device, client] = [id(), id(), id()];
      const uid = id();
      const userCode = `UC-${id()}`;
      await adapter('Session').upsert(session, { kind: 'Session', uid }, 1);
      await adapter('DeviceCode').upsert(device, { kind: 'DeviceCode', userCode }, 1);
      await adapter('Client').upsert(client, { client_id: client });
      expect(await adapter('Session').find(session)).toBeDefined();
      await h.advance(1.1);
      expect(await adapter('Session').find(session)).toBeUndefined();
      expect(await adapter('Session').findByUid(uid)).toBeUndefined();
      expect(await adapter('DeviceCode').findByUserCode(userCode)).toBeUndefined();
      await expect(adapter('DeviceCode').consume(device)).rejects.toBeInstanceOf(ConsumeConflictError);
      expect(await adapter('Client').find(client)).toEqual({ client_id: client });
    });

    it('finds a Session by uid and a DeviceCode by userCode', async () => {
      const [session, device] = [id(), id()];
      const uid = id();
      const userCode = `UC-${id()}`;
      await adapter('Session').upsert(session, { kind: 'Session', uid, accountId: 'acc' }, 60);
      await adapter('DeviceCode').upsert(device, { kind: 'DeviceCode', userCode, grantId: 'g' }, 60);
      expect(await adapter('Session').findByUid(uid)).toEqual({ kind: 'Session', uid, accountId: 'acc' });
      expect(await adapter('DeviceCode').findByUserCode(userCode)).toEqual({ kind: 'DeviceCode', userCode, grantId: 'g' });
    });

    it('destroy removes the entry and its uid / userCode indexes', async () => {
      const [session, device] = [id(), id()];
      const uid = id();
      const userCode = `UC-${id()}`;
      await adapter('Session').upsert(session, { kind: 'Session', uid }, 60);
      await adapter('DeviceCode').upsert(device, { kind: 'DeviceCode', userCode }, 60);
      await adapter('Session').destroy(session);
      await adapter('DeviceCode').destroy(device);
      await adapter('Session').destroy(id()); // unknown id: no error
      expect(await adapter('Session').find(session)).toBeUndefined();
      expect(await adapter('Session').findByUid(uid)).toBeUndefined();
      expect(await adapter('DeviceCode').find(device)).toBeUndefined();
      expect(await adapter('DeviceCode').findByUserCode(userCode)).toBeUndefined();
    });

    it('revokeByGrantId removes that grant\'s tokens of every model and nothing else', async () => {
      const [g1, g2] = [id(), id()];
      const userCode = `UC-${id()}`;
      const mine = [
        ['AccessToken', id(), {}], ['RefreshToken', id(), {}], ['AuthorizationCode', id(), {}],
        ['DeviceCode', id(), { userCode }], ['BackchannelAuthenticationRequest', id(), {}],
      ] as const;
      for (const [model, key, extra] of mine) await adapter(model).upsert(key, { kind: model, grantId: g1, ...extra }, 60);
      const others = [['AccessToken', id()], ['RefreshToken', id()]] as const;
      for (const [model, key] of others) await adapter(model).upsert(key, { kind: model, grantId: g2 }, 60);
      await adapter('Grant').upsert(g1, { kind: 'Grant', accountId: 'acc' }, 60);

      await adapter('AccessToken').revokeByGrantId(g1);

      for (const [model, key] of mine) expect(await adapter(model).find(key)).toBeUndefined();
      expect(await adapter('DeviceCode').findByUserCode(userCode)).toBeUndefined();
      for (const [model, key] of others) expect(await adapter(model).find(key)).toMatchObject({ grantId: g2 });
      // The Grant itself is destroyed separately (oidc-provider lib/helpers/revoke.js).
      expect(await adapter('Grant').find(g1)).toMatchObject({ accountId: 'acc' });
      await expect(adapter('AccessToken').revokeByGrantId(id())).resolves.toBeUndefined();
    });

    it('consume marks the entry consumed (epoch seconds), visible to find', async () => {
      const key = id();
      const before = Math.floor(Date.now() / 1000) - 1;
      await adapter('AuthorizationCode').upsert(key, { kind: 'AuthorizationCode', grantId: 'g', scope: 'openid' }, 60);
      await adapter('AuthorizationCode').consume(key);
      const found = await adapter('AuthorizationCode').find(key);
      expect(found).toMatchObject({ kind: 'AuthorizationCode', grantId: 'g', scope: 'openid' });
      expect(typeof found?.consumed).toBe('number');
      expect(found?.consumed).toBeGreaterThanOrEqual(before);
      expect(found?.consumed).toBeLessThanOrEqual(Math.floor(Date.now() / 1000) + 5);
    });

    it('consume twice, or of an unknown id, rejects with ConsumeConflictError', async () => {
      const key = id();
      const codes = adapter('RefreshToken');
      await codes.upsert(key, { kind: 'RefreshToken', grantId: 'grant-7' }, 60);
      await codes.consume(key);
      const second = await codes.consume(key).catch((e: unknown) => e);
      expect(second).toBeInstanceOf(ConsumeConflictError);
      expect(second).toMatchObject({ model: 'RefreshToken', grantId: 'grant-7' });
      const unknown = await codes.consume(id()).catch((e: unknown) => e);
      expect(unknown).toBeInstanceOf(ConsumeConflictError);
      expect(unknown).toMatchObject({ model: 'RefreshToken', grantId: undefined });
    });

    it('of 20 parallel consume() calls on one id exactly one succeeds', async () => {
      const key = id();
      await adapter('AuthorizationCode').upsert(key, { kind: 'AuthorizationCode', grantId: 'g' }, 60);
      const results = await Promise.allSettled(
        Array.from({ length: 20 }, () => h.backend.adapterFor('AuthorizationCode').consume(key)),
      );
      const rejected = results.filter((r) => r.status === 'rejected');
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      expect(rejected).toHaveLength(19);
      for (const r of rejected) expect(r.reason).toBeInstanceOf(ConsumeConflictError);
    });
  });
}
