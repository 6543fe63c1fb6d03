import { SignJWT } from 'jose';

import type { SendResult } from '../../../src/audit/webhook-delivery.ts';
import type { Scheduler } from '../../../src/audit/webhook-dispatcher.ts';
import { deferLogoutTokens } from '../../../src/oidc/backchannel-fetch.ts';
import { createLogoutTokenQueue, type LogoutDelivery, type LogoutDeliveryOutcome } from '../../../src/oidc/backchannel-queue.ts';

const NOW = 1_900_000_000_000;

/** Timers run by hand: no sleeping, and the delays asked for are visible. */
function manualTimers() {
  const queue: { fn: () => void; ms: number; cancelled: boolean }[] = [];
  const schedule: Scheduler = (fn, ms) => {
    const entry = { fn, ms, cancelled: false };
    queue.push(entry);
    return { cancel: () => { entry.cancelled = true; } };
  };
  return { schedule, delays: () => queue.map((e) => e.ms), runDue: () => { for (const e of queue.splice(0)) if (!e.cancelled) e.fn(); } };
}

/** A receiver that answers from a script, one result per attempt. */
function scripted(...results: SendResult[]) {
  const sent: { url: string; body: string; headers: Record<string, string> }[] = [];
  return {
    sent,
    send: async (url: URL, body: string, headers: Record<string, string>) => {
      sent.push({ url: url.href, body, headers });
      return results[sent.length - 1] ?? { status: 200 };
    },
  };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));
const delivery = (overrides: Partial<LogoutDelivery> = {}): LogoutDelivery => ({
  url: new URL('https://rp.example/logout?tenant=a'), body: 'logout_token=t', clientId: 'rp', expiresAt: NOW + 120_000, ...overrides,
});

describe('logout token queue', () => {
  function queueWith(send: ReturnType<typeof scripted>['send'], options: { maxAttempts?: number; maxPending?: number } = {}) {
    const timers = manualTimers();
    const outcomes: [LogoutDeliveryOutcome, number][] = [];
    const queue = createLogoutTokenQueue({
      send, maxAttempts: options.maxAttempts ?? 5, maxPending: options.maxPending ?? 10, schedule: timers.schedule, now: () => NOW,
      onOutcome: (outcome, info) => outcomes.push([outcome, info.attempt]),
    });
    return { queue, timers, outcomes };
  }

  test('posts the token form-encoded; 200 and 204 count as delivered', async () => {
    for (const status of [200, 204]) {
      const rp = scripted({ status });
      const { queue, outcomes } = queueWith(rp.send);
      expect(queue.enqueue(delivery())).toBe(true);
      await settle();
      expect(rp.sent).toEqual([{
        url: 'https://rp.example/logout?tenant=a', body: 'logout_token=t',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'user-agent': 'Gatehouse-Logout/1' },
      }]);
      expect(outcomes).toEqual([['delivered', 1]]);
    }
  });

  test('a 5xx, 408, 429, timeout or network error is retried after 2 s, 4 s, 8 s … with the same body', async () => {
    const rp = scripted({ status: 503 }, { status: 408 }, { status: 429 }, { error: 'timeout', message: 'x' }, { error: 'network', message: 'x' });
    const { queue, timers, outcomes } = queueWith(rp.send, { maxAttempts: 6 });
    queue.enqueue(delivery());
    for (let i = 0; i < 5; i += 1) {
      await settle();
      timers.runDue();
    }
    await settle();
    expect(timers.delays()).toEqual([]); // all run
    expect(rp.sent.map((s) => s.body)).toEqual(Array(6).fill('logout_token=t'));
    expect(outcomes.map(([o]) => o)).toEqual(['retrying', 'retrying', 'retrying', 'retrying', 'retrying', 'delivered']);
  });

  test('backoff doubles', async () => {
    const rp = scripted({ status: 500 }, { status: 500 }, { status: 500 });
    const { queue, timers } = queueWith(rp.send);
    queue.enqueue(delivery());
    const seen: number[] = [];
    for (let i = 0; i < 3; i += 1) {
      await settle();
      seen.push(...timers.delays());
      timers.runDue();
    }
    expect(seen).toEqual([2000, 4000, 8000]);
  });

  test.each([
    ['400 (the RP could not log the session out, §2.8)', { status: 400 }],
    ['a redirect, which is never followed', { status: 302 }],
    ['an SSRF refusal', { error: 'refused', message: 'loopback' }],
  ] as [string, SendResult][])('%s is final', async (_label, result) => {
    const rp = scripted(result);
    const { queue, timers, outcomes } = queueWith(rp.send);
    queue.enqueue(delivery());
    await settle();
    expect(timers.delays()).toEqual([]);
    expect(outcomes).toEqual([['failed', 1]]);
  });

  test('gives up after maxAttempts', async () => {
    const rp = scripted({ status: 500 }, { status: 500 }, { status: 500 });
    const { queue, timers, outcomes } = queueWith(rp.send, { maxAttempts: 2 });
    queue.enqueue(delivery());
    await settle();
    timers.runDue();
    await settle();
    expect(rp.sent).toHaveLength(2);
    expect(outcomes).toEqual([['retrying', 1], ['failed', 2]]);
  });

  test('no attempt starts once the token has expired', async () => {
    const rp = scripted({ status: 500 });
    const { queue, timers, outcomes } = queueWith(rp.send);
    queue.enqueue(delivery({ expiresAt: NOW + 1999 }));
    await settle();
    expect(timers.delays()).toEqual([]);
    expect(outcomes).toEqual([['failed', 1]]);
  });

  test('a full queue drops new tokens and says so', async () => {
    const never = { sent: 0, send: () => { never.sent += 1; return new Promise<SendResult>(() => {}); } };
    const { queue, outcomes } = queueWith(never.send, { maxPending: 1 });
    expect(queue.enqueue(delivery())).toBe(true);
    expect(queue.enqueue(delivery({ clientId: 'other' }))).toBe(false);
    expect(never.sent).toBe(1);
    expect(outcomes).toEqual([['dropped', 0]]);
  });

  test('close cancels waiting retries', async () => {
    const rp = scripted({ status: 500 });
    const { queue, timers } = queueWith(rp.send);
    queue.enqueue(delivery());
    await settle();
    queue.close();
    timers.runDue();
    await settle();
    expect(rp.sent).toHaveLength(1);
    expect(queue.enqueue(delivery())).toBe(false);
  });
});

