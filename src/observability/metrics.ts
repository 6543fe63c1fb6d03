import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * Gatehouse's Prometheus metrics. Labels are bounded: routes are route names (never raw
 * paths, which carry ids), client ids are registered clients only, reasons are codes.
 */
export interface Metrics {
  readonly registry: Registry;
  readonly httpDuration: Histogram<'method' | 'route' | 'status'>;
  readonly tokensIssued: Counter<'grant_type' | 'client_id'>;
  readonly introspections: Counter<'result'>;
  readonly authenticationFailures: Counter<'reason'>;
  readonly revocations: Counter<'source'>;
  readonly storeDuration: Histogram<'backend' | 'operation'>;
  /** Requests refused with 429 by the rate limiter, by limited endpoint. */
  readonly rateLimitRefusals: Counter<'endpoint'>;
  /** Limiter calls that failed (Redis unreachable) and so let the request through. */
  readonly rateLimitFailures: Counter<'limiter'>;
  /** Audit events not stored: the store failed, or the write queue was full. */
  readonly auditFailures: Counter<'reason'>;
  readonly webhookDeliveries: Counter<'outcome'>;
}

export function createMetrics(options: { defaultMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  // Process metrics and nodejs_eventloop_lag_seconds come with the defaults.
  if (options.defaultMetrics !== false) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  return {
    registry,
    httpDuration: new Histogram({
      name: 'gatehouse_http_request_duration_seconds',
      help: 'HTTP request duration by route name, method and status',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    }),
    tokensIssued: new Counter({
      name: 'gatehouse_tokens_issued_total',
      help: 'Successful token endpoint responses by grant type and client',
      labelNames: ['grant_type', 'client_id'],
      registers,
    }),
    introspections: new Counter({
      name: 'gatehouse_introspections_total',
      help: 'Introspection answers by result (active, inactive)',
      labelNames: ['result'],
      registers,
    }),
    authenticationFailures: new Counter({
      name: 'gatehouse_authentication_failures_total',
      help: 'Failed authentications by reason (invalid_credentials: people; invalid_client: clients)',
      labelNames: ['reason'],
      registers,
    }),
    revocations: new Counter({
      name: 'gatehouse_revocations_total',
      help: 'Revocations by source (token: RFC 7009 endpoint; grant: a whole grant)',
      labelNames: ['source'],
      registers,
    }),
    storeDuration: new Histogram({
      name: 'gatehouse_store_operation_duration_seconds',
      help: 'Storage operation latency by backend and operation',
      labelNames: ['backend', 'operation'],
      buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1],
      registers,
    }),
    rateLimitRefusals: new Counter({
      name: 'gatehouse_rate_limit_refusals_total',
      help: 'Requests refused with 429 rate_limited, by endpoint (token, introspection, revocation, authorization, login, registration, admin)',
      labelNames: ['endpoint'],
      registers,
    }),
    rateLimitFailures: new Counter({
      name: 'gatehouse_rate_limit_failures_total',
      help: 'Rate-limit or login-throttle checks that failed (store unreachable) and let the request through, by limiter (requests, logins)',
      labelNames: ['limiter'],
      registers,
    }),
    auditFailures: new Counter({
      name: 'gatehouse_audit_events_lost_total',
      help: 'Audit events that could not be stored, by reason (store: the write failed; queue_full)',
      labelNames: ['reason'],
      registers,
    }),
    webhookDeliveries: new Counter({
      name: 'gatehouse_webhook_deliveries_total',
      help: 'Webhook delivery attempts by outcome (delivered, retrying, failed, dropped)',
      labelNames: ['outcome'],
      registers,
    }),
  };
}

/**
 * `gatehouse_revocation_copy_current`: 1 while this process answers revocation checks from
 * its own copy of the list, 0 while it reads Redis on every check (stores/revocation-mirror.ts).
 * Over workers, the lowest value: one worker behind shows.
 */
export function gaugeRevocationCopy(metrics: Pick<Metrics, 'registry'>, current: () => boolean): void {
  new Gauge({
    name: 'gatehouse_revocation_copy_current',
    help: 'Whether the revocation list copy of this process is current (1) or Redis is read on every check (0)',
    registers: [metrics.registry],
    aggregator: 'min',
    collect() {
      this.set(current() ? 1 : 0);
    },
  });
}

/**
 * `gatehouse_password_hashes{state}`: argon2id hashes and verifications running, and those
 * waiting for one of the process's hashing slots (security/passwords.ts). Waiting that does
 * not drain means sign-ins are arriving faster than the cores can hash them.
 */
export function gaugePasswordHashes(metrics: Pick<Metrics, 'registry'>, load: () => { running: number; waiting: number }): void {
  new Gauge({
    name: 'gatehouse_password_hashes',
    help: 'argon2id hashes and verifications running and waiting for a hashing slot',
    labelNames: ['state'],
    registers: [metrics.registry],
    aggregator: 'sum',
    collect() {
      const { running, waiting } = load();
      this.set({ state: 'running' }, running);
      this.set({ state: 'waiting' }, waiting);
    },
  });
}
