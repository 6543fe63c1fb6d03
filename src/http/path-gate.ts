import type { Middleware } from 'koa';

/**
 * Runs `middleware` only for request paths that `paths` matches; any other request goes
 * straight on, without entering it. Each middleware a request passes through costs it a
 * few promises; the hot endpoints (/token, introspection) should pay only for their own.
 */
export function onlyUnder(paths: RegExp, middleware: Middleware): Middleware {
  return function pathGate(ctx, next) {
    return paths.test(ctx.path) ? middleware(ctx, next) : next();
  };
}
