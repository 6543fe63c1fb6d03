import { ADMIN_SCOPES } from '../../../src/admin/scopes.ts';
import { createRoles } from '../../../src/security/roles.ts';

describe('roles', () => {
  const roles = createRoles();

  test('admin: every tenant scope, never organizations:write or keys:*', () => {
    const admin = roles.scopesOf('admin');
    expect(admin).toContain('admin:accounts:write');
    expect(admin).toContain('admin:organizations:read');
    expect(admin).toContain('admin:api-keys:write');
    for (const platformOnly of ['admin:organizations:write', 'admin:keys:read', 'admin:keys:write']) expect(admin).not.toContain(platformOnly);
    expect(admin).toHaveLength(ADMIN_SCOPES.length - 3);
  });

  test('member: the read scopes plus making API keys; readonly: the read scopes', () => {
    const reads = roles.scopesOf('readonly');
    expect(reads.every((s) => s.endsWith(':read'))).toBe(true);
    expect(reads).toContain('admin:accounts:read');
    expect(reads).not.toContain('admin:keys:read');
    expect(roles.scopesOf('member').sort()).toEqual([...reads, 'admin:api-keys:write'].sort());
  });

  test('an unknown role has no scopes; names lists the built-in ones', () => {
    expect(roles.has('owner')).toBe(false);
    expect(roles.scopesOf('owner')).toEqual([]);
    expect(roles.names).toEqual(['admin', 'member', 'readonly']);
  });

  test('custom roles add to the built-in ones, and are checked at creation', () => {
    const custom = createRoles({ auditor: ['admin:grants:read', 'admin:accounts:read'] });
    expect(custom.has('auditor')).toBe(true);
    expect(custom.scopesOf('auditor')).toEqual(['admin:grants:read', 'admin:accounts:read']);
    expect(() => createRoles({ admin: [] })).toThrow('role "admin" is built in and cannot be redefined');
    expect(() => createRoles({ boss: ['admin:organizations:write'] })).toThrow('role "boss": "admin:organizations:write" is not an admin scope an organization role may have');
    expect(() => createRoles({ 'Bad Name': [] })).toThrow(/role name "Bad Name" must match/);
  });

  test('returned scope lists are copies', () => {
    roles.scopesOf('admin').push('x');
    expect(roles.scopesOf('admin')).not.toContain('x');
  });
});
