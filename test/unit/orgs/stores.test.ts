import { createMemoryAccountStore } from '../../../src/stores/accounts.ts';
import { createMongoAccountStore } from '../../../src/stores/accounts-mongo.ts';
import { createMemoryAccountAccessStore } from '../../../src/stores/account-access.ts';
import { createMongoAccountAccessStore } from '../../../src/stores/account-access-mongo.ts';
import { createMemoryInvitationStore } from '../../../src/stores/invitations.ts';
import { createMongoInvitationStore } from '../../../src/stores/invitations-mongo.ts';
import { createMemoryMembershipStore } from '../../../src/stores/memberships.ts';
import { createMongoMembershipStore } from '../../../src/stores/memberships-mongo.ts';
import { createMemoryOrganizationStore } from '../../../src/stores/organizations.ts';
import { createMongoOrganizationStore } from '../../../src/stores/organizations-mongo.ts';
import { describeWithMongo, uniqueCollection } from '../stores/mongo.ts';
import { describeAccountAdminContract } from './accounts-admin.contract.ts';
import {
  describeAccountAccessStoreContract, describeInvitationStoreContract, describeMembershipStoreContract, describeOrganizationStoreContract,
} from './tenancy-stores.contract.ts';

describeAccountAdminContract('memory account store (admin operations)', async () => createMemoryAccountStore());
describeOrganizationStoreContract('memory organization store', async () => createMemoryOrganizationStore());
describeMembershipStoreContract('memory membership store', async () => createMemoryMembershipStore());
describeInvitationStoreContract('memory invitation store', async () => createMemoryInvitationStore());
describeAccountAccessStoreContract('memory account access store', async () => createMemoryAccountAccessStore());

test('the memory account access store drops expired entries as an account piles them up, and keeps the live ones', async () => {
  let clock = 1_000_000;
  const store = createMemoryAccountAccessStore(() => new Date(clock));
  const at = (ms: number) => new Date(clock + ms);
  for (let i = 0; i < 500; i++) await store.record('a1', { kind: 'session', id: `old${i}`, expiresAt: at(1_000) });
  await store.record('a1', { kind: 'grant', id: 'kept', expiresAt: at(60_000) });
  clock += 2_000; // every old session has expired
  for (let i = 0; i < 500; i++) await store.record('a1', { kind: 'session', id: `new${i}`, expiresAt: at(1_000) });
  const live = await store.list('a1', new Date(clock));
  expect(live).toHaveLength(501);
  expect(live.some((e) => e.id === 'kept')).toBe(true);
  expect(live.some((e) => e.id.startsWith('old'))).toBe(false);
});

/** A fresh collection per test, prepared (indexes) as at start-up. */
const prepared = <S extends { prepare(): Promise<void> }>(make: (collection: string) => S, base: string) => async () => {
  const store = make(uniqueCollection(base));
  await store.prepare();
  return store;
};

describeWithMongo('MongoDB tenancy stores', (db) => {
  describeAccountAdminContract('accounts (admin operations)', prepared((collection) => createMongoAccountStore(db(), { collection }), 'accounts'));
  describeOrganizationStoreContract('organizations', prepared((collection) => createMongoOrganizationStore(db(), { collection }), 'organizations'));
  describeMembershipStoreContract('memberships', prepared((collection) => createMongoMembershipStore(db(), { collection }), 'memberships'));
  describeInvitationStoreContract('invitations', prepared((collection) => createMongoInvitationStore(db(), { collection }), 'invitations'));
  describeAccountAccessStoreContract('account access', prepared((collection) => createMongoAccountAccessStore(db(), { collection }), 'account_access'));
});
