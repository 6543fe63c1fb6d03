import type { Context } from 'koa';

/** The most of a refused body read and thrown away before the connection is cut. */
export const DRAIN_LIMIT = 1024 * 1024;

/**
 * After a request is refused with its body not (fully) read: reads the rest and throws
 * it away, so the refusal reaches the client. Closing a connection with unread data in
 * it makes TCP reset it, which can destroy the answer before the client reads it (RFC
 * 9112 §9.6). A body declared larger than DRAIN_LIMIT is not waited for (the connection
 * closes after the answer), and a client that keeps sending past it is cut off.
 */
export function discardRest(ctx: Context): void {
  const { req } = ctx;
  if (req.complete || req.destroyed) return;
  if (Number(ctx.get('Content-Length') || 0) > DRAIN_LIMIT) {
    ctx.set('Connection', 'close');
    return;
  }
  let drained = 0;
  req.on('data', (chunk: Buffer) => {
    drained += chunk.length;
    if (drained > DRAIN_LIMIT) req.socket.destroy();
  });
  req.resume();
}
