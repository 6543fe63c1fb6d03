import { loadConfig } from '../../../src/config/index.ts';

describe('audit and webhook configuration', () => {
  test('defaults: 90 days of audit log (the last 10 000 events in memory), webhook targets public only, 6 attempts', () => {
    const config = loadConfig({});
    expect(config.audit).toEqual({ retentionDays: 90, memoryMaxEvents: 10_000 });
    expect(config.webhooks).toEqual({ allowPrivate: false, allowedCidrs: [], maxAttempts: 6 });
  });

  test('reads each variable', () => {
    const config = loadConfig({ AUDIT_RETENTION_DAYS: '30', AUDIT_MEMORY_MAX_EVENTS: '500', WEBHOOK_ALLOW_PRIVATE: 'true', WEBHOOK_ALLOWED_CIDRS: '10.20.0.0/16, fd00:1::/64', WEBHOOK_MAX_ATTEMPTS: '3' });
    expect(config.audit).toEqual({ retentionDays: 30, memoryMaxEvents: 500 });
    expect(config.webhooks).toEqual({ allowPrivate: true, allowedCidrs: ['10.20.0.0/16', 'fd00:1::/64'], maxAttempts: 3 });
  });

  test.each([
    [{ AUDIT_RETENTION_DAYS: '0' }, 'AUDIT_RETENTION_DAYS must be a positive whole number of days between 1 and 3650 (got "0")'],
    [{ AUDIT_MEMORY_MAX_EVENTS: '10' }, 'AUDIT_MEMORY_MAX_EVENTS must be a positive whole number between 100 and 1000000 (got "10")'],
    [{ WEBHOOK_ALLOW_PRIVATE: 'yes' }, 'WEBHOOK_ALLOW_PRIVATE must be one of true, false (got "yes")'],
    [{ WEBHOOK_ALLOWED_CIDRS: '10.1.2.3/8' }, 'WEBHOOK_ALLOWED_CIDRS: "10.1.2.3/8" is not a valid CIDR range: host bits are set (did you mean 10.0.0.0/8?)'],
    [{ WEBHOOK_MAX_ATTEMPTS: '50' }, 'WEBHOOK_MAX_ATTEMPTS must be a positive whole number between 1 and 20 (got "50")'],
  ])('refuses %j naming the variable', (env, message) => {
    expect(() => loadConfig(env)).toThrow(message);
  });
});
