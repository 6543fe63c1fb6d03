import type { Configuration, KoaContextWithOIDC } from 'oidc-provider';

import { describeScope } from './scopes.ts';
import type { Render } from './views.ts';
import type { MessageKey } from '../i18n/index.ts';

type DeviceFlow = NonNullable<NonNullable<Configuration['features']>['deviceFlow']>;
export type DeviceFlowPages = Required<Pick<DeviceFlow, 'userCodeInputSource' | 'userCodeConfirmSource' | 'successSource'>>;

/**
 * What the person is told when the code they typed cannot be used. node-oidc-provider
 * re-renders the entry page with one of its ReRenderErrors (lib/helpers/re_render_errors.js),
 * told apart by class name; any other error (a form whose xsrf secret no longer matches
 * the session) gets the generic message.
 */
const CODE_ERRORS: Readonly<Record<string, MessageKey>> = {
  NoCodeError: 'device.error.noCode',
  NotFoundError: 'device.error.notFound',
  ExpiredError: 'device.error.expired',
  AlreadyUsedError: 'device.error.alreadyUsed',
};
export const FORM_EXPIRED: MessageKey = 'device.error.formExpired';

/**
 * The xsrf secret node-oidc-provider keeps in the session for the device forms
 * (lib/shared/xsrf.js): it is set before any of these pages is rendered. Gatehouse draws
 * its own forms rather than the provider's HTML (`form`), which has an inline event
 * handler the Content-Security-Policy refuses and no label.
 */
function xsrfOf(ctx: KoaContextWithOIDC): string {
  const state = ctx.oidc.session?.state as { secret?: unknown } | undefined;
  return typeof state?.secret === 'string' ? state.secret : '';
}

const clientName = (ctx: KoaContextWithOIDC) => ctx.oidc.client?.clientName ?? ctx.oidc.client?.clientId ?? '';

/**
 * The person's side of the device authorization grant (RFC 8628 §3.3): enter the user
 * code, confirm the device, and the result. Sign-in and consent in between are the normal
 * interaction pages (interactions/router.ts): node-oidc-provider routes the device flow
 * through them and back to `/device/<uid>`.
 */
export function deviceFlowPages(render: Render): DeviceFlowPages {
  return {
    async userCodeInputSource(ctx, _form, _out, err) {
      const page = ctx as never;
      // The person denied at the consent page or cancelled sign-in (an AbortedError), or
      // pressed "Deny" on the confirmation page: the device's next poll gets access_denied.
      if (err?.name === 'AbortedError') {
        ctx.status = 200;
        return render(page, 'device-denied', {});
      }
      let errorKey: MessageKey | undefined;
      let xsrf = xsrfOf(ctx);
      if (err) {
        errorKey = CODE_ERRORS[err.name] ?? FORM_EXPIRED;
        ctx.status = 400;
        // A form posted with no stored session (it expired, or the store restarted): the
        // provider's error path has just put a fresh xsrf secret on a session that was
        // never saved, and persisting that one fails (node-oidc-provider 9.x,
        // ensureSessionSave). Leave it unsaved and offer a link to a fresh form instead.
        const session = ctx.oidc.session as unknown as { exp?: unknown; touched?: boolean } | undefined;
        if (session && typeof session.exp !== 'number') {
          session.touched = false;
          xsrf = '';
        }
      }
      const typed = (err as { userCode?: unknown } | undefined)?.userCode;
      await render(page, 'device-input', {
        action: ctx.oidc.urlFor('code_verification'), xsrf, errorKey,
        userCode: typeof typed === 'string' ? typed : '',
      });
    },

    // RFC 8628 §5.4 (remote phishing): someone may have started the flow on their own
    // device and sent the person the code. The page names the registered client (never
    // anything the device said about itself, such as its User-Agent, which an attacker
    // chooses) and asks whether the device is in front of them.
    async userCodeConfirmSource(ctx, _form, client, _deviceInfo, userCode) {
      const scope = ctx.oidc.deviceCode?.params?.['scope'];
      await render(ctx as never, 'device-confirm', {
        action: ctx.oidc.urlFor('code_verification'), xsrf: xsrfOf(ctx), userCode,
        clientName: client.clientName ?? client.clientId,
        scopes: (typeof scope === 'string' ? scope.split(' ').filter(Boolean) : []).map(describeScope),
      });
    },

    async successSource(ctx) {
      await render(ctx as never, 'device-success', { clientName: clientName(ctx) });
    },
  };
}
