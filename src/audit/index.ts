import type { WebhookRouteDeps } from '../admin/routes/webhooks.ts';
import type { Config } from '../config/index.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import { checkDestination, createAddressGuard, type Resolver } from '../security/ssrf.ts';
import type { AuditStore } from '../stores/audit.ts';
import type { WebhookStore } from '../stores/audit-webhooks.ts';
import type { OrganizationStore } from '../stores/organizations.ts';
import { createAuditSink, type RunningAuditSink } from './sink.ts';
import { createSender } from './webhook-delivery.ts';
import { createWebhookDispatcher, type DispatcherOptions } from './webhook-dispatcher.ts';
import { webhookSecret } from './webhook-signature.ts';

export interface AuditLog {
  /** Hand this to everything that records events. */
  readonly sink: RunningAuditSink;
  /** What the admin API's audit and webhook routes need. */
  readonly admin: { auditEvents: Pick<AuditStore, 'list'>; webhooks: WebhookRouteDeps };
  /** Writes what is queued and stops webhook retries. */
  close(): Promise<void>;
}

export interface AuditLogDeps {
  config: Pick<Config, 'production' | 'secretPepper' | 'webhooks'>;
  logger: Logger;
  metrics: Pick<Metrics, 'auditFailures' | 'webhookDeliveries'>;
  stores: { audit: AuditStore; webhooks: WebhookStore; organizations: Pick<OrganizationStore, 'findById'> };
  /** Tests: a resolver and timers of their own. */
  resolve?: Resolver;
  schedule?: DispatcherOptions['schedule'];
}

/** Wires the audit log: store, structured log, and organizations' webhooks. */
export function createAuditLog(deps: AuditLogDeps): AuditLog {
  const { config, logger, metrics, stores } = deps;
  const guard = createAddressGuard(config.webhooks);
  const secretOf = (hook: { id: string; salt: string }) => webhookSecret(config.secretPepper, hook);
  const dispatcher = createWebhookDispatcher({
    hooks: stores.webhooks, secretOf, maxAttempts: config.webhooks.maxAttempts,
    send: createSender({ guard, timeoutMs: 10_000, resolve: deps.resolve }),
    schedule: deps.schedule,
    onOutcome(outcome, info) {
      metrics.webhookDeliveries.inc({ outcome });
      if (outcome === 'failed' || outcome === 'dropped') {
        const result = info.result && ('status' in info.result ? { status: info.result.status } : { error: info.result.error, message: info.result.message });
        logger.warn({ webhook_id: info.webhookId, event_id: info.eventId, attempt: info.attempt, ...result }, `webhook delivery ${outcome}`);
      }
    },
    onError: (err) => logger.warn({ err }, 'webhook delivery failed'),
  });
  const sink = createAuditSink({
    store: stores.audit, logger, forward: (event) => dispatcher.dispatch(event),
    onFailure: (reason, count) => metrics.auditFailures.inc({ reason }, count),
  });
  return {
    sink,
    admin: {
      auditEvents: stores.audit,
      webhooks: {
        store: stores.webhooks, organizations: stores.organizations, secretOf,
        checkDestination: (url) => checkDestination(url, guard, deps.resolve), requireHttps: config.production,
      },
    },
    async close() {
      dispatcher.close();
      await sink.flush();
    },
  };
}
