import { createMemoryAuditStore, newAuditEventId, type AuditEvent, type AuditStore } from '../../../src/stores/audit.ts';
import { createMongoAuditStore } from '../../../src/stores/audit-mongo.ts';
import { describeWithMongo, uniqueCollection } from '../stores/mongo.ts';

const DAY = 86_400_000;
const T0 = new Date('2030-01-01T00:00:00Z');

const event = (over: Partial<AuditEvent> & { time: Date }): AuditEvent => ({ id: newAuditEventId(), type: 'admin.change', ...over });

/** The same behaviour from every backend: filters, paging, retention. */
function describeAuditStoreContract(name: string, make: (clock: { now: Date }) => Promise<AuditStore>) {
  describe(name, () => {
    test('lists newest first with stable cursor pages', async () => {
      const clock = { now: T0 };
      const store = await make(clock);
      const events = Array.from({ length: 7 }, (_, i) => event({ time: new Date(T0.getTime() - (7 - i) * 1000), target: `t${i}` }));
      await store.append(events);
      const first = await store.list({ limit: 3 });
      expect(first.items.map((e) => e.target)).toEqual(['t6', 't5', 't4']);
      const second = await store.list({ limit: 3, cursor: first.nextCursor! });
      expect(second.items.map((e) => e.target)).toEqual(['t3', 't2', 't1']);
      const third = await store.list({ limit: 3, cursor: second.nextCursor! });
      expect(third.items.map((e) => e.target)).toEqual(['t0']);
      expect(third.nextCursor).toBeUndefined();
    });

    test('filters by type, actor, subject, client, organization and time range', async () => {
      const clock = { now: T0 };
      const store = await make(clock);
      const at = (s: number) => new Date(T0.getTime() - s * 1000);
      await store.append([
        event({ time: at(50), type: 'login.failed', subject: 'ada', orgId: 'o1', reason: 'invalid_credentials' }),
        event({ time: at(40), type: 'token.issued', actor: 'svc', clientId: 'svc', orgId: 'o1' }),
        event({ time: at(30), type: 'token.issued', actor: 'web', clientId: 'web', subject: 'ada', orgId: 'o2' }),
        event({ time: at(20), type: 'admin.change', actor: 'boss', orgId: 'o2' }),
      ]);
      const types = async (q: Parameters<AuditStore['list']>[0]) => (await store.list(q)).items.map((e) => `${e.type}@${e.orgId}`);
      expect(await types({ limit: 10, type: 'token.issued' })).toEqual(['token.issued@o2', 'token.issued@o1']);
      expect(await types({ limit: 10, actor: 'boss' })).toEqual(['admin.change@o2']);
      expect(await types({ limit: 10, subject: 'ada' })).toEqual(['token.issued@o2', 'login.failed@o1']);
      expect(await types({ limit: 10, clientId: 'svc' })).toEqual(['token.issued@o1']);
      expect(await types({ limit: 10, orgId: 'o1' })).toEqual(['token.issued@o1', 'login.failed@o1']);
      expect(await types({ limit: 10, since: at(40), until: at(20) })).toEqual(['token.issued@o2', 'token.issued@o1']);
      const stored = (await store.list({ limit: 1, type: 'login.failed' })).items[0]!;
      expect(stored).toMatchObject({ type: 'login.failed', subject: 'ada', orgId: 'o1', reason: 'invalid_credentials' });
      expect(stored.time).toEqual(at(50));
    });

    test('events older than the retention are gone, the others stay', async () => {
      const clock = { now: T0 };
      const store = await make(clock);
      await store.append([event({ time: T0, target: 'old' })]);
      clock.now = new Date(T0.getTime() + 60 * DAY);
      await store.append([event({ time: clock.now, target: 'newer' })]);
      expect((await store.list({ limit: 10 })).items.map((e) => e.target)).toEqual(['newer', 'old']);
      clock.now = new Date(T0.getTime() + 90 * DAY + 1);
      expect((await store.list({ limit: 10 })).items.map((e) => e.target)).toEqual(['newer']);
    });
  });
}

describeAuditStoreContract('memory audit store', async (clock) => createMemoryAuditStore({ retentionDays: 90, now: () => clock.now }));

test('the memory store prunes on write: an expired event is dropped, not just hidden', async () => {
  const clock = { now: T0 };
  const store = createMemoryAuditStore({ retentionDays: 1, now: () => clock.now, maxEvents: 3 });
  await store.append([event({ time: T0, target: 'a' })]);
  clock.now = new Date(T0.getTime() + 2 * DAY);
  await store.append([event({ time: clock.now, target: 'b' })]);
  // Turning the clock back shows what is still held: "a" was deleted by the write.
  clock.now = T0;
  expect((await store.list({ limit: 10 })).items.map((e) => e.target)).toEqual(['b']);
});

test('the memory store keeps about maxEvents, dropping the oldest in chunks', async () => {
  const store = createMemoryAuditStore({ retentionDays: 90, now: () => T0, maxEvents: 10 });
  const targets = (n: number, from = 0) => Array.from({ length: n }, (_, i) => event({ time: new Date(T0.getTime() - 1000 + from + i), target: `e${from + i}` }));
  await store.append(targets(11)); // the first write prunes (none before it): back to 10
  expect((await store.list({ limit: 100 })).items.map((e) => e.target).at(-1)).toBe('e1');
  await store.append(targets(1, 11)); // 11: within the slack of a tenth
  expect((await store.list({ limit: 100 })).items).toHaveLength(11);
  await store.append(targets(1, 12)); // 12: past it, cut to 10
  expect((await store.list({ limit: 100 })).items.map((e) => e.target)).toEqual(['e12', 'e11', 'e10', 'e9', 'e8', 'e7', 'e6', 'e5', 'e4', 'e3']);
});

test('the memory store prunes a late event (recorded before the last one stored) like any other', async () => {
  const clock = { now: T0 };
  const store = createMemoryAuditStore({ retentionDays: 1, now: () => clock.now });
  await store.append([event({ time: new Date(T0.getTime() + DAY), target: 'later' })]);
  await store.append([event({ time: T0, target: 'late' })]);
  clock.now = new Date(T0.getTime() + DAY + 60_000);
  await store.append([event({ time: clock.now, target: 'now' })]); // a minute since the last prune: prunes
  clock.now = T0; // turned back: what is still held shows
  expect((await store.list({ limit: 10 })).items.map((e) => e.target)).toEqual(['now', 'later']);
});

describeWithMongo('MongoDB audit store', (db) => {
  describeAuditStoreContract('contract', async (clock) => {
    const store = createMongoAuditStore(db(), { retentionDays: 90, now: () => clock.now, collection: uniqueCollection('audit_events') });
    await store.prepare();
    return store;
  });

  test('prepare() creates the retention TTL index, and updates it when the retention changes', async () => {
    const collection = uniqueCollection('audit_events');
    await createMongoAuditStore(db(), { retentionDays: 90, collection }).prepare();
    const ttl = async () => (await db().collection(collection).indexes()).find((i) => i.name === 'retention')?.expireAfterSeconds;
    expect(await ttl()).toBe(90 * 86_400);
    await createMongoAuditStore(db(), { retentionDays: 30, collection }).prepare();
    expect(await ttl()).toBe(30 * 86_400);
  });
});
