import { FORM, form, type HttpClient, type HttpResponse } from './http.ts';

interface Cookie {
  name: string;
  value: string;
  path: string;
}

/**
 * Just enough of a browser for the sign-in scenarios: a cookie jar with paths (node-oidc-
 * provider scopes its interaction cookies to /interaction/<uid> and /auth/<uid>) and
 * manual redirects, so every request of a flow is visible and timed.
 */
export class Browser {
  #client: HttpClient;
  #origin: string;
  #jar = new Map<string, Cookie>();

  constructor(client: HttpClient, origin: string) {
    this.#client = client;
    this.#origin = origin;
  }

  async get(pathOrUrl: string): Promise<HttpResponse> {
    return this.#send('GET', pathOrUrl);
  }

  async post(pathOrUrl: string, values: Record<string, string>): Promise<HttpResponse> {
    return this.#send('POST', pathOrUrl, form(values));
  }

  /** Location of a redirect, resolved against the server's origin. */
  location(res: HttpResponse): URL | undefined {
    const loc = res.headers.location;
    return res.status >= 300 && res.status < 400 && loc ? new URL(loc, this.#origin) : undefined;
  }

  async #send(method: 'GET' | 'POST', pathOrUrl: string, body?: string): Promise<HttpResponse> {
    const url = new URL(pathOrUrl, this.#origin);
    if (url.origin !== this.#origin) throw new Error(`refusing to leave ${this.#origin} for ${url.origin}`);
    const path = url.pathname + url.search;
    const cookie = [...this.#jar.values()]
      .filter((c) => url.pathname === c.path || url.pathname.startsWith(c.path.endsWith('/') ? c.path : `${c.path}/`))
      .map((c) => `${c.name}=${c.value}`).join('; ');
    const headers: Record<string, string> = { accept: 'text/html,application/json' };
    if (cookie) headers.cookie = cookie;
    if (body !== undefined) headers['content-type'] = FORM;
    const res = await this.#client.send(method, path, headers, body);
    for (const line of res.headers['set-cookie'] ?? []) this.#store(line);
    return res;
  }

  #store(line: string): void {
    const [pair = '', ...attributes] = line.split(';');
    const eq = pair.indexOf('=');
    const name = pair.slice(0, eq).trim();
    const value = pair.slice(eq + 1).trim();
    let path = '/';
    let expired = value === '';
    for (const attribute of attributes) {
      const [k = '', v = ''] = attribute.trim().split('=');
      if (k.toLowerCase() === 'path') path = v;
      if (k.toLowerCase() === 'max-age' && Number(v) <= 0) expired = true;
      if (k.toLowerCase() === 'expires' && Date.parse(v) <= Date.now()) expired = true;
    }
    const key = `${name}\n${path}`;
    if (expired) this.#jar.delete(key);
    else this.#jar.set(key, { name, value, path });
  }
}
