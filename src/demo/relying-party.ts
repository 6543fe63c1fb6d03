import * as oidc from 'openid-client';

/** What the demo keeps between sending the browser to /auth and its return (signed cookie). */
export interface PendingSignIn {
  state: string;
  nonce: string;
  verifier: string;
}

export interface SignInResult {
  /** The ID token's claims, verified by openid-client (signature, iss, aud, exp, nonce). */
  claims: Record<string, unknown>;
  /** The ID token's JOSE header: which key and algorithm signed it. */
  header: Record<string, unknown>;
  userinfo: Record<string, unknown>;
  scope: string | undefined;
  expiresIn: number | undefined;
  refreshToken: boolean;
}

export interface DemoRelyingParty {
  start(): Promise<{ url: URL; pending: PendingSignIn }>;
  /** Redeems the code on `callbackUrl` (state, PKCE, nonce checked); throws on any failure. */
  finish(callbackUrl: URL, pending: PendingSignIn): Promise<SignInResult>;
}

export interface DemoRelyingPartyOptions {
  issuer: string;
  clientId: string;
  redirectUri: string;
  scope: string;
}

/**
 * The `demo-app` client, played by the server itself: a real relying party, written as any
 * app would write it with openid-client (discovery, authorization code + PKCE S256, state
 * and nonce, ID token validation, userinfo). It reaches the issuer over HTTP like any
 * other client does, so the issuer URL must resolve from the server too (it does for
 * `http://localhost:$PORT`, the default). Development only: app.ts mounts it outside production.
 */
export function demoRelyingParty(options: DemoRelyingPartyOptions): DemoRelyingParty {
  let configuration: Promise<oidc.Configuration> | undefined;

  function discover(): Promise<oidc.Configuration> {
    configuration ??= oidc.discovery(new URL(options.issuer), options.clientId, undefined, oidc.None(), {
      // Development issuers are plain http (http://localhost:3000).
      execute: options.issuer.startsWith('http:') ? [oidc.allowInsecureRequests] : [],
    }).catch((err: unknown) => {
      configuration = undefined; // try discovery again next time
      throw err;
    });
    return configuration;
  }

  return {
    async start() {
      const config = await discover();
      const pending = { state: oidc.randomState(), nonce: oidc.randomNonce(), verifier: oidc.randomPKCECodeVerifier() };
      const url = oidc.buildAuthorizationUrl(config, {
        redirect_uri: options.redirectUri, scope: options.scope, state: pending.state, nonce: pending.nonce,
        code_challenge: await oidc.calculatePKCECodeChallenge(pending.verifier), code_challenge_method: 'S256',
      });
      return { url, pending };
    },

    async finish(callbackUrl, pending) {
      const config = await discover();
      const tokens = await oidc.authorizationCodeGrant(config, callbackUrl, {
        pkceCodeVerifier: pending.verifier, expectedState: pending.state, expectedNonce: pending.nonce, idTokenExpected: true,
      });
      const claims = tokens.claims()!;
      const userinfo = await oidc.fetchUserInfo(config, tokens.access_token, claims.sub);
      const header = JSON.parse(Buffer.from(tokens.id_token!.split('.')[0]!, 'base64url').toString('utf8')) as Record<string, unknown>;
      return {
        claims: { ...claims }, header, userinfo: { ...userinfo },
        scope: tokens.scope, expiresIn: tokens.expiresIn(), refreshToken: Boolean(tokens.refresh_token),
      };
    },
  };
}
