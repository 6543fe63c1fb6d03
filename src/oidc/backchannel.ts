import type { Configuration } from 'oidc-provider';

import { createSender } from '../audit/webhook-delivery.ts';
import type { Scheduler } from '../audit/webhook-dispatcher.ts';
import type { Config } from '../config/index.ts';
import type { Logger } from '../observability/logger.ts';
import { createAddressGuard, type Resolver } from '../security/ssrf.ts';
import { createLogoutTokenQueue, type LogoutDelivery, type LogoutDeliveryOutcome, type LogoutOutcomeInfo } from './backchannel-queue.ts';

/** How long one attempt may take before it counts as a timeout (and is retried). */
const ATTEMPT_TIMEOUT_MS = 5000;

/**
 * OIDC Back-Channel Logout 1.0 (BACKCHANNEL_LOGOUT). node-oidc-provider then accepts the
 * `backchannel_logout_uri` and `backchannel_logout_session_required` client metadata,
 * puts `sid` in the ID tokens of clients that require it, advertises
 * `backchannel_logout_supported` and `backchannel_logout_session_supported` in discovery
 * (§2.1), and issues a logout token for each such client when a person logs out at the
 * end_session endpoint. Delivery is Gatehouse's: see backchannel-fetch.ts.
 */
export function backchannelLogout(settings: Config['backchannelLogout']): Pick<NonNullable<Configuration['features']>, 'backchannelLogout'> {
  return { backchannelLogout: { enabled: settings.enabled } };
}

export interface BackchannelLogout {
  /** Queues one logout token for delivery; false when it was dropped (queue full). */
  enqueue(delivery: LogoutDelivery): boolean;
  /** Cancels waiting retries (shutdown). */
  close(): void;
}

export interface BackchannelLogoutDeps {
  config: Pick<Config, 'backchannelLogout'>;
  logger: Logger;
  /** Tests: timers and a resolver of their own. */
  schedule?: Scheduler;
  resolve?: Resolver;
}

/**
 * The delivery side: receivers are called over node:http(s) under the configured SSRF
 * policy (checked before connecting and at the connection's own DNS lookup, as for
 * webhooks), with bounded retries. Outcomes are logged without the token.
 */
export function createBackchannelLogout(deps: BackchannelLogoutDeps): BackchannelLogout {
  const { config: { backchannelLogout: settings }, logger } = deps;
  const guard = createAddressGuard(settings);
  const log = (outcome: LogoutDeliveryOutcome, info: LogoutOutcomeInfo) => {
    const result = info.result && ('status' in info.result ? { status: info.result.status } : { error: info.result.error, message: info.result.message });
    const fields = { client_id: info.clientId, target: info.target, attempt: info.attempt, ...result };
    if (outcome === 'failed' || outcome === 'dropped') logger.warn(fields, `back-channel logout delivery ${outcome}`);
    else logger.debug(fields, `back-channel logout delivery ${outcome}`);
  };
  return createLogoutTokenQueue({
    send: createSender({ guard, timeoutMs: ATTEMPT_TIMEOUT_MS, ...(deps.resolve && { resolve: deps.resolve }) }),
    maxAttempts: settings.maxAttempts,
    ...(deps.schedule && { schedule: deps.schedule }),
    onOutcome: log,
    onError: (err) => logger.warn({ err }, 'back-channel logout delivery failed'),
  });
}
