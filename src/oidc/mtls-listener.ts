import { readFileSync } from 'node:fs';
import type { ServerOptions } from 'node:https';

import { ConfigError } from '../config/env.ts';
import type { MtlsConfig } from './mtls-config.ts';

function read(file: string, variable: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new ConfigError(`${variable}: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

/**
 * Options for Gatehouse's own https listener (TLS_CERT_FILE, TLS_KEY_FILE). It asks every
 * client for a certificate but lets the handshake finish without one, or with one no CA
 * vouches for: most requests (browsers, public clients) have none, and
 * `self_signed_tls_client_auth` certificates are self-signed by design (RFC 8705 §2.2).
 * Whether a chain verified against TLS_CA_FILE is left to `tls_client_auth` (oidc/mtls.ts).
 */
export function tlsServerOptions(tls: NonNullable<MtlsConfig['tls']>): ServerOptions {
  return {
    cert: read(tls.certFile, 'TLS_CERT_FILE'),
    key: read(tls.keyFile, 'TLS_KEY_FILE'),
    ...(tls.caFile !== undefined && { ca: read(tls.caFile, 'TLS_CA_FILE') }),
    requestCert: true,
    rejectUnauthorized: false,
  };
}
