import { Writable } from 'node:stream';

import { createAuditSink } from '../../../src/audit/sink.ts';
import { createLogger } from '../../../src/observability/logger.ts';
import { createMemoryAuditStore, type AuditEvent } from '../../../src/stores/audit.ts';

function capturedLogger() {
  const lines: Array<Record<string, unknown>> = [];
  const destination = new Writable({
    write(chunk, _enc, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  return { logger: createLogger('info', { destination }), lines };
}

const SECRET = 'whsec_do-not-store-me-0123456789';
const API_KEY = `gh_test_${'A'.repeat(12)}_${'b'.repeat(43)}_${'C'.repeat(6)}`;

describe('audit sink', () => {
  test('record() returns before anything is stored; flush() writes it, secrets stripped', async () => {
    const store = createMemoryAuditStore({ retentionDays: 90 });
    const { logger, lines } = capturedLogger();
    const sink = createAuditSink({ store, logger });
    sink.record({
      type: 'admin.change', actor: 'boss', orgId: 'o1', target: '/clients/web',
      details: { after: { client_id: 'web', client_secret: SECRET, nested: { password: 'hunter2', note: API_KEY }, token_endpoint_auth_method: 'client_secret_basic' } },
    });
    expect((await store.list({ limit: 10 })).items).toEqual([]);
    await sink.flush();
    const [stored] = (await store.list({ limit: 10 })).items;
    expect(stored).toMatchObject({
      type: 'admin.change', actor: 'boss', orgId: 'o1', target: '/clients/web',
      details: { after: { client_id: 'web', client_secret: '[redacted]', nested: { password: '[redacted]', note: '[redacted]' }, token_endpoint_auth_method: 'client_secret_basic' } },
    });
    expect(JSON.stringify(stored)).not.toContain(SECRET);
    // …and the structured log has the same event, as it was stored.
    const logged = lines.find((l) => l.msg === 'audit event')!;
    expect(logged.audit).toMatchObject({ id: stored!.id, type: 'admin.change', actor: 'boss', org_id: 'o1' });
    expect(JSON.stringify(lines)).not.toContain(SECRET);
    expect(JSON.stringify(lines)).not.toContain('hunter2');
  });

  test('a failing store neither throws into the caller nor loses the next writes; it logs and counts', async () => {
    const { logger, lines } = capturedLogger();
    const failures: Array<[string, number]> = [];
    let fail = true;
    const written: AuditEvent[] = [];
    const sink = createAuditSink({
      store: { append: async (events) => { if (fail) throw new Error('db down'); written.push(...events); } },
      logger, onFailure: (reason, n) => failures.push([reason, n]),
    });
    expect(() => sink.record({ type: 'login.failed', reason: 'invalid_credentials' })).not.toThrow();
    await sink.flush();
    expect(failures).toEqual([['store', 1]]);
    expect(lines.some((l) => l.msg === 'writing audit events failed')).toBe(true);
    fail = false;
    sink.record({ type: 'login.succeeded', subject: 'ada' });
    await sink.flush();
    expect(written.map((e) => e.type)).toEqual(['login.succeeded']);
  });

  test('a store that never answers does not hold up record(); a full queue drops the oldest and counts it', async () => {
    const { logger } = capturedLogger();
    const failures: string[] = [];
    const sink = createAuditSink({ store: { append: () => new Promise(() => {}) }, logger, maxQueue: 2, onFailure: (r) => failures.push(r) });
    for (let i = 0; i < 3; i += 1) sink.record({ type: 'rate_limit.refused' });
    expect(failures).toEqual(['queue_full']);
  });

  test('forwards each stamped event (to webhooks) at once', () => {
    const { logger } = capturedLogger();
    const forwarded: AuditEvent[] = [];
    const sink = createAuditSink({ store: createMemoryAuditStore({ retentionDays: 1 }), logger, forward: (e) => forwarded.push(e), now: () => new Date(0) });
    sink.record({ type: 'consent.granted', subject: 'ada', orgId: 'o1' });
    expect(forwarded).toEqual([{ id: expect.any(String), time: new Date(0), type: 'consent.granted', subject: 'ada', orgId: 'o1' }]);
  });
});
