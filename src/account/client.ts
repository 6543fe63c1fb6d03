import type { StoredClient } from '../stores/client-directory.ts';

/** The first-party client the account pages sign people in through (see session.ts). */
export const ACCOUNT_CLIENT_ID = 'gatehouse-account';
export const ACCOUNT_CALLBACK_PATH = '/account/callback';

/**
 * Its metadata, saved at every start (server.ts) so it exists in every deployment,
 * whatever the seed holds. A public client (no secret: it never redeems a code), code
 * flow only, `openid` only, and first-party, so signing in to the account pages shows no
 * consent page. The redirect URI is exact (RFC 9700 §2.1).
 */
export function accountClient(issuer: string, productName: string): StoredClient {
  return {
    client_id: ACCOUNT_CLIENT_ID,
    client_name: `${productName} account`,
    first_party: true,
    redirect_uris: [`${issuer}${ACCOUNT_CALLBACK_PATH}`],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'none',
    scope: 'openid',
  };
}
