import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Writes `content` (a string, or JSON-serialised) to a fresh temp file and returns its path. */
export async function seedFile(content: unknown, name = 'seed.json'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'gatehouse-seed-'));
  const path = join(dir, name);
  await writeFile(path, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
  return path;
}

export const GOOD_SECRET = 'web-secret-for-unit-tests-0123456789abcdef';
export const GOOD_PASSWORD = 'correct horse battery staple';

export const goodSeed = () => ({
  accounts: [{ email: 'Ada@Example.com', password: GOOD_PASSWORD, name: 'Ada Lovelace' }],
  clients: [
    {
      client_id: 'spa', token_endpoint_auth_method: 'none', redirect_uris: ['https://spa.example/cb'],
      grant_types: ['authorization_code', 'refresh_token'], scope: 'openid profile', first_party: true,
    },
    {
      client_id: 'web', client_secret: GOOD_SECRET, client_name: 'Web', redirect_uris: ['https://app.example/cb'],
      post_logout_redirect_uris: ['https://app.example/bye'], grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'], token_endpoint_auth_method: 'client_secret_basic', scope: 'openid profile email offline_access',
    },
  ],
});
