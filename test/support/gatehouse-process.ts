import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

import { freePort } from './gatehouse.ts';

const NODE = fileURLToPath(new URL('./node-process.ts', import.meta.url));

export interface GatehouseProcess { url: string; child: ChildProcess }

/**
 * `node test/support/node-process.ts`: a Gatehouse in a process of its own, configured by
 * the environment as `npm start` is, with only PATH passed on from the test's own. For
 * what must be set before Node.js starts (NODE_EXTRA_CA_CERTS), or several nodes at once.
 */
export async function startGatehouseProcess(env: Record<string, string>): Promise<GatehouseProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, [NODE], {
    env: { PATH: process.env.PATH!, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'silent', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`node did not start within 15 s: ${stderr}`)), 15_000);
    let stdout = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const ready = /^ready (\S+)$/m.exec(stdout);
      if (ready) {
        clearTimeout(timer);
        resolve(ready[1]!);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`node exited with ${code}: ${stderr}`));
    });
  });
  return { url, child };
}

export function stopGatehouseProcess(node: GatehouseProcess | undefined): Promise<unknown> {
  if (!node || node.child.exitCode !== null) return Promise.resolve();
  const exited = new Promise((resolve) => node.child.once('exit', resolve));
  node.child.kill('SIGTERM');
  return exited;
}
