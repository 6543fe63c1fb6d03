import { toJSONSchema, type ZodType } from 'zod';

import type { AdminRoute } from './route.ts';

const ERROR = {
  type: 'object',
  required: ['error', 'error_description'],
  properties: {
    error: { type: 'string' },
    error_description: { type: 'string' },
    fields: { type: 'array', items: { type: 'object', properties: { path: { type: 'string' }, message: { type: 'string' } } } },
    scope: { type: 'string', description: 'with insufficient_scope: the scope the operation needs' },
  },
};

const schema = (type: ZodType, io: 'input' | 'output') => toJSONSchema(type, { io, unrepresentable: 'any' });

/** The OpenAPI 3.1 document of the admin API, generated from the route definitions. */
export function buildOpenApi(routes: readonly AdminRoute[], options: { issuer: string }) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const parameters = [...r.path.matchAll(/\{(\w+)\}/g)].map(([, name]) => ({
      name, in: 'path', required: true, schema: { type: 'string' },
    }));
    if (r.query) {
      const query = schema(r.query, 'input') as { properties?: Record<string, unknown>; required?: string[] };
      for (const [name, s] of Object.entries(query.properties ?? {})) {
        parameters.push({ name, in: 'query', required: query.required?.includes(name) ?? false, schema: s as never });
      }
    }
    const responses: Record<string, unknown> = {};
    for (const [status, response] of Object.entries(r.responses)) {
      responses[status] = response.schema
        ? { description: response.description, content: { 'application/json': { schema: schema(response.schema, 'output') } } }
        : { description: response.description };
    }
    for (const status of ['400', '401', '403']) {
      responses[status] ??= { description: 'error', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };
    }
    (paths[r.path] ??= {})[r.method] = {
      operationId: r.operationId,
      summary: r.summary,
      tags: [r.tag],
      security: [{ bearer: r.scope ? [r.scope] : [] }, { apiKey: r.scope ? [r.scope] : [] }],
      ...(r.scope ? { 'x-required-scope': r.scope } : {}),
      ...(r.platformOnly ? { 'x-platform-only': true } : {}),
      ...(parameters.length ? { parameters } : {}),
      ...(r.body ? { requestBody: { required: true, content: { 'application/json': { schema: schema(r.body, 'input') } } } } : {}),
      responses,
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Gatehouse admin API', version: '1' },
    servers: [{ url: `${options.issuer}/api/v1` }],
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'an API key, or an access token for the admin API resource' },
        apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
      },
      schemas: { Error: ERROR },
    },
    paths,
  };
}
