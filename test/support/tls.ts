import { execFile } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface SelfSigned {
  /** The certificate's PEM file (what NODE_EXTRA_CA_CERTS names). */
  certFile: string;
  cert: string;
  key: string;
}

/**
 * A self-signed server certificate for 127.0.0.1 and localhost, made with the openssl CLI
 * (as an operator makes one for an internal service). It is its own trust anchor: whoever
 * is to trust the server adds this certificate, nothing else.
 */
export async function selfSignedCertificate(): Promise<SelfSigned> {
  const dir = await mkdtemp(join(tmpdir(), 'gatehouse-tls-'));
  const certFile = join(dir, 'rp.pem');
  const keyFile = join(dir, 'rp.key');
  await run('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2',
    '-keyout', keyFile, '-out', certFile, '-subj', '/CN=rp.internal', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
  ]);
  return { certFile, cert: await readFile(certFile, 'utf8'), key: await readFile(keyFile, 'utf8') };
}

export interface HttpsServer {
  /** `https://127.0.0.1:<port>` */
  origin: string;
  /** Paths requested so far, in order. */
  requests: string[];
  close(): Promise<void>;
}

/** An https listener on 127.0.0.1 with that certificate, standing for a relying party on a private network. */
export async function httpsServer(tls: SelfSigned, handle: (req: IncomingMessage, res: ServerResponse) => void): Promise<HttpsServer> {
  const requests: string[] = [];
  const server: Server = createServer({ cert: tls.cert, key: tls.key }, (req, res) => {
    requests.push(req.url ?? '');
    handle(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `https://127.0.0.1:${port}`,
    requests,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

/** Answers with a JSON document. */
export function sendJson(res: ServerResponse, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(200, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}
