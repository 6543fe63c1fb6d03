import type { X509Certificate } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';

import type { Configuration, KoaContextWithOIDC } from 'oidc-provider';

import type { MtlsConfig } from './mtls-config.ts';
import { certificateFromHeader, derToPem, subjectMatches, type SubjectProperty } from './mtls-certificate.ts';

type Features = NonNullable<Configuration['features']>;
type ClientAuthMethod = 'tls_client_auth' | 'self_signed_tls_client_auth';

/** What nginx `$ssl_client_verify` (and HAProxy's equivalent set by an operator) says for a chain it checked. */
const VERIFIED = 'SUCCESS';

/**
 * `tls_client_auth` (RFC 8705 §2.1) needs a chain someone checked against trusted CAs:
 * TLS_CA_FILE on Gatehouse's own listener, or MTLS_VERIFIED_HEADER from the proxy.
 * `self_signed_tls_client_auth` (§2.2) needs only the certificate: it is compared with the
 * ones the client registered in its JWKS (`x5c`).
 */
export function mtlsClientAuthMethods(config: MtlsConfig): ClientAuthMethod[] {
  if (!config.enabled) return [];
  return canVerifyChains(config) ? ['tls_client_auth', 'self_signed_tls_client_auth'] : ['self_signed_tls_client_auth'];
}

const canVerifyChains = (config: MtlsConfig) => (config.certHeader ? config.verifiedHeader !== undefined : config.tls?.caFile !== undefined);

/**
 * node-oidc-provider's `features.mTLS` with the three hooks it calls: where the client
 * certificate is, whether its chain was verified, and whether it names the subject the
 * client registered. Certificate-bound access tokens (§3): a client registered with
 * `tls_client_certificate_bound_access_tokens: true` gets tokens carrying `cnf.x5t#S256`,
 * usable only with that certificate (userinfo checks it; introspection shows it, §3.2).
 */
export function mtls(config: MtlsConfig): Pick<Features, 'mTLS'> {
  if (!config.enabled) return { mTLS: { enabled: false } };
  const certificateOf = createCertificateReader(config);
  return {
    mTLS: {
      enabled: true,
      certificateBoundAccessTokens: true,
      selfSignedTlsClientAuth: true,
      tlsClientAuth: canVerifyChains(config),
      getCertificate: (ctx) => {
        const cert = certificateOf(ctx.req);
        return cert ? derToPem(cert.raw) : undefined;
      },
      certificateAuthorized: (ctx) => chainVerified(config, ctx),
      certificateSubjectMatches: (ctx, property, expected) => {
        const cert = certificateOf(ctx.req);
        return cert !== undefined && subjectMatches(cert, property as SubjectProperty, expected);
      },
    },
  };
}

/**
 * The header, when MTLS_CERT_HEADER is set (config insists on TRUST_PROXY > 0 then);
 * else the certificate the client presented on Gatehouse's own TLS listener. Read once
 * per request: the provider asks several times (authentication, then binding).
 */
function createCertificateReader(config: MtlsConfig): (req: IncomingMessage) => X509Certificate | undefined {
  const seen = new WeakMap<IncomingMessage, X509Certificate | null>();
  const read = (req: IncomingMessage): X509Certificate | undefined => {
    if (config.certHeader) return certificateFromHeader(req.headers[config.certHeader]);
    const socket = req.socket as Partial<TLSSocket>;
    if (typeof socket.getPeerX509Certificate !== 'function') return undefined;
    return socket.getPeerX509Certificate() ?? undefined;
  };
  return (req) => {
    if (!seen.has(req)) seen.set(req, read(req) ?? null);
    return seen.get(req) ?? undefined;
  };
}

/**
 * The own listener asks for a certificate without refusing unverified ones
 * (`rejectUnauthorized: false`), so that self-signed certificates can authenticate too;
 * `socket.authorized` then says whether the chain leads to TLS_CA_FILE.
 */
function chainVerified(config: MtlsConfig, ctx: KoaContextWithOIDC): boolean {
  if (config.certHeader) return config.verifiedHeader !== undefined && ctx.req.headers[config.verifiedHeader] === VERIFIED;
  return (ctx.req.socket as Partial<TLSSocket>).authorized === true;
}
