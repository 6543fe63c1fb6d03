import { request } from 'node:http';

import { startTestServer, type TestServer } from '../support/gatehouse.ts';
import { flawOf, isParseableError, prepareTargets, SERVER_ENV, type Endpoint, type Targets } from './bad-input-targets.ts';

const MAX_BODY_BYTES = 32 * 1024;

interface Reply { status: number; contentType: string | null; body: string }

/**
 * Bad input on every endpoint that takes input: a 4xx the client can parse (JSON with
 * `error`, or the HTML error page), never a 5xx, a stack trace or a secret. The same
 * endpoints get thousands of generated requests in bad-input-fuzz.test.ts.
 */
describe('bad input', () => {
  let server: TestServer;
  let targets: Targets;
  let url: URL;

  beforeAll(async () => {
    server = await startTestServer({ ...SERVER_ENV, MAX_BODY_BYTES: String(MAX_BODY_BYTES) });
    url = new URL(server.issuer);
    targets = await prepareTargets(server);
  });
  afterAll(() => server.close());

  const endpoint = (name: string) => targets.endpoints.find((e) => e.name === name)!;
  const bodied = () => targets.endpoints.filter((e) => e.kind !== 'query');

  /** A raw request (node:http): bytes as given, no client-side checks, optional chunking. */
  function send(method: string, path: string, headers: Record<string, string>, body?: Buffer | string, chunked = false): Promise<Reply> {
    return new Promise((resolve, reject) => {
      const req = request({ host: url.hostname, port: url.port, method, path, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode!, contentType: res.headers['content-type'] ?? null, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      });
      req.on('error', reject);
      if (body !== undefined && chunked) {
        const bytes = Buffer.from(body);
        for (let i = 0; i < bytes.length; i += 4096) req.write(bytes.subarray(i, i + 4096));
      } else if (body !== undefined) {
        req.setHeader('content-length', Buffer.byteLength(body));
        req.write(body);
      }
      req.end();
    });
  }

  /** A request to `e` with its own headers (credentials, cookies) and the given body. */
  const to = (e: Endpoint, body?: Buffer | string, extra: Record<string, string> = {}, chunked = false) =>
    send(e.method, e.path, { ...e.headers, ...extra }, body, chunked);

  const formOf = (params: Record<string, string>) => new URLSearchParams(params).toString();
  const jsonOf = (params: Record<string, string>) => JSON.stringify(params);
  const bodyOf = (e: Endpoint, params: Record<string, string> = e.params) => (e.kind === 'json' ? jsonOf(params) : formOf(params));

  /**
   * Answered as input, not as a fault: below 500, no stack trace or secret, and a refusal
   * is one a client can parse. (Some bad input is still a valid request: introspection
   * answers `active: false` for any string, and unknown parameters are ignored.)
   */
  function expectHandled(reply: Reply, label: string) {
    const refused = reply.status >= 400;
    expect({
      label, below500: reply.status < 500, flaw: flawOf(reply.body, targets.secrets),
      parseable: !refused || isParseableError(reply.contentType, reply.body),
    }).toEqual({ label, below500: true, flaw: undefined, parseable: true });
  }

  /** Handled, and refused with a 4xx (one of `statuses` when given). */
  function expectRefused(reply: Reply, label: string, statuses?: number[]) {
    expectHandled(reply, label);
    const expected = statuses ? (statuses.includes(reply.status) ? reply.status : statuses.join(' or ')) : reply.status;
    expect({ label, status: reply.status, refused: reply.status >= 400 }).toEqual({ label, status: expected, refused: true });
  }

  test('a body larger than MAX_BODY_BYTES is 413 before it is read: JSON for an API client, the error page for a browser', async () => {
    for (const e of bodied()) {
      const big = bodyOf(e, { ...e.params, padding: 'x'.repeat(MAX_BODY_BYTES) });
      const reply = await to(e, big, { accept: 'application/json' });
      expectRefused(reply, e.name, [413]);
      expect(JSON.parse(reply.body)).toEqual({ error: 'invalid_request', error_description: `the request body is larger than ${MAX_BODY_BYTES} bytes` });
      expectRefused(await to(e, big, { accept: 'text/html' }), `${e.name} (browser)`, [413]);
    }
    // Just under the limit is read and judged on its content.
    const token = endpoint('token');
    const under = await to(token, formOf({ ...token.params, padding: 'x'.repeat(MAX_BODY_BYTES - 200) }));
    expect(under.status).not.toBe(413);
  });

  test('a chunked body (no declared length) is cut off at the reader\'s own cap', async () => {
    for (const e of bodied()) {
      const reply = await to(e, bodyOf(e, { ...e.params, padding: 'x'.repeat(80 * 1024) }), {}, true);
      expectHandled(reply, e.name);
    }
    for (const [name, status] of [['token', 400], ['login form', 413], ['invitation form', 413], ['admin: create API key', 413]] as const) {
      const e = endpoint(name);
      expectRefused(await to(e, bodyOf(e, { ...e.params, padding: 'x'.repeat(80 * 1024) }), { accept: 'application/json' }, true), name, [status]);
    }
  });

  test('a body that is not UTF-8', async () => {
    const invalid = Buffer.concat([Buffer.from('email=a'), Buffer.from([0xc3, 0x28, 0xff, 0xfe]), Buffer.from('&password=x')]);
    for (const e of bodied()) expectHandled(await to(e, invalid), e.name);
    const login = await to(endpoint('login form'), invalid, { accept: 'application/json' });
    expect(JSON.parse(login.body)).toEqual({ error: 'invalid_request', error_description: 'the form is not valid UTF-8' });
    const admin = await to(endpoint('admin: create API key'), Buffer.concat([Buffer.from('{"name":"'), Buffer.from([0xff]), Buffer.from('"}')]));
    expect(admin.status).toBe(400);
    expect(JSON.parse(admin.body).error_description).toBe('the request body is not valid UTF-8');
  });

  test('%-escapes that are broken or decode to invalid UTF-8 in a form', async () => {
    for (const body of ['email=%E0%A4%A&password=x', 'email=%FF&password=x', 'email=%&password=x']) {
      const reply = await to(endpoint('login form'), body, { accept: 'application/json' });
      expectRefused(reply, body, [400]);
    }
  });

  describe('a parameter sent twice is invalid_request (RFC 6749 §3.1)', () => {
    test.each([
      ['token', 'grant_type=client_credentials&grant_type=client_credentials&scope=api:read'],
      ['introspection', 'token=a&token=b'],
      ['revocation', 'token=a&token=b'],
      ['login form', 'csrf=a&csrf=b&email=x&password=y'],
      ['consent form', 'csrf=a&decision=deny&decision=allow'],
      ['invitation form', 'csrf=a&password=x&password=y&password_confirm=x'],
    ])('%s', async (name, body) => {
      const reply = await to(endpoint(name), body, { accept: 'application/json' });
      expectRefused(reply, name, [400]);
      expect(JSON.parse(reply.body).error).toBe('invalid_request');
      expect(JSON.parse(reply.body).error_description).toMatch(/twice|more than once/);
    });

    test.each([
      ['authorization (GET)', 'client_id'],
      ['logout (GET)', 'post_logout_redirect_uri'],
    ])('%s: %s in the query', async (name, param) => {
      const e = endpoint(name);
      const query = `${new URLSearchParams(e.params)}&${param}=${encodeURIComponent(e.params[param]!)}`;
      const reply = await send('GET', `${e.path}?${query}`, e.headers);
      expectRefused(reply, name, [400]);
      expect(reply.body).toMatch(/must not be provided twice/);
    });

    test('admin API query', async () => {
      const e = endpoint('admin: list clients');
      expectRefused(await send('GET', `${e.path}?limit=1&limit=2`, e.headers), e.name, [400]);
    });
  });

  test('the wrong content type', async () => {
    const cases: Array<[string, string, string, number[]]> = [
      ['token', 'application/json', '{"grant_type":"client_credentials"}', [400]],
      ['token', 'text/plain', 'grant_type=client_credentials', [400]],
      ['introspection', 'multipart/form-data; boundary=x', '--x--', [400]],
      ['login form', 'application/json', '{}', [415]],
      ['invitation form', 'text/plain', 'password=x', [415]],
      ['admin: create API key', 'application/x-www-form-urlencoded', 'name=x', [415]],
      ['admin: create API key', 'application/json; charset=utf-16le', Buffer.from('{"name":"x"}', 'utf16le').toString('latin1'), [400]],
      ['token', ';;;=', 'grant_type=client_credentials', [400]],
    ];
    for (const [name, type, body, statuses] of cases) {
      const reply = await to(endpoint(name), Buffer.from(body, 'latin1'), { 'content-type': type, accept: 'application/json' });
      expectRefused(reply, `${name} as ${type}`, statuses);
    }
    // An unknown charset parameter on a form is ignored (the body is ASCII either way).
    const charset = await to(endpoint('token'), 'grant_type=client_credentials&scope=api:read', {
      'content-type': 'application/x-www-form-urlencoded; charset=no-such-charset',
    });
    expectHandled(charset, 'token with an unknown charset');
  });

  test('malformed or hostile JSON', async () => {
    const e = endpoint('admin: create API key');
    const cases: Array<[string, string]> = [
      ['truncated', '{"name":'],
      ['not JSON', "{name:'x'}"],
      ['a NUL in a value', '{"name":"a\\u0000b","scopes":["admin:api-keys:read"]}'],
      ['a NUL in a name', '{"na\\u0000me":"x"}'],
      ['nested 10 000 deep', `${'['.repeat(10000)}${']'.repeat(10000)}`],
      ['nested 33 deep in a known field', `{"name":"x","scopes":${'['.repeat(33)}${']'.repeat(33)}}`],
      ['a prototype key', '{"__proto__":{"admin":true},"name":"x","scopes":["admin:api-keys:read"]}'],
      ['a huge number', `{"name":"x","expires_in_days":1${'0'.repeat(400)}}`],
      ['a lone surrogate', '{"name":"\\ud800","scopes":["admin:api-keys:read"]}'],
      ['a lone surrogate in a name', '{"name":"x","\\udc00":1}'],
    ];
    for (const [label, body] of cases) expectRefused(await to(e, body), label);
    const nul = await to(e, cases[2]![1]);
    expect(JSON.parse(nul.body).error_description).toBe('the request body contains a NUL character');
    const deep = await to(e, cases[4]![1]);
    expect(JSON.parse(deep.body).error_description).toBe('the request body is nested deeper than 32 levels');
    const surrogate = await to(e, cases[8]![1]);
    expect(JSON.parse(surrogate.body).error_description).toBe('the request body contains text that is not well-formed Unicode');
  });

  test('a header larger than the server takes is 431, and the server goes on', async () => {
    const reply = await send('GET', '/healthz', { 'x-padding': 'x'.repeat(20 * 1024) });
    expect(reply.status).toBe(431);
    expect((await send('GET', '/healthz', {})).status).toBe(200);
  });

  test('absurdly long parameter values', async () => {
    for (const e of bodied()) {
      const long = Object.fromEntries(Object.keys(e.params).map((k) => [k, 'x'.repeat(6000)]));
      expectHandled(await to(e, bodyOf(e, long), { accept: 'application/json' }), e.name);
    }
    const auth = endpoint('authorization (GET)');
    const reply = await send('GET', `${auth.path}?${new URLSearchParams({ ...auth.params, client_id: 'x'.repeat(12000) })}`, auth.headers);
    expectRefused(reply, 'authorization with a 12 kB client_id', [400]);
  });

  test('NUL characters in parameters', async () => {
    const cases: Array<[string, string]> = [
      ['token', 'grant_type=client_credentials%00&scope=api:read'],
      ['token (client_secret_post)', 'grant_type=client_credentials&client_id=service-post%00&client_secret=x'],
      ['introspection', 'token=abc%00def'],
      ['login form', 'csrf=x&email=ada%40example.com%00&password=x'],
      ['invitation form', 'csrf=x&password=a%00b&password_confirm=a%00b'],
    ];
    for (const [name, body] of cases) expectHandled(await to(endpoint(name), body, { accept: 'application/json' }), name);
    const introspection = await to(endpoint('introspection'), 'token=abc%00def', { accept: 'application/json' });
    expect(JSON.parse(introspection.body)).toEqual({ active: false });
    for (const name of ['token', 'login form', 'invitation form']) {
      expectRefused(await to(endpoint(name), cases.find(([n]) => n === name)![1], { accept: 'application/json' }), name);
    }
    const auth = endpoint('authorization (GET)');
    expectRefused(await send('GET', `${auth.path}?${new URLSearchParams({ ...auth.params, client_id: 'web\0' })}`, auth.headers), 'authorization', [400]);
    const invitation = endpoint('invitation page');
    expectRefused(await send('GET', `${invitation.path}%00`, invitation.headers), 'invitation with NUL', [404]);
    expectRefused(await send('GET', '/interaction/%00/login', { accept: 'text/html' }), 'interaction with NUL');
  });

  test('a huge number of parameters', async () => {
    const many = (n: number) => Array.from({ length: n }, (_, i) => `p${i}=1`).join('&');
    for (const e of bodied().filter((x) => x.kind === 'form')) {
      expectHandled(await to(e, `${formOf(e.params)}&${many(3000)}`, { accept: 'application/json' }), e.name);
    }
    const login = await to(endpoint('login form'), many(100), { accept: 'application/json' });
    expect(JSON.parse(login.body)).toEqual({ error: 'invalid_request', error_description: 'the form has more than 32 fields' });
    const auth = endpoint('authorization (GET)');
    expectRefused(await send('GET', `${auth.path}?${many(1500)}`, auth.headers), 'authorization with 1500 parameters');
  });

  test('paths with broken %-escapes', async () => {
    for (const path of ['/interaction/%E0%A4%A', '/invitations/%', '/interaction/%ZZ/login', '/%ZZ']) {
      expectRefused(await send('GET', path, { accept: 'application/json' }), path);
    }
    // Every admin route with a path parameter, called by an authorised caller so the
    // parameter reaches the handler, with every method the route takes.
    const admin = endpoint('admin: create API key').headers;
    const doc = JSON.parse((await send('GET', '/api/v1/openapi.json', {})).body) as { paths: Record<string, Record<string, unknown>> };
    const routes = Object.entries(doc.paths).filter(([path]) => path.includes('{'));
    expect(routes.length).toBeGreaterThan(5);
    for (const [path, operations] of routes) {
      for (const method of Object.keys(operations)) {
        for (const broken of ['%ZZ', '%E0%A4%A', '%']) {
          const target = `/api/v1${path.replace(/\{\w+\}/g, broken)}`;
          const body = ['post', 'put', 'patch'].includes(method) ? '{}' : undefined;
          expectRefused(await send(method.toUpperCase(), target, { ...admin, accept: 'application/json' }, body), `${method} ${target}`);
        }
      }
    }
  });

  test('an address nothing answers, or a method a route does not take, is a parseable 404/405', async () => {
    const missing = await send('GET', '/no/such/page', { accept: 'application/json' });
    expectRefused(missing, 'missing', [404]);
    expect(JSON.parse(missing.body).error).toBe('not_found');
    expectRefused(await send('GET', '/no/such/page', { accept: 'text/html' }), 'missing (browser)', [404]);
    expectRefused(await send('POST', '/session/end/success', { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' }, 'a=b'), 'POST /session/end/success', [404]);
    const wrongMethod = await send('PUT', '/api/v1/api-keys', { ...endpoint('admin: create API key').headers, accept: 'application/json' }, '{}');
    expectRefused(wrongMethod, 'PUT /api/v1/api-keys', [405]);
  });

  test('after all that, the server is healthy', async () => {
    expect(await send('GET', '/healthz', {})).toMatchObject({ status: 200 });
  });
});
