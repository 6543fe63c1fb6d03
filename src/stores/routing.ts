import type { Adapter, AdapterFactory } from 'oidc-provider';
import type { AdapterBackend } from './types.ts';

/**
 * Models kept in the durable backend (DESIGN.md "Storage routing"): what must survive a
 * restart or outlive a Redis TTL. Everything else (Session, Interaction,
 * AuthorizationCode, AccessToken, ClientCredentials, DeviceCode,
 * PushedAuthorizationRequest, ReplayDetection, ...) is short-lived and goes to `ephemeral`.
 */
export const DURABLE_MODELS: ReadonlySet<string> = new Set([
  'Client',
  'Grant',
  'RefreshToken',
  'RegistrationAccessToken',
]);

export interface RoutedBackends {
  durable: AdapterBackend;
  ephemeral: AdapterBackend;
}

/** Which backend a model lives in. */
export function backendFor(model: string, backends: RoutedBackends): AdapterBackend {
  return DURABLE_MODELS.has(model) ? backends.durable : backends.ephemeral;
}

/**
 * The value for node-oidc-provider's `adapter` option: a plain (non-async) factory
 * `(model) => Adapter` — lib/helpers/initialize_adapter.js rejects async functions.
 * The provider calls it once per model class; we still cache, so every caller shares
 * one adapter per model name.
 */
export function createRoutedAdapterFactory(backends: RoutedBackends): AdapterFactory {
  const adapters = new Map<string, Adapter>();
  // An arrow function has no prototype, so the provider calls it rather than `new`s it.
  const routedAdapter = (model: string): Adapter => {
    let adapter = adapters.get(model);
    if (!adapter) {
      adapter = backendFor(model, backends).adapterFor(model);
      adapters.set(model, adapter);
    }
    return adapter;
  };
  return routedAdapter;
}
