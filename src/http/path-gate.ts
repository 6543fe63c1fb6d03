import type { Middleware } from 'koa';

/**
 * A request path as node-oidc-provider and @koa/router route it: ASCII letters in either
 * case (`/TOKEN` is the token endpoint). Checks of which endpoint a request is for compare
 * this, or a request could change the case of its path to step around them. Only ASCII is
 * folded, as the routers do: no other character lower-cases into an ASCII one here.
 */
export function routedPath(path: string): string {
  // Every gate of a request asks for the same path in turn: remember the last answer.
  if (path === last.path) return last.routed;
  const routed = /[A-Z]/.test(path) ? path.replace(/[A-Z]+/g, (upper) => upper.toLowerCase()) : path;
  last.path = path;
  last.routed = routed;
  return routed;
}

const last = { path: '', routed: '' };

/**
 * Runs `middleware` only for request paths that `paths` matches; any other request goes
 * straight on, without entering it. Each middleware a request passes through costs it a
 * few promises; the hot endpoints (/token, introspection) should pay only for their own.
 * `paths` must match lower-case paths (routedPath).
 */
export function onlyUnder(paths: RegExp, middleware: Middleware): Middleware {
  return function pathGate(ctx, next) {
    return paths.test(routedPath(ctx.path)) ? middleware(ctx, next) : next();
  };
}
