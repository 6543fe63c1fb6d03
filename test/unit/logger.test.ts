import { Writable } from 'node:stream';

import { createLogger } from '../../src/observability/logger.ts';

describe('log redaction', () => {
  test('passwords, secrets, tokens, cookies and Authorization headers never reach the log', () => {
    let out = '';
    const sink = new Writable({ write(chunk: Buffer, _e, done) { out += chunk.toString(); done(); } });
    const logger = createLogger('info', { destination: sink });
    logger.info({
      password: 'pw-1', client_secret: 'cs-2', secret: 's-3', token: 't-4', access_token: 'at-5', refresh_token: 'rt-6',
      id_token: 'it-7', code: 'c-8', code_verifier: 'cv-9', authorization: 'Basic a-10',
      headers: { authorization: 'Bearer a-11', cookie: 'c=a-12' },
      body: { password: 'pw-13', client_secret: 'cs-14' },
      req: { headers: { authorization: 'Bearer a-15', cookie: '_session=a-16' } },
      keys: [{ kty: 'EC', d: 'private-17' }],
      visible: 'kept',
    }, 'event');
    for (const secret of ['pw-1', 'cs-2', 's-3', 't-4', 'at-5', 'rt-6', 'it-7', 'c-8', 'cv-9', 'a-10', 'a-11', 'a-12', 'pw-13', 'cs-14', 'a-15', 'a-16', 'private-17']) {
      expect(out).not.toContain(secret);
    }
    expect(JSON.parse(out)).toMatchObject({ visible: 'kept', password: '[redacted]', msg: 'event' });
  });
});
