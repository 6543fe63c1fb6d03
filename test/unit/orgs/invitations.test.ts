import { createInvitationService } from '../../../src/security/invitations.ts';
import { createPasswordHasher } from '../../../src/security/passwords.ts';
import { createMemoryAccountStore, NO_PASSWORD } from '../../../src/stores/accounts.ts';
import { createMemoryInvitationStore, type Invitation, type InvitationStore } from '../../../src/stores/invitations.ts';
import { createMemoryMembershipStore } from '../../../src/stores/memberships.ts';

const ISSUER = 'https://id.example';
const PEPPER = 'a-test-pepper-of-at-least-32-bytes-long';

describe('invitation service', () => {
  let clock: Date;
  let inserted: Invitation[];
  async function setup() {
    clock = new Date('2030-01-01T00:00:00Z');
    inserted = [];
    const accounts = createMemoryAccountStore();
    const memberships = createMemoryMembershipStore();
    const inner = createMemoryInvitationStore();
    // Watches what is persisted, to check that the token itself never is.
    const store: InvitationStore = { ...inner, insert: async (i) => { inserted.push(i); return inner.insert(i); } };
    const passwords = createPasswordHasher({ memoryCost: 1024, timeCost: 1, parallelism: 1 });
    const service = createInvitationService({ store, accounts, memberships, passwords, pepper: PEPPER, issuer: ISSUER, now: () => clock });
    const account = await accounts.create({ email: 'new@example.com', name: 'New', passwordHash: NO_PASSWORD });
    return { accounts, memberships, service, account, passwords };
  }
  const tokenOf = (url: string) => url.slice(`${ISSUER}/invitations/`.length);

  test('a link carries 256 random bits, expires in 7 days, and only its keyed hash is stored', async () => {
    const { service, account } = await setup();
    const { url, expiresAt } = await service.issue({ accountId: account.id, orgId: 'o1', role: 'admin' });
    expect(url).toMatch(/^https:\/\/id\.example\/invitations\/[A-Za-z0-9_-]{43}$/);
    expect(expiresAt).toEqual(new Date('2030-01-08T00:00:00Z'));
    expect(JSON.stringify(inserted)).not.toContain(tokenOf(url));
    expect(inserted[0]!.tokenHash).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await service.open(tokenOf(url))).toMatchObject({ email: 'new@example.com', invitation: { orgId: 'o1', role: 'admin' } });
  });

  test('accepting sets the password, joins the organization, and works once', async () => {
    const { service, account, accounts, memberships, passwords } = await setup();
    const token = tokenOf((await service.issue({ accountId: account.id, orgId: 'o1', role: 'admin' })).url);
    await expect(service.accept(token, 'short')).resolves.toEqual({ ok: false, reason: 'policy', message: 'The password must be at least 8 characters.' });
    await expect(service.accept(token, 'a long enough passphrase')).resolves.toEqual({ ok: true, accountId: account.id });
    const after = await accounts.findById(account.id);
    await expect(passwords.verify(after!.passwordHash, 'a long enough passphrase')).resolves.toBe(true);
    expect(await memberships.find('o1', account.id)).toMatchObject({ role: 'admin' });
    await expect(service.accept(token, 'another long passphrase')).resolves.toEqual({ ok: false, reason: 'invalid' });
    await expect(service.open(token)).resolves.toBeUndefined();
  });

  test('a role changed while the link was pending stands', async () => {
    const { service, account, memberships } = await setup();
    const token = tokenOf((await service.issue({ accountId: account.id, orgId: 'o1', role: 'member' })).url);
    await memberships.put({ orgId: 'o1', accountId: account.id, role: 'readonly' });
    await service.accept(token, 'a long enough passphrase');
    expect(await memberships.find('o1', account.id)).toMatchObject({ role: 'readonly' });
  });

  test('expired, superseded, unknown and malformed links, and disabled accounts, are all just invalid', async () => {
    const { service, account, accounts } = await setup();
    const first = tokenOf((await service.issue({ accountId: account.id })).url);
    const second = tokenOf((await service.issue({ accountId: account.id })).url);
    await expect(service.open(first)).resolves.toBeUndefined();
    expect(await service.open(second)).toBeDefined();
    for (const token of ['A'.repeat(43), 'not a token', '']) await expect(service.open(token)).resolves.toBeUndefined();

    await accounts.setDisabled(account.id, clock);
    await expect(service.open(second)).resolves.toBeUndefined();
    await accounts.setDisabled(account.id, undefined);

    clock = new Date('2030-01-08T00:00:00Z');
    await expect(service.accept(second, 'a long enough passphrase')).resolves.toEqual({ ok: false, reason: 'invalid' });
  });

  test('an account that has a password cannot be taken over through a link', async () => {
    const { service, account, accounts } = await setup();
    const token = tokenOf((await service.issue({ accountId: account.id })).url);
    await accounts.update(account.id, { passwordHash: '$argon2id$already-set' });
    await expect(service.accept(token, 'attacker passphrase')).resolves.toEqual({ ok: false, reason: 'invalid' });
    expect((await accounts.findById(account.id))?.passwordHash).toBe('$argon2id$already-set');
  });

  test('two racing acceptances: exactly one wins', async () => {
    const { service, account } = await setup();
    const token = tokenOf((await service.issue({ accountId: account.id })).url);
    const results = await Promise.all([service.accept(token, 'first passphrase!'), service.accept(token, 'second passphrase!')]);
    expect(results.filter((r) => r.ok)).toHaveLength(1);
  });
});
