import type { IncomingMessage } from 'node:http';

/**
 * Reads a form body of `length` bytes (its Content-Length) and puts it back at the head of
 * the stream with `unshift`, so the rate limiter can see a `client_id` sent in the body
 * while node-oidc-provider still reads the request itself, byte for byte as sent (its body
 * parser is the one that counts; an upstream parser would change how the body is parsed,
 * and the provider warns about it). `unshift` is allowed until the stream's 'end' event,
 * and with the bytes back in the buffer 'end' waits until they are read again.
 *
 * Resolves undefined (with whatever was read put back) when the body does not arrive whole.
 */
export function peekForm(req: IncomingMessage, length: number): Promise<URLSearchParams | undefined> {
  // Whoever looks again gets the same parse: the body is read from the socket once.
  let peeked = peeks.get(req);
  if (!peeked) {
    peeked = readAndPutBack(req, length);
    peeks.set(req, peeked);
  }
  return peeked;
}

/** What each request's body turned out to be; callers only read the parsed form. */
const peeks = new WeakMap<IncomingMessage, Promise<URLSearchParams | undefined>>();

function readAndPutBack(req: IncomingMessage, length: number): Promise<URLSearchParams | undefined> {
  if (!req.readable || req.readableEnded) return Promise.resolve(undefined);
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let received = 0;

    function finish(complete: boolean) {
      req.off('readable', onReadable);
      req.off('end', onEnd);
      req.off('error', onEnd);
      req.off('close', onEnd);
      const body = Buffer.concat(chunks, received);
      if (received > 0 && !req.readableEnded && !req.destroyed) req.unshift(body);
      resolve(complete ? new URLSearchParams(body.toString('utf8')) : undefined);
    }
    function onReadable() {
      let chunk: Buffer | null;
      while (received < length && (chunk = req.read() as Buffer | null) !== null) {
        chunks.push(chunk);
        received += chunk.length;
      }
      if (received >= length) finish(received === length);
    }
    function onEnd() {
      finish(false);
    }

    req.on('readable', onReadable);
    req.once('end', onEnd);
    req.once('error', onEnd);
    req.once('close', onEnd);
  });
}
