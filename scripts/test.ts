import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

import { CONTEXT_FRAME_FLAG } from '../src/process-tuning.ts';

/**
 * `npm test` after the type check: jest as native ESM, on the same AsyncLocalStorage as
 * `npm start` runs. On Node 22 Gatehouse restarts itself with async context frames
 * (src/main.ts); the servers the tests start in jest's own processes cannot, so jest gets
 * the flag here and hands it on to its workers. Node 24 has frames by default (and refuses
 * the flag). `ASYNC_CONTEXT_FRAME=off npm test` runs the tests on promise hooks, as
 * Gatehouse with that setting runs. Arguments go on to jest (`npm test -- test/unit`).
 */
const nodeMajor = Number(process.versions.node.split('.')[0]);
const frames = process.env.ASYNC_CONTEXT_FRAME !== 'off';
const flags = ['--experimental-vm-modules', ...(frames && nodeMajor < 24 ? [CONTEXT_FRAME_FLAG] : [])];
const jest = fileURLToPath(new URL('../node_modules/jest/bin/jest.js', import.meta.url));

const child = spawn(process.execPath, [...flags, jest, ...process.argv.slice(2)], {
  stdio: 'inherit',
  env: { ...process.env, GATEHOUSE_TEST_ASYNC_CONTEXT: frames || nodeMajor >= 24 ? 'frames' : 'hooks' },
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => {
  process.exitCode = code ?? (signal ? 1 : 0);
});
