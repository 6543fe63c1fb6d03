import { fileURLToPath } from 'node:url';
import { parseSeed, SeedError } from '../../../src/seed/index.ts';
import { GOOD_PASSWORD, GOOD_SECRET, goodSeed, seedFile } from './helpers.ts';

const CONFIG = (name: string) => fileURLToPath(new URL(`../../../config/${name}`, import.meta.url));
const ISSUER = { vars: { ISSUER: 'http://localhost:4000' } };

/** Parses `content` from a temp file, expecting failure; returns the error message (and checks the file is named). */
async function problem(content: unknown): Promise<string> {
  const path = await seedFile(content);
  const err = await parseSeed(path, ISSUER).then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(SeedError);
  const message = (err as SeedError).message;
  expect(message.startsWith(`${path}: `)).toBe(true);
  expect(message).not.toContain(GOOD_SECRET);
  expect(message).not.toContain(GOOD_PASSWORD);
  return message.slice(path.length + 2);
}

/** goodSeed() with one client changed. */
const withClient = (i: number, change: Record<string, unknown>) => {
  const seed = goodSeed();
  seed.clients[i] = { ...seed.clients[i]!, ...change } as never;
  return seed;
};

describe('parseSeed: files that are fine', () => {
  test('the example and the dev seed parse; ${ISSUER} is substituted', async () => {
    await expect(parseSeed(CONFIG('seed.example.json'), ISSUER)).resolves.toBeDefined();
    const dev = await parseSeed(CONFIG('dev-seed.json'), ISSUER);
    const app = dev.clients.find((c) => c.client_id === 'demo-app');
    expect(app).toMatchObject({
      redirect_uris: ['http://localhost:4000/demo/callback'], post_logout_redirect_uris: ['http://localhost:4000/'],
      token_endpoint_auth_method: 'none', first_party: true, response_types: ['code'],
    });
    expect(dev.clients.find((c) => c.client_id === 'demo-service')).toMatchObject({
      grant_types: ['client_credentials'], response_types: [], token_endpoint_auth_method: 'client_secret_basic',
    });
    expect(dev.accounts).toMatchObject([{ email: 'demo@gatehouse.local', name: 'Demo User' }]);
  });

  test('normalises, applies RFC 7591 defaults, and hides plain secrets from logs and JSON', async () => {
    const seed = await parseSeed(await seedFile(goodSeed()));
    expect(seed.accounts[0]!.email).toBe('ada@example.com');
    expect(seed.clients[0]!.response_types).toEqual(['code']);
    const minimal = await parseSeed(await seedFile({ clients: [{ client_id: 'm', client_secret: GOOD_SECRET, redirect_uris: ['https://m.example/cb'] }] }));
    expect(minimal.clients[0]).toMatchObject({ grant_types: ['authorization_code'], token_endpoint_auth_method: 'client_secret_basic' });
    expect(JSON.stringify(seed)).not.toContain(GOOD_SECRET);
    expect(JSON.stringify(seed)).not.toContain(GOOD_PASSWORD);
    expect(`${seed.clients[1]!.client_secret}`).toBe('[REDACTED]');
    expect(seed.clients[1]!.client_secret!.reveal()).toBe(GOOD_SECRET);
  });

  test('$comment is ignored anywhere; accounts and clients are optional', async () => {
    const seed = goodSeed();
    await expect(parseSeed(await seedFile({ $comment: 'top', ...seed, accounts: [{ ...seed.accounts[0], $comment: ['a', 'b'] }] }))).resolves.toBeDefined();
    await expect(parseSeed(await seedFile({}))).resolves.toMatchObject({ accounts: [], clients: [] });
  });

  test('private_key_jwt with public jwks, password_hash instead of password', async () => {
    const jwks = { keys: [{ kty: 'EC', crv: 'P-256', x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU', y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0' }] };
    const seed = await parseSeed(await seedFile({
      accounts: [{ email: 'g@example.com', name: 'G', password_hash: '$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA' }],
      clients: [{ client_id: 'svc', grant_types: ['client_credentials'], token_endpoint_auth_method: 'private_key_jwt', jwks }],
    }));
    expect(seed.clients[0]!.jwks).toEqual(jwks);
  });
});

