import type { AuditEvent } from '../stores/audit.ts';
import type { Webhook, WebhookStore } from '../stores/audit-webhooks.ts';
import { toAuditJson } from './json.ts';
import { SIGNATURE_HEADER, signPayload } from './webhook-signature.ts';
import type { Send, SendResult } from './webhook-delivery.ts';

export type DeliveryOutcome = 'delivered' | 'retrying' | 'failed' | 'dropped';

export interface Scheduler {
  /** Runs `fn` after `ms`; the handle cancels it. Must not keep the process alive. */
  (fn: () => void, ms: number): { cancel(): void };
}

export const unrefTimers: Scheduler = (fn, ms) => {
  const timer = setTimeout(fn, ms);
  timer.unref();
  return { cancel: () => clearTimeout(timer) };
};

export interface DispatcherOptions {
  hooks: Pick<WebhookStore, 'allOf' | 'findById'>;
  secretOf(hook: Webhook): string;
  send: Send;
  /** Attempts per delivery, the first included. */
  maxAttempts: number;
  /** Delay before the second attempt; it doubles for each one after, up to `maxDelayMs`. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Deliveries waiting or in flight; past this, new ones are dropped (and counted). */
  maxPending?: number;
  schedule?: Scheduler;
  now?: () => number;
  onOutcome?(outcome: DeliveryOutcome, info: { webhookId: string; eventId: string; attempt: number; result?: SendResult }): void;
  onError?(err: unknown): void;
}

export interface WebhookDispatcher {
  /** Fire and forget: looks up the event's organization's webhooks and delivers to each. */
  dispatch(event: AuditEvent): void;
  /** Cancels waiting retries; nothing new is sent. */
  close(): void;
}

/** RFC 9110 §15.5.9 / RFC 6585 §4 and server errors are worth retrying; other answers are final. */
const retryable = (r: SendResult) => ('status' in r ? r.status === 408 || r.status === 429 || r.status >= 500 : r.error !== 'refused');
const delivered = (r: SendResult) => 'status' in r && r.status >= 200 && r.status < 300;

/**
 * Delivers audit events to organizations' webhooks from an in-process queue: each
 * delivery is retried with exponential backoff (2 s, 4 s, 8 s, … by default) up to
 * `maxAttempts`, then given up and counted. Queued retries do not survive a restart, and
 * nothing here ever waits on the request that caused the event.
 */
export function createWebhookDispatcher(options: DispatcherOptions): WebhookDispatcher {
  const {
    hooks, send, maxAttempts, baseDelayMs = 2000, maxDelayMs = 300_000, maxPending = 1000,
    schedule = unrefTimers, now = Date.now, onOutcome = () => {}, onError = () => {},
  } = options;
  const waiting = new Set<{ cancel(): void }>();
  let pending = 0;
  let closed = false;

  function attempt(hook: Webhook, event: AuditEvent, body: string, n: number): void {
    const headers = {
      'content-type': 'application/json',
      'user-agent': 'Gatehouse-Webhook/1',
      'x-gatehouse-event': event.type,
      // Stable across retries: receivers use it to drop duplicates.
      'x-gatehouse-delivery': event.id,
      'x-gatehouse-attempt': String(n),
      // Signed per attempt, so the timestamp is the time of sending.
      [SIGNATURE_HEADER.toLowerCase()]: signPayload(options.secretOf(hook), body, Math.floor(now() / 1000)),
    };
    send(new URL(hook.url), body, headers).then((result) => {
      const info = { webhookId: hook.id, eventId: event.id, attempt: n, result };
      if (delivered(result)) return finish('delivered', info);
      if (closed || n >= maxAttempts || !retryable(result)) return finish('failed', info);
      onOutcome('retrying', info);
      const delay = Math.min(baseDelayMs * 2 ** (n - 1), maxDelayMs);
      const handle = schedule(() => {
        waiting.delete(handle);
        // A webhook deleted while its delivery waited gets nothing more.
        hooks.findById(hook.id).then((current) => {
          if (current && !closed) attempt(current, event, body, n + 1);
          else finish('failed', info);
        }).catch((err: unknown) => {
          pending -= 1;
          onError(err);
        });
      }, delay);
      waiting.add(handle);
    }).catch((err: unknown) => {
      pending -= 1;
      onError(err);
    });
  }

  function finish(outcome: DeliveryOutcome, info: Parameters<NonNullable<DispatcherOptions['onOutcome']>>[1]) {
    pending -= 1;
    onOutcome(outcome, info);
  }

  return {
    dispatch(event) {
      if (closed || event.orgId === undefined) return;
      hooks.allOf(event.orgId).then((list) => {
        const targets = list.filter((h) => h.events.length === 0 || h.events.includes(event.type));
        if (targets.length === 0) return;
        const body = JSON.stringify(toAuditJson(event));
        for (const hook of targets) {
          if (pending >= maxPending) {
            onOutcome('dropped', { webhookId: hook.id, eventId: event.id, attempt: 0 });
            continue;
          }
          pending += 1;
          attempt(hook, event, body, 1);
        }
      }).catch(onError);
    },
    close() {
      closed = true;
      for (const handle of waiting) handle.cancel();
      waiting.clear();
    },
  };
}
