import { ConfigError, readEnum, readString, type Env } from '../config/env.ts';

/**
 * Mutual TLS (RFC 8705; oidc/mtls.ts, docs/mtls.md). The client certificate comes either
 * from a header the TLS-terminating proxy sets, or from Gatehouse's own TLS listener.
 */
export interface MtlsConfig {
  readonly enabled: boolean;
  /** Lower-cased name of the header the proxy puts the client certificate in (URL-encoded PEM or base64 DER). */
  readonly certHeader: string | undefined;
  /** Lower-cased name of the header that says the proxy verified the chain (`SUCCESS`, as nginx `$ssl_client_verify`). */
  readonly verifiedHeader: string | undefined;
  /** Gatehouse's own https listener (asks every client for a certificate); CA file: the chains `tls_client_auth` trusts. */
  readonly tls: Readonly<{ certFile: string; keyFile: string; caFile: string | undefined }> | undefined;
}

const HEADER_NAME = /^[a-z0-9][a-z0-9-]{0,63}$/;

function readHeaderName(env: Env, name: string): string | undefined {
  const value = readString(env, name)?.toLowerCase();
  if (value !== undefined && !HEADER_NAME.test(value)) throw new ConfigError(`${name} must be an HTTP header name such as x-client-cert (got "${value}")`);
  return value;
}

/**
 * MTLS_CERT_HEADER is believed only behind a proxy (TRUST_PROXY > 0) that sets it on
 * every request: without one any caller could send someone else's certificate in it
 * (RFC 8705 §7.1: the binding is only as good as the certificate's provenance).
 * TLS_CERT_FILE / TLS_KEY_FILE are read at start-up (oidc/mtls-listener.ts).
 */
export function readMtls(env: Env, trustProxy: number): MtlsConfig {
  const enabled = readEnum(env, 'MTLS', ['off', 'on'], 'off') === 'on';
  const certHeader = readHeaderName(env, 'MTLS_CERT_HEADER');
  const verifiedHeader = readHeaderName(env, 'MTLS_VERIFIED_HEADER');
  const certFile = readString(env, 'TLS_CERT_FILE');
  const keyFile = readString(env, 'TLS_KEY_FILE');
  const caFile = readString(env, 'TLS_CA_FILE');
  if ((certFile === undefined) !== (keyFile === undefined)) throw new ConfigError('TLS_CERT_FILE and TLS_KEY_FILE must be set together');
  if (caFile !== undefined && certFile === undefined) throw new ConfigError('TLS_CA_FILE needs TLS_CERT_FILE and TLS_KEY_FILE');
  const tls = certFile !== undefined && keyFile !== undefined ? { certFile, keyFile, caFile } : undefined;
  if (verifiedHeader !== undefined && certHeader === undefined) throw new ConfigError('MTLS_VERIFIED_HEADER needs MTLS_CERT_HEADER');
  if (certHeader !== undefined && trustProxy === 0) {
    throw new ConfigError('MTLS_CERT_HEADER needs TRUST_PROXY of 1 or more: without a proxy that sets it, any caller could send the header');
  }
  if (enabled && certHeader === undefined && tls === undefined) {
    throw new ConfigError('MTLS=on needs MTLS_CERT_HEADER (behind a TLS-terminating proxy) or TLS_CERT_FILE and TLS_KEY_FILE (Gatehouse terminates TLS)');
  }
  return { enabled, certHeader, verifiedHeader, tls };
}
