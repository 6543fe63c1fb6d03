import type { Logger } from '../observability/logger.ts';
import { newAuditEventId, type AuditEvent, type AuditStore } from '../stores/audit.ts';
import type { AuditEventInput, AuditSink } from './events.ts';
import { toAuditJson } from './json.ts';
import { redactSecrets } from './redact.ts';

export interface AuditSinkOptions {
  store: Pick<AuditStore, 'append'>;
  logger: Logger;
  /** Told of every event once it has an id and time (webhooks). Must not throw or wait. */
  forward?: (event: AuditEvent) => void;
  /** Counted in a metric: a store write failed, or the queue was full. */
  onFailure?: (reason: 'store' | 'queue_full', events: number) => void;
  /** Events waiting for the store; past this the oldest are dropped. */
  maxQueue?: number;
  now?: () => Date;
}

export interface RunningAuditSink extends AuditSink {
  /** Resolves when every event recorded so far has been written (or has failed). */
  flush(): Promise<void>;
}

const TEXT_FIELDS = ['actor', 'subject', 'clientId', 'orgId', 'ip', 'reason', 'target'] as const;

/** The stored form: fields that are strings, details stripped of anything secret. */
function toEvent(input: AuditEventInput, time: Date): AuditEvent {
  const event: AuditEvent = { id: newAuditEventId(), type: input.type, time };
  for (const field of TEXT_FIELDS) {
    const value = input[field];
    if (typeof value === 'string' && value !== '') event[field] = value.slice(0, 512);
  }
  if (input.details !== undefined) event.details = redactSecrets(input.details) as Record<string, unknown>;
  return event;
}

/**
 * The audit sink: `record` stamps the event, writes it to the structured log at once,
 * hands it to the webhooks, and queues it for the store, which is written in batches on
 * a later turn of the event loop. Nothing here throws into or waits in the caller; a
 * failed write is logged (without the events' contents) and counted.
 */
export function createAuditSink(options: AuditSinkOptions): RunningAuditSink {
  const { store, logger, forward, onFailure = () => {}, maxQueue = 10_000, now = () => new Date() } = options;
  let queue: AuditEvent[] = [];
  let writing: Promise<void> = Promise.resolve();
  let scheduled = false;

  function write(): void {
    scheduled = false;
    const batch = queue;
    queue = [];
    if (batch.length === 0) return;
    writing = writing.then(() => store.append(batch)).catch((err: unknown) => {
      logger.warn({ err, events: batch.length }, 'writing audit events failed');
      onFailure('store', batch.length);
    });
  }

  return {
    record(input) {
      try {
        const event = toEvent(input, now());
        // Built only when it is written: at LOG_LEVEL=warn this is every token issued, for nothing.
        if (logger.isLevelEnabled('info')) logger.info({ audit: toAuditJson(event) }, 'audit event');
        if (queue.length >= maxQueue) {
          queue.shift();
          onFailure('queue_full', 1);
        }
        queue.push(event);
        if (!scheduled) {
          scheduled = true;
          setImmediate(write);
        }
        forward?.(event);
      } catch (err) {
        // Recording must never fail the request that caused the event.
        try {
          logger.warn({ err }, 'recording an audit event failed');
          onFailure('store', 1);
        } catch { /* nothing left to tell */ }
      }
    },
    async flush() {
      write();
      await writing;
    },
  };
}
