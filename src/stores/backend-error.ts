import { redactUrl } from '../config/env.ts';

/** A configured backend that never answered at start-up: the message names it. */
export class BackendUnreachableError extends Error {
  constructor(backend: string, url: string, waitedMs: number, cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(`${backend} at ${redactUrl(url)} did not answer within ${Math.round(waitedMs / 1000)} s (${reason})`);
    this.name = 'BackendUnreachableError';
  }
}
