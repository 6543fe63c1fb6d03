import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { createSender, type Send, type SendResult } from '../../../src/audit/webhook-delivery.ts';
import { createWebhookDispatcher, type DeliveryOutcome, type Scheduler } from '../../../src/audit/webhook-dispatcher.ts';
import { signPayload, verifySignature, webhookSecret } from '../../../src/audit/webhook-signature.ts';
import { createAddressGuard, STRICT_POLICY } from '../../../src/security/ssrf.ts';
import { newAuditEventId, type AuditEvent } from '../../../src/stores/audit.ts';
import { createMemoryWebhookStore, type Webhook } from '../../../src/stores/audit-webhooks.ts';

const PEPPER = 'pepper-for-tests-only-0123456789abcdef';

/** Timers the test runs by hand: no sleeping, and the delays asked for are visible. */
function manualTimers() {
  const queue: Array<{ fn: () => void; ms: number; cancelled: boolean }> = [];
  const schedule: Scheduler = (fn, ms) => {
    const entry = { fn, ms, cancelled: false };
    queue.push(entry);
    return { cancel: () => { entry.cancelled = true; } };
  };
  return {
    schedule,
    delays: () => queue.map((e) => e.ms),
    /** Runs every timer due so far (not those they schedule). */
    runDue() {
      for (const e of queue.splice(0)) if (!e.cancelled) e.fn();
    },
  };
}

