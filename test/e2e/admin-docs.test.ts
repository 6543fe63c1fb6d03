import { readFile } from 'node:fs/promises';

import { startTestServer, type TestServer } from '../support/gatehouse.ts';

/** The README's admin API reference is checked against the served OpenAPI document. */
describe('README "Managing Gatehouse" against /api/v1/openapi.json', () => {
  let server: TestServer;
  // Registration on, so its routes are in the document too.
  beforeAll(async () => { server = await startTestServer({ REGISTRATION: 'initial-access-token' }); });
  afterAll(() => server.close());

  test('names every documented path and every scope a route needs', async () => {
    const doc = await (await fetch(`${server.issuer}/api/v1/openapi.json`)).json() as {
      paths: Record<string, Record<string, { 'x-required-scope'?: string }>>;
    };
    const readme = await readFile(new URL('../../README.md', import.meta.url), 'utf8');
    const section = readme.slice(readme.indexOf('## Managing Gatehouse'), readme.indexOf('## How storage is chosen'));
    const missingPaths = Object.keys(doc.paths).filter((path) => !section.includes(` ${path}\``) && !section.includes(`${path},`) && !section.includes(` ${path} `));
    expect(missingPaths).toEqual([]);
    const scopes = new Set(Object.values(doc.paths).flatMap((ops) => Object.values(ops).map((o) => o['x-required-scope'])).filter(Boolean));
    const missingScopes = [...scopes].filter((scope) => !section.includes(scope!.replace(/:(read|write)$/, ':*')) && !section.includes(scope!));
    expect(missingScopes).toEqual([]);
  });
});
