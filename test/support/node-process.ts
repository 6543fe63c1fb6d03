/**
 * One Gatehouse node in a process of its own, for tests that run several nodes on one
 * Redis (test/e2e/revocation-nodes.test.ts). Configuration comes from the environment, as
 * for `npm start`. The signing keys come from GATEHOUSE_TEST_SIGNING_KEYS (JSON StoredKey[]):
 * without MongoDB each process would make its own, and production nodes share theirs
 * through MongoDB. Prints `ready <url>` once it listens; stops on SIGTERM.
 */
import { loadConfig } from '../../src/config/index.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { startGatehouse } from '../../src/server.ts';
import { createMemorySigningKeyStore, type StoredKey } from '../../src/stores/signing-keys.ts';

async function main() {
  const store = createMemorySigningKeyStore();
  const keys = JSON.parse(process.env.GATEHOUSE_TEST_SIGNING_KEYS ?? '[]') as StoredKey[];
  await store.insertIfAbsent(keys.map((k) => ({ ...k, createdAt: new Date(k.createdAt) })));
  const running = await startGatehouse(loadConfig(), createLogger('silent'), { signingKeyStore: store });
  process.on('SIGTERM', () => {
    running.close().then(() => process.exit(0), () => process.exit(1));
  });
  process.stdout.write(`ready ${running.url}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`node failed to start: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
