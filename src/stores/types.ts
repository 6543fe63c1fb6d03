import type { Adapter } from 'oidc-provider';

/** Where a node-oidc-provider model is kept (DESIGN.md, "Storage routing"). */
export type BackendName = 'memory' | 'redis' | 'mongo';

/**
 * One storage backend for node-oidc-provider models. `adapterFor(model)` returns the
 * adapter for one model name ("Session", "AuthorizationCode", "Client", ...).
 */
export interface AdapterBackend {
  readonly name: BackendName;
  adapterFor(model: string): Adapter;
  /** Resolves when the backend answers; rejects otherwise (used by /readyz). */
  ping(): Promise<void>;
  /** Creates indexes and the like; called once at start-up or by `gatehouse migrate`. */
  prepare(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Thrown by `Adapter.consume(id)` when the entry was already consumed (or is gone):
 * consume is an atomic check-and-set in every backend, so of N parallel redemptions of
 * one code or refresh token exactly one succeeds. The oidc layer turns this into
 * `invalid_grant` and revokes the grant (RFC 6749 §4.1.2, RFC 9700 §4.14.2).
 */
export class ConsumeConflictError extends Error {
  readonly model: string;
  readonly grantId: string | undefined;

  constructor(model: string, grantId: string | undefined) {
    super(`${model} already consumed`);
    this.name = 'ConsumeConflictError';
    this.model = model;
    this.grantId = grantId;
  }
}
