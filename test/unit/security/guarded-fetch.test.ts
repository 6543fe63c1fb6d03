import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { guardedFetch } from '../../../src/http/guarded-fetch.ts';
import { SsrfRefusedError } from '../../../src/security/ssrf.ts';

/** A loopback listener standing for a relying party's JWKS endpoint; it counts every connection. */
async function jwksServer() {
  const seen = { connections: 0 };
  const server: Server = createServer((req, res) => {
    if (req.url === '/moved') {
      res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' }).end();
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'max-age=300' });
      res.end(JSON.stringify({ keys: [], method: req.method, body: Buffer.concat(chunks).toString(), accept: req.headers.accept }));
    });
  });
  server.on('connection', () => { seen.connections += 1; });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { seen, port, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

describe("guardedFetch (node-oidc-provider's fetch for client URLs)", () => {
  let rp: Awaited<ReturnType<typeof jwksServer>>;
  beforeAll(async () => { rp = await jwksServer(); });
  afterAll(() => rp.close());

  test('strict by default: a loopback URL is refused before anything connects', async () => {
    await expect(guardedFetch()(`http://127.0.0.1:${rp.port}/jwks`)).rejects.toThrow(SsrfRefusedError);
    expect(rp.seen.connections).toBe(0);
  });

  test('CLIENT_URLS_ALLOW_PRIVATE: a loopback URL is fetched, and the answer reads like any fetch Response', async () => {
    const fetch = guardedFetch({ policy: { allowPrivate: true, allowedCidrs: [] } });
    const res = await fetch(`http://127.0.0.1:${rp.port}/jwks`, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(2500) });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('max-age=300');
    expect(await res.json()).toEqual({ keys: [], method: 'GET', body: '', accept: 'application/json' });
    const posted = await fetch(`http://127.0.0.1:${rp.port}/`, { method: 'POST', body: new URLSearchParams({ a: 'b' }) });
    expect(await posted.json()).toMatchObject({ method: 'POST', body: 'a=b' });
  });

  test('opened, link-local (the cloud metadata service) stays refused', async () => {
    const fetch = guardedFetch({ policy: { allowPrivate: true, allowedCidrs: [] } });
    await expect(fetch('http://169.254.169.254/latest/meta-data/')).rejects.toThrow(SsrfRefusedError);
  });

  test('opened, a redirect is the answer, not followed', async () => {
    const res = await guardedFetch({ policy: { allowPrivate: true, allowedCidrs: [] } })(`http://127.0.0.1:${rp.port}/moved`);
    expect(res.status).toBe(302);
  });

  test('opened, the connection is checked too: a name that was public when checked and resolves to loopback on connect is refused', async () => {
    const before = rp.seen.connections;
    // Only 10.0.0.0/8 is opened; "localhost" passes the check before connecting (the
    // resolver says it is public) and then resolves to loopback (DNS rebinding).
    const fetch = guardedFetch({ policy: { allowPrivate: false, allowedCidrs: ['10.0.0.0/8'] }, resolve: async () => ['93.184.215.14'] });
    await expect(fetch(`http://localhost:${rp.port}/jwks`)).rejects.toMatchObject({ code: 'ESSRF' });
    expect(rp.seen.connections).toBe(before);
  });
});
