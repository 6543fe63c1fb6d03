import type { ZodType } from 'zod';

import type { Principal } from './principal.ts';

export type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

export interface RouteInput<B, Q> {
  body: B;
  query: Q;
  params: Record<string, string>;
  principal: Principal;
  ip: string;
}

export interface RouteResult {
  status?: number;
  body?: unknown;
  /**
   * For the `admin.change` audit event the router records after every write
   * (audit/admin-change.ts): the object as it was, its organization, a better target name.
   * Secret-named fields are stripped before anything is stored.
   */
  audit?: { before?: unknown; orgId?: string | undefined; target?: string };
}

/**
 * One admin API operation. The same definition builds the Koa route, checks the scope,
 * validates the input and writes the OpenAPI document, so the document cannot drift
 * from what is served.
 */
export interface AdminRoute<B = unknown, Q = unknown> {
  method: Method;
  /** OpenAPI path template under /api/v1, e.g. `/api-keys/{id}:rotate`. */
  path: string;
  operationId: string;
  summary: string;
  tag: string;
  /** The scope the caller needs; none: any authenticated caller. */
  scope?: string;
  /** Only callers outside any organization (platform admins). */
  platformOnly?: boolean;
  body?: ZodType<B>;
  query?: ZodType<Q>;
  responses: Record<number, { description: string; schema?: ZodType }>;
  handle(input: RouteInput<B, Q>): Promise<RouteResult>;
}

/** Keeps each route's body and query types when routes of different shapes share an array. */
export const route = <B = unknown, Q = unknown>(definition: AdminRoute<B, Q>): AdminRoute => definition as unknown as AdminRoute;

/** `/api-keys/{id}:rotate` → `/api-keys/:id\:rotate` (path-to-regexp syntax). */
export function koaPath(path: string): string {
  return path.replace(/:/g, '\\:').replace(/\{(\w+)\}/g, ':$1');
}
