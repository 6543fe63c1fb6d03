import type { Send, SendResult } from '../audit/webhook-delivery.ts';
import { unrefTimers, type Scheduler } from '../audit/webhook-dispatcher.ts';

export type LogoutDeliveryOutcome = 'delivered' | 'retrying' | 'failed' | 'dropped';

/** One logout token on its way to one relying party. */
export interface LogoutDelivery {
  url: URL;
  /** `logout_token=…`, form-encoded (Back-Channel Logout 1.0 §2.5). */
  body: string;
  clientId: string | undefined;
  /** When the token expires (epoch ms): no attempt starts after it. */
  expiresAt: number;
}

export interface LogoutOutcomeInfo {
  clientId: string | undefined;
  /** The receiver's origin and path, never its query (it may carry the RP's own secrets). */
  target: string;
  attempt: number;
  result?: SendResult;
}

export interface LogoutTokenQueueOptions {
  send: Send;
  /** Attempts per token, the first included. */
  maxAttempts: number;
  /** Delay before the second attempt; it doubles for each one after. */
  baseDelayMs?: number;
  /** Tokens waiting or in flight; past this, new ones are dropped (and reported). */
  maxPending?: number;
  schedule?: Scheduler;
  now?: () => number;
  onOutcome?(outcome: LogoutDeliveryOutcome, info: LogoutOutcomeInfo): void;
  onError?(err: unknown): void;
}

export interface LogoutTokenQueue {
  /** Starts delivering in the background; false when the queue is full and the token was dropped. */
  enqueue(delivery: LogoutDelivery): boolean;
  /** Cancels waiting retries; nothing new is sent. */
  close(): void;
}

/**
 * Back-Channel Logout 1.0 §2.8: the RP answers 200 (some frameworks send 204) when it
 * logged the session out, and 400 when it could not (a bad token): that is final, as is
 * any other 4xx, a redirect (never followed) and an SSRF refusal. A timeout, a network
 * error, 408, 429 and 5xx are worth another try (§2.8 lets the OP retry).
 */
const delivered = (r: SendResult) => 'status' in r && (r.status === 200 || r.status === 204);
const retryable = (r: SendResult) => ('status' in r ? r.status === 408 || r.status === 429 || r.status >= 500 : r.error !== 'refused');

/**
 * Delivers logout tokens from an in-process queue, retrying with exponential backoff
 * (2 s, 4 s, 8 s, … by default). Every attempt sends the same token: its `jti` lets the
 * RP ignore a repeat, and no attempt starts once the token has expired. Queued retries
 * do not survive a restart. The logout request that produced a token never waits here.
 */
export function createLogoutTokenQueue(options: LogoutTokenQueueOptions): LogoutTokenQueue {
  const {
    send, maxAttempts, baseDelayMs = 2000, maxPending = 1000,
    schedule = unrefTimers, now = Date.now, onOutcome = () => {}, onError = () => {},
  } = options;
  const waiting = new Set<{ cancel(): void }>();
  let pending = 0;
  let closed = false;

  function finish(outcome: LogoutDeliveryOutcome, info: LogoutOutcomeInfo): void {
    pending -= 1;
    onOutcome(outcome, info);
  }

  function attempt(delivery: LogoutDelivery, n: number): void {
    const info = (result?: SendResult): LogoutOutcomeInfo => ({
      clientId: delivery.clientId, target: delivery.url.origin + delivery.url.pathname, attempt: n, ...(result && { result }),
    });
    send(delivery.url, delivery.body, { 'content-type': 'application/x-www-form-urlencoded', 'user-agent': 'Gatehouse-Logout/1' })
      .then((result) => {
        if (delivered(result)) return finish('delivered', info(result));
        const delay = baseDelayMs * 2 ** (n - 1);
        if (closed || n >= maxAttempts || !retryable(result) || now() + delay >= delivery.expiresAt) return finish('failed', info(result));
        onOutcome('retrying', info(result));
        const handle = schedule(() => {
          waiting.delete(handle);
          if (closed) finish('failed', info(result));
          else attempt(delivery, n + 1);
        }, delay);
        waiting.add(handle);
      })
      .catch((err: unknown) => {
        pending -= 1;
        onError(err);
      });
  }

  return {
    enqueue(delivery) {
      if (closed || pending >= maxPending) {
        onOutcome('dropped', { clientId: delivery.clientId, target: delivery.url.origin + delivery.url.pathname, attempt: 0 });
        return false;
      }
      pending += 1;
      attempt(delivery, 1);
      return true;
    },
    close() {
      closed = true;
      for (const handle of waiting) handle.cancel();
      waiting.clear();
    },
  };
}
