import Router from '@koa/router';

export interface Probe {
  name: string;
  ping(): Promise<void>;
}

/**
 * `GET /healthz`: the process is alive and serving. `GET /readyz`: every configured
 * backend answers within the timeout; otherwise 503 naming the one that does not, so a
 * load balancer stops sending traffic to this node.
 */
export function healthRouter(probes: readonly Probe[], options: { timeoutMs: number } = { timeoutMs: 2000 }): Router {
  const router = new Router();
  router.get('/healthz', function liveness(ctx) {
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { status: 'ok' };
  });
  router.get('/readyz', async function readiness(ctx) {
    const results = await Promise.all(probes.map(async (probe) => {
      try {
        await withTimeout(probe.ping(), options.timeoutMs);
        return [probe.name, 'ok'] as const;
      } catch {
        return [probe.name, 'unreachable'] as const;
      }
    }));
    const ready = results.every(([, state]) => state === 'ok');
    ctx.set('Cache-Control', 'no-store');
    ctx.status = ready ? 200 : 503;
    ctx.body = { status: ready ? 'ok' : 'unavailable', checks: Object.fromEntries(results) };
  });
  return router;
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('timed out')), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
