import { adminChangeEvent } from '../../../src/audit/admin-change.ts';
import { isSecretName, redactSecrets } from '../../../src/audit/redact.ts';
import type { Principal } from '../../../src/admin/principal.ts';

const platform: Principal = {
  subject: { type: 'account', id: 'root' }, orgId: undefined, scopes: new Set(), expiresAt: undefined, via: 'api_key', keyId: 'k1',
};

describe('redaction by field name', () => {
  test.each(['client_secret', 'secret', 'password', 'password_confirm', 'refresh_token', 'access_token', 'token', 'key', 'api_key', 'url', 'code', 'code_verifier', 'client_secret_previous', 'hash'])(
    '%s is a secret', (name) => expect(isSecretName(name)).toBe(true),
  );
  test.each(['client_id', 'token_endpoint_auth_method', 'access_token_ttl', 'access_token_format', 'redirect_uris', 'key_id', 'scopes', 'org_id', 'jwks_uri'])(
    '%s is not', (name) => expect(isSecretName(name)).toBe(false),
  );

  test('walks arrays and objects; dates become ISO strings; functions and undefined go', () => {
    expect(redactSecrets({ a: [{ secret: 's', ok: 1 }], when: new Date(0), f: () => 1, u: undefined, s: new Set(['x']) }))
      .toEqual({ a: [{ secret: '[redacted]', ok: 1 }], when: '1970-01-01T00:00:00.000Z', s: ['x'] });
  });
});

describe('admin.change events', () => {
  const create = { method: 'post' as const, path: '/clients', operationId: 'createClient' };

  test('a creation names the caller, the new object and its organization', () => {
    const event = adminChangeEvent(create, {}, platform, '10.0.0.1', { status: 201, body: { client_id: 'abc', org_id: 'o1', client_secret: 'x' } });
    expect(event).toEqual({
      type: 'admin.change', actor: 'root', orgId: 'o1', ip: '10.0.0.1', target: '/clients/abc',
      details: { operation: 'createClient', method: 'POST', actor_type: 'account', via: 'api_key', api_key_id: 'k1', after: { client_id: 'abc', org_id: 'o1', client_secret: 'x' } },
    });
    // (the sink strips client_secret: redact.ts)
  });

  test('a change to an existing object targets it with its parameters; a deletion keeps `before` only', () => {
    const patch = adminChangeEvent({ method: 'delete', path: '/organizations/{id}/webhooks/{webhookId}', operationId: 'deleteWebhook' },
      { id: 'o 1', webhookId: 'wh_1' }, { ...platform, orgId: 'o 1' }, '::1', { status: 204, audit: { before: { id: 'wh_1' } } });
    expect(patch).toMatchObject({ target: '/organizations/o%201/webhooks/wh_1', orgId: 'o 1', details: { before: { id: 'wh_1' } } });
    expect(patch.details).not.toHaveProperty('after');
  });

  test('an action on an object does not take the answer\'s id as a new object', () => {
    const rotate = adminChangeEvent({ method: 'post', path: '/api-keys/{id}:rotate', operationId: 'rotateApiKey' }, { id: 'k1' }, platform, '::1', { status: 201, body: { id: 'k2' } });
    expect(rotate.target).toBe('/api-keys/k1:rotate');
  });
});

test('a parameter that is not well-formed UTF-16 still makes an event', () => {
  const event = adminChangeEvent({ method: 'delete', path: '/clients/{id}', operationId: 'deleteClient' }, { id: 'a\uD800b' }, platform, '::1', { status: 204 });
  expect(event.target).toBe('/clients/a%EF%BF%BDb');
});