/** Lets every pending promise callback run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));
async function until(check: () => boolean) {
  for (let i = 0; i < 50 && !check(); i += 1) await settle();
  expect(check()).toBe(true);
}

const hook = (over: Partial<Webhook> = {}): Webhook => ({
  id: 'wh_1', orgId: 'o1', url: 'https://hooks.example.com/in', events: [], salt: 'salt', createdAt: new Date(0), ...over,
});
const event = (over: Partial<AuditEvent> = {}): AuditEvent => ({ id: newAuditEventId(), type: 'admin.change', time: new Date(0), orgId: 'o1', ...over });

describe('webhook signatures', () => {
  test('a receiver holding the secret verifies the body and timestamp; any change fails', () => {
    const secret = webhookSecret(PEPPER, hook());
    const body = '{"type":"admin.change"}';
    const header = signPayload(secret, body, 1_900_000_000);
    expect(header).toMatch(/^t=1900000000,v1=[0-9a-f]{64}$/);
    expect(verifySignature(secret, body, header, { now: 1_900_000_010 })).toBe(true);
    expect(verifySignature(secret, `${body} `, header, { now: 1_900_000_010 })).toBe(false);
    expect(verifySignature(`${secret}x`, body, header, { now: 1_900_000_010 })).toBe(false);
    expect(verifySignature(secret, body, header.replace('t=1900000000', 't=1900000001'), { now: 1_900_000_010 })).toBe(false);
    expect(verifySignature(secret, body, header, { now: 1_900_001_000 })).toBe(false); // replayed 16 minutes later
  });

  test('each webhook has its own secret, derived from the pepper: the stored salt alone gives nothing', () => {
    expect(webhookSecret(PEPPER, hook())).toBe(webhookSecret(PEPPER, hook()));
    expect(webhookSecret(PEPPER, hook({ salt: 'other' }))).not.toBe(webhookSecret(PEPPER, hook()));
    expect(webhookSecret(`${PEPPER}!`, hook())).not.toBe(webhookSecret(PEPPER, hook()));
    expect(webhookSecret(PEPPER, hook())).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
  });
});

describe('webhook dispatcher', () => {
  async function setUp(answers: SendResult[], hooks: Webhook[] = [hook()], maxAttempts = 4) {
    const store = createMemoryWebhookStore();
    for (const h of hooks) await store.insert(h);
    const timers = manualTimers();
    const sent: Array<{ url: string; body: string; headers: Record<string, string> }> = [];
    const outcomes: Array<[DeliveryOutcome, number]> = [];
    const send: Send = async (url, body, headers) => {
      sent.push({ url: url.href, body, headers });
      return answers.shift() ?? { status: 200 };
    };
    const dispatcher = createWebhookDispatcher({
      hooks: store, secretOf: (h) => webhookSecret(PEPPER, h), send, maxAttempts, baseDelayMs: 1000,
      schedule: timers.schedule, now: () => 1_900_000_000_000, onOutcome: (o, info) => outcomes.push([o, info.attempt]),
    });
    return { store, timers, sent, outcomes, dispatcher };
  }

  test('delivers the event as signed JSON to every webhook of its organization, only there', async () => {
    const { sent, outcomes, dispatcher } = await setUp([], [hook(), hook({ id: 'wh_2', url: 'https://b.example.com/' }), hook({ id: 'wh_3', orgId: 'o2' })]);
    const e = event({ actor: 'boss', target: '/clients/web' });
    dispatcher.dispatch(e);
    await until(() => outcomes.length === 2);
    expect(sent.map((s) => s.url).sort()).toEqual(['https://b.example.com/', 'https://hooks.example.com/in']);
    const first = sent.find((s) => s.url === 'https://hooks.example.com/in')!;
    expect(JSON.parse(first.body)).toEqual({ id: e.id, type: 'admin.change', time: '1970-01-01T00:00:00.000Z', actor: 'boss', org_id: 'o1', target: '/clients/web' });
    expect(first.headers).toMatchObject({ 'content-type': 'application/json', 'x-gatehouse-event': 'admin.change', 'x-gatehouse-delivery': e.id, 'x-gatehouse-attempt': '1' });
    expect(verifySignature(webhookSecret(PEPPER, hook()), first.body, first.headers['x-gatehouse-signature']!, { now: 1_900_000_000 })).toBe(true);
    expect(outcomes).toEqual([['delivered', 1], ['delivered', 1]]);
  });

  test('sends only the subscribed types, and nothing for events without an organization', async () => {
    const { sent, dispatcher } = await setUp([], [hook({ events: ['login.failed'] })]);
    dispatcher.dispatch(event({ type: 'admin.change' }));
    dispatcher.dispatch(event({ type: 'login.failed', orgId: undefined }));
    dispatcher.dispatch(event({ type: 'login.failed' }));
    await until(() => sent.length === 1);
    await settle();
    expect(sent.map((s) => s.headers['x-gatehouse-event'])).toEqual(['login.failed']);
  });

  test('retries failures with exponential backoff, up to maxAttempts, then gives up', async () => {
    const { timers, sent, outcomes, dispatcher } = await setUp([{ status: 500 }, { error: 'network', message: 'ECONNRESET' }, { status: 503 }, { status: 502 }]);
    dispatcher.dispatch(event());
    for (const expected of [[1000], [2000], [4000]]) {
      await until(() => timers.delays().length === 1);
      expect(timers.delays()).toEqual(expected);
      timers.runDue();
    }
    await until(() => outcomes.length === 4);
    expect(outcomes).toEqual([['retrying', 1], ['retrying', 2], ['retrying', 3], ['failed', 4]]);
    expect(sent.map((s) => s.headers['x-gatehouse-attempt'])).toEqual(['1', '2', '3', '4']);
    expect(new Set(sent.map((s) => s.headers['x-gatehouse-delivery'])).size).toBe(1);
    expect(timers.delays()).toEqual([]);
  });

  test('a retry that succeeds stops there', async () => {
    const { timers, outcomes, dispatcher } = await setUp([{ status: 429 }]);
    dispatcher.dispatch(event());
    await until(() => timers.delays().length === 1);
    timers.runDue();
    await until(() => outcomes.length === 2);
    expect(outcomes).toEqual([['retrying', 1], ['delivered', 2]]);
  });

  test('a refused target or a final 4xx answer is not retried', async () => {
    const { timers, outcomes, dispatcher } = await setUp([{ error: 'refused', message: 'loopback' }, { status: 410 }], [hook(), hook({ id: 'wh_2' })]);
    dispatcher.dispatch(event());
    await until(() => outcomes.length === 2);
    expect(outcomes).toEqual([['failed', 1], ['failed', 1]]);
    expect(timers.delays()).toEqual([]);
  });

  test('a webhook deleted while its retry waits gets nothing more', async () => {
    const { store, timers, sent, outcomes, dispatcher } = await setUp([{ status: 500 }]);
    dispatcher.dispatch(event());
    await until(() => timers.delays().length === 1);
    await store.delete('wh_1');
    timers.runDue();
    await until(() => outcomes.length === 2);
    expect(outcomes).toEqual([['retrying', 1], ['failed', 1]]);
    expect(sent).toHaveLength(1);
  });

  test('close() cancels waiting retries', async () => {
    const { timers, sent, dispatcher } = await setUp([{ status: 500 }]);
    dispatcher.dispatch(event());
    await until(() => timers.delays().length === 1);
    dispatcher.close();
    timers.runDue();
    await settle();
    expect(sent).toHaveLength(1);
  });
});

describe('webhook sender (real HTTP on loopback)', () => {
  let server: Server;
  let port: number;
  const received: Array<{ req: IncomingMessage; body: string }> = [];
  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => { body += c; });
      req.on('end', () => {
        received.push({ req, body });
        res.statusCode = req.url === '/redirect' ? 302 : 204;
        if (req.url === '/redirect') res.setHeader('location', 'http://169.254.169.254/');
        res.end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  test('posts to an allowed loopback receiver and reports its status; does not follow redirects', async () => {
    const send = createSender({ guard: createAddressGuard({ allowPrivate: false, allowedCidrs: ['127.0.0.1/32'] }), timeoutMs: 2000 });
    expect(await send(new URL(`http://127.0.0.1:${port}/in`), '{"a":1}', { 'content-type': 'application/json' })).toEqual({ status: 204 });
    expect(received.at(-1)).toMatchObject({ body: '{"a":1}', req: { method: 'POST', url: '/in' } });
    expect(await send(new URL(`http://127.0.0.1:${port}/redirect`), '{}', {})).toEqual({ status: 302 });
  });

  test('refuses loopback under the default policy without connecting', async () => {
    const before = received.length;
    const send = createSender({ guard: createAddressGuard(STRICT_POLICY), timeoutMs: 2000 });
    expect(await send(new URL(`http://127.0.0.1:${port}/in`), '{}', {})).toMatchObject({ error: 'refused' });
    expect(await send(new URL(`http://localhost:${port}/in`), '{}', {})).toMatchObject({ error: 'refused' });
    expect(received.length).toBe(before);
  });

  test('DNS rebinding: a name public at the check but loopback at connect time is refused at the socket', async () => {
    const before = received.length;
    // The pre-check sees a public answer; the connection's own look-up then gets 127.0.0.1.
    const send = createSender({ guard: createAddressGuard(STRICT_POLICY), timeoutMs: 2000, resolve: async () => ['93.184.215.14'] });
    expect(await send(new URL(`http://localhost:${port}/in`), '{}', {})).toMatchObject({ error: 'refused' });
    expect(received.length).toBe(before);
  });
});
