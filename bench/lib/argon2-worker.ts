import { parentPort, workerData } from 'node:worker_threads';

import * as argon2 from 'argon2';

/** One thread of the argon2id-alone pool: verifies the same hash each time it is asked. */
const { hash, password } = workerData as { hash: string; password: string };
parentPort!.on('message', (id: number) => {
  argon2.verify(hash, password).then(
    (ok) => parentPort!.postMessage({ id, ok }),
    (err: Error) => parentPort!.postMessage({ id, ok: false, error: err.message }),
  );
});
