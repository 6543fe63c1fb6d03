import { Agent, request, type IncomingHttpHeaders } from 'node:http';

export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
}

export interface HttpClient {
  send(method: 'GET' | 'POST', path: string, headers?: Record<string, string>, body?: string): Promise<HttpResponse>;
  close(): void;
}

/**
 * The custom loops' HTTP client: node:http with keep-alive sockets, one per chain. It is
 * lighter than fetch, and the load generator shares the machine's two cores with the
 * server under test: the less it spends per request, the less it hides of the server's cost.
 */
export function httpClient(baseUrl: string, sockets: number): HttpClient {
  const { hostname, port } = new URL(baseUrl);
  const agent = new Agent({ keepAlive: true, maxSockets: sockets, maxFreeSockets: sockets });
  return {
    send(method, path, headers = {}, body) {
      return new Promise((resolve, reject) => {
        const req = request({ host: hostname, port, method, path, agent, headers: {
          ...headers, ...(body !== undefined ? { 'content-length': String(Buffer.byteLength(body)) } : {}),
        } }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', reject);
        });
        req.setTimeout(30_000, () => req.destroy(new Error(`${method} ${path} timed out`)));
        req.on('error', reject);
        req.end(body);
      });
    },
    close: () => agent.destroy(),
  };
}

export const FORM = 'application/x-www-form-urlencoded';

export function basic(clientId: string, secret: string): string {
  // RFC 6749 §2.3.1: form-urlencode both parts before base64.
  return `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64')}`;
}

export function form(values: Record<string, string>): string {
  return new URLSearchParams(values).toString();
}

/** Parses a JSON body or says what came back instead. */
export function json<T>(res: HttpResponse, what: string): T {
  if (res.status !== 200) throw new Error(`${what}: HTTP ${res.status} ${res.text.slice(0, 200)}`);
  return JSON.parse(res.text) as T;
}
