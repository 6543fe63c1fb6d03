import type { Context } from 'koa';
import type { Client } from 'oidc-provider';

import { presentClient } from '../../../src/interactions/client-presentation.ts';

/** Just enough of a Koa context: the response headers setSecurityHeaders would have set. */
function contextWithPolicy(policy = "default-src 'none'; img-src 'self' data:; frame-ancestors 'none'") {
  const headers = new Map<string, string>([['Content-Security-Policy', policy]]);
  const ctx = { response: { get: (name: string) => headers.get(name) ?? '' }, set: (name: string, value: string) => headers.set(name, value) };
  return { ctx: ctx as unknown as Context, policy: () => headers.get('Content-Security-Policy') };
}

const client = (metadata: Record<string, string>) => ({
  clientName: metadata.client_name, logoUri: metadata.logo_uri, policyUri: metadata.policy_uri, tosUri: metadata.tos_uri,
}) as unknown as Client;

describe('how the login and consent pages present the app', () => {
  test('an https logo is shown and its origin, only, is added to img-src for this response', () => {
    const { ctx, policy } = contextWithPolicy();
    const shown = presentClient(ctx, client({ client_name: 'Shop', logo_uri: 'https://cdn.shop.example:8443/img/logo.png?v=2' }), 'shop');
    expect(shown).toEqual({ name: 'Shop', logoUri: 'https://cdn.shop.example:8443/img/logo.png?v=2' });
    expect(policy()).toBe("default-src 'none'; img-src 'self' data: https://cdn.shop.example:8443; frame-ancestors 'none'");
  });

  test('a logo over http, javascript: or data: is left out, and the policy is untouched', () => {
    for (const logo of ['http://shop.example/logo.png', 'javascript:alert(1)', 'data:image/svg+xml,<svg/>']) {
      const { ctx, policy } = contextWithPolicy();
      expect(presentClient(ctx, client({ client_name: 'Shop', logo_uri: logo }), 'shop')).toEqual({ name: 'Shop' });
      expect(policy()).toBe("default-src 'none'; img-src 'self' data:; frame-ancestors 'none'");
    }
  });

  test('policy and terms links must be http(s); without a name the client id is shown', () => {
    const { ctx } = contextWithPolicy();
    expect(presentClient(ctx, client({ policy_uri: 'javascript:alert(1)', tos_uri: 'https://shop.example/terms' }), 'shop'))
      .toEqual({ name: 'shop', tosUri: 'https://shop.example/terms' });
    expect(presentClient(ctx, undefined, 'gone')).toEqual({ name: 'gone' });
  });
});
