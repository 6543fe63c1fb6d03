import type { KoaContextWithOIDC } from 'oidc-provider';

import type { ProviderPages } from '../oidc/provider.ts';
import type { Render } from './views.ts';

/**
 * The pages node-oidc-provider renders itself (errors it cannot redirect, the logout
 * confirmation and its result), drawn with Gatehouse's templates. Error pages show the
 * error code and description only: never a stack trace (RFC 6749 §4.1.2.1 forbids
 * redirecting to an unverified redirect_uri, so these errors must be shown here).
 */
export function createProviderPages(render: Render): ProviderPages {
  return {
    async renderError(ctx, out) {
      await render(ctx as never, 'error', { error: out.error, description: out.error_description ?? '' });
    },
    async logoutSource(ctx: KoaContextWithOIDC, form: string) {
      const client = ctx.oidc.client;
      await render(ctx as never, 'logout', {
        form, host: ctx.host, clientName: client ? client.clientName ?? client.clientId : undefined,
        // RP-Initiated Logout 1.0 §2: the end-user's preferred languages for this page.
        uiLocales: ctx.oidc.params?.ui_locales,
      });
    },
    async postLogoutSuccessSource(ctx: KoaContextWithOIDC) {
      const client = ctx.oidc.client;
      await render(ctx as never, 'logged-out', {
        clientName: client ? client.clientName ?? client.clientId : undefined,
      });
    },
  };
}