describe('deferLogoutTokens (the provider\'s fetch hook)', () => {
  const key = new TextEncoder().encode('k'.repeat(32));

  test('a logout token POST is queued and answered 204 at once; the token\'s aud and exp go with it', async () => {
    const token = await new SignJWT({ events: {} }).setProtectedHeader({ alg: 'HS256' }).setAudience('rp').setExpirationTime(1_900_000_120).sign(key);
    const queued: LogoutDelivery[] = [];
    const fetched: unknown[] = [];
    const hook = deferLogoutTokens(async (input) => { fetched.push(input); return new Response(); }, (d) => { queued.push(d); return true; });
    const res = await hook('https://rp.example/logout', { method: 'POST', body: new URLSearchParams({ logout_token: token }) });
    expect(res.status).toBe(204);
    expect(fetched).toEqual([]);
    expect(queued).toEqual([{
      url: new URL('https://rp.example/logout'), body: `logout_token=${token}`, clientId: 'rp', expiresAt: 1_900_000_120_000,
    }]);
  });

  test('a dropped token is answered 503', async () => {
    const token = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setAudience('rp').sign(key);
    const hook = deferLogoutTokens(async () => new Response(), () => false, () => NOW);
    const res = await hook('https://rp.example/logout', { method: 'POST', body: new URLSearchParams({ logout_token: token }) });
    expect(res.status).toBe(503);
  });

  test('every other fetch (jwks_uri, sector_identifier_uri) goes on unchanged', async () => {
    const answer = new Response('{}');
    const fetched: unknown[][] = [];
    let queued = 0;
    const hook = deferLogoutTokens(async (...args) => { fetched.push(args); return answer; }, () => { queued += 1; return true; });
    const init = { method: 'GET' };
    expect(await hook('https://rp.example/jwks', init)).toBe(answer);
    expect(fetched).toEqual([['https://rp.example/jwks', init]]);
    expect(queued).toBe(0);
  });
});
