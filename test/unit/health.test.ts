import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import Koa from 'koa';

import { healthRouter, type Probe } from '../../src/observability/health.ts';

async function serve(probes: Probe[]): Promise<{ url: string; server: Server }> {
  const app = new Koa();
  app.use(healthRouter(probes, { timeoutMs: 200 }).routes());
  const server = createServer(app.callback());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

describe('health and readiness', () => {
  test('/healthz answers while the process lives; /readyz when every backend answers', async () => {
    const { url, server } = await serve([{ name: 'redis', ping: async () => undefined }]);
    try {
      expect(await (await fetch(`${url}/healthz`)).json()).toEqual({ status: 'ok' });
      const ready = await fetch(`${url}/readyz`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toEqual({ status: 'ok', checks: { redis: 'ok' } });
    } finally {
      server.close();
    }
  });

  test('/readyz is 503 naming a backend that fails or hangs', async () => {
    const { url, server } = await serve([
      { name: 'mongodb', ping: () => Promise.reject(new Error('down')) },
      { name: 'redis', ping: () => new Promise(() => undefined) },
    ]);
    try {
      const res = await fetch(`${url}/readyz`);
      expect(res.status).toBe(503);
      expect(await res.json()).toEqual({ status: 'unavailable', checks: { mongodb: 'unreachable', redis: 'unreachable' } });
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
    } finally {
      server.close();
    }
  });
});