describe('parseSeed: errors name the file, the entry and the field', () => {
  test('not JSON: file and position, without quoting the content', async () => {
    await expect(problem(`{\n  "clients": [{ "client_secret": ${GOOD_SECRET} }]\n}`))
      .resolves.toBe("not valid JSON at line 2 column 34 (position 35): expected a value");
    await expect(problem(`{ "client_secret": "${GOOD_SECRET}" oops }`))
      .resolves.toBe(`not valid JSON at line 1 column ${GOOD_SECRET.length + 23} (position ${GOOD_SECRET.length + 22}): expected ',' or '}' after property value`);
  });

  test('a file that cannot be read', async () => {
    await expect(parseSeed('/nonexistent/seed.json')).rejects.toThrow('/nonexistent/seed.json: cannot be read (ENOENT)');
  });

  test('a placeholder without a value', async () => {
    const path = await seedFile(withClient(1, { redirect_uris: ['${ISSUER}/cb', '${PUBLIC_URL}/cb'] }));
    await expect(parseSeed(path)).rejects.toThrow(`${path}: 2 problems:
  - clients[1] (client_id "web"): redirect_uris[0]: uses \${ISSUER}, which has no value (known: none)
  - clients[1] (client_id "web"): redirect_uris[1]: uses \${PUBLIC_URL}, which has no value (known: none)`);
  });

  test.each([
    [{ redirect_uris: ['/cb'] }, 'clients[1] (client_id "web"): redirect_uris[0]: must be an absolute URL'],
    [{ redirect_uris: ['https://app.example/cb#frag'] }, 'clients[1] (client_id "web"): redirect_uris[0]: must not contain a fragment (RFC 6749 §3.1.2)'],
    [{ token_endpoint_auth_method: 'client_secret_jwt' }, 'clients[1] (client_id "web"): token_endpoint_auth_method: "client_secret_jwt" is not supported: client secrets are stored hashed, so HMAC client assertions cannot be verified; use "private_key_jwt" or "client_secret_basic"'],
    [{ token_endpoint_auth_method: 'attest_jwt_client_auth' }, 'clients[1] (client_id "web"): token_endpoint_auth_method: must be one of "none", "client_secret_basic", "client_secret_post", "private_key_jwt", "tls_client_auth", "self_signed_tls_client_auth"'],
    [{ token_endpoint_auth_method: 'tls_client_auth', client_secret: undefined }, 'clients[1] (client_id "web"): token_endpoint_auth_method: "tls_client_auth" needs exactly one of tls_client_auth_subject_dn, tls_client_auth_san_dns, tls_client_auth_san_uri, tls_client_auth_san_ip, tls_client_auth_san_email (RFC 8705 §2.1.2)'],
    [{ client_secret: undefined }, 'clients[1] (client_id "web"): client_secret: is required for a confidential client (token_endpoint_auth_method "client_secret_basic")'],
    [{ client_secret: 'short-secret' }, 'clients[1] (client_id "web"): client_secret: must be at least 32 characters (use a generated secret)'],
    [{ response_types: ['code', 'id_token'] }, 'clients[1] (client_id "web"): response_types[1]: only "code" is supported (RFC 9700 §2.1.2)'],
    [{ response_types: [] }, 'clients[1] (client_id "web"): response_types: must be ["code"] for the authorization_code grant'],
    [{ grant_types: ['password'] }, 'clients[1] (client_id "web"): grant_types[0]: must be one of "authorization_code", "refresh_token", "client_credentials", "urn:ietf:params:oauth:grant-type:device_code", "urn:ietf:params:oauth:grant-type:token-exchange"'],
    [{ grant_types: ['implicit'] }, 'clients[1] (client_id "web"): grant_types[0]: must be one of "authorization_code", "refresh_token", "client_credentials", "urn:ietf:params:oauth:grant-type:device_code", "urn:ietf:params:oauth:grant-type:token-exchange"'],
    [{ redirect_uris: [] }, 'clients[1] (client_id "web"): redirect_uris: is required for the authorization_code grant'],
    [{ redirect_uri: 'https://app.example/cb' }, 'clients[1] (client_id "web"): unknown field "redirect_uri"'],
    [{ scope: 'openid  profile' }, 'clients[1] (client_id "web"): scope: must be space-separated scope tokens (RFC 6749 §3.3)'],
    [{ first_party: 'yes' }, 'clients[1] (client_id "web"): first_party: must be true or false'],
    [{ client_id: undefined }, 'clients[1]: client_id: is required'],
    [{ client_id: 'spa' }, 'clients[1] (client_id "spa"): client_id: duplicates clients[0]'],
    [{ token_endpoint_auth_method: 'private_key_jwt', client_secret: undefined }, 'clients[1] (client_id "web"): jwks: is required (or jwks_uri) for token_endpoint_auth_method "private_key_jwt"'],
    [{ token_endpoint_auth_method: 'private_key_jwt', client_secret: undefined, jwks: { keys: [{ kty: 'EC', d: 'private' }] } }, 'clients[1] (client_id "web"): jwks.keys[0]: must be a public key (has private member "d")'],
  ])('client %j', async (change, expected) => {
    await expect(problem(withClient(1, change))).resolves.toBe(expected);
  });

  test('public clients: no secret, no client_credentials', async () => {
    await expect(problem(withClient(0, { client_secret: GOOD_SECRET })))
      .resolves.toBe('clients[0] (client_id "spa"): client_secret: must not be set with token_endpoint_auth_method "none"');
    await expect(problem(withClient(0, { grant_types: ['client_credentials'], redirect_uris: undefined })))
      .resolves.toBe('clients[0] (client_id "spa"): grant_types: client_credentials needs a confidential client, not token_endpoint_auth_method "none" (RFC 6749 §4.4)');
  });

  test.each([
    [{ password: 'a'.repeat(7) }, 'accounts[0] (email "Ada@Example.com"): password: must be at least 8 characters'],
    [{ password: '🔐'.repeat(129) }, 'accounts[0] (email "Ada@Example.com"): password: must be at most 128 characters'],
    [{ password: undefined }, 'accounts[0] (email "Ada@Example.com"): password: give exactly one of password or password_hash'],
    [{ password_hash: '$argon2id$v=19$x' }, 'accounts[0] (email "Ada@Example.com"): password: give exactly one of password or password_hash'],
    [{ password: undefined, password_hash: '$2b$10$bcrypt' }, 'accounts[0] (email "Ada@Example.com"): password_hash: must be an argon2id hash ("$argon2id$…")'],
    [{ email: 'not-an-email' }, 'accounts[0] (email "not-an-email"): email: must be an email address'],
    [{ name: '' }, 'accounts[0] (email "Ada@Example.com"): name: must not be empty'],
  ])('account %j', async (change, expected) => {
    const seed = goodSeed();
    seed.accounts[0] = { ...seed.accounts[0]!, ...change } as never;
    await expect(problem(seed)).resolves.toBe(expected);
  });

  test('duplicate emails (after normalisation), unknown top-level fields, several problems at once', async () => {
    const seed = { ...goodSeed(), extra: 1 };
    seed.accounts.push({ ...seed.accounts[0]!, email: ' ada@EXAMPLE.com' });
    await expect(problem(seed)).resolves.toBe(`2 problems:
  - unknown field "extra"
  - accounts[1] (email " ada@EXAMPLE.com"): email: duplicates accounts[0]`);
    const many = withClient(1, { redirect_uris: ['nope'], grant_types: ['password'] });
    await expect(problem(many)).resolves.toMatch(/^2 problems:\n  - clients\[1\] \(client_id "web"\): redirect_uris\[0\]: must be an absolute URL\n  - clients\[1\] \(client_id "web"\): grant_types\[0\]: /);
  });
});
