/**
 * A minimal browser for black-box tests: a cookie jar, manual redirects and form posts.
 * It stands where a person's browser stands in the authorization code flow; the relying
 * party side of each test uses openid-client.
 */
export interface Page {
  status: number;
  url: string;
  html: string;
  headers: Headers;
}

export class Browser {
  readonly cookies = new Map<string, string>();

  /** Follows redirects on the server's origin; stops at the first one that leaves it. */
  async open(url: string, init: RequestInit = {}, stopAt?: string): Promise<Page> {
    let current = url;
    let request = init;
    for (let hop = 0; hop < 10; hop += 1) {
      const res = await fetch(current, { ...request, redirect: 'manual', headers: this.headersFor(request.headers) });
      this.store(res.headers);
      const location = res.headers.get('location');
      if (res.status >= 300 && res.status < 400 && location) {
        const next = new URL(location, current).href;
        if (stopAt && next.startsWith(stopAt)) return { status: res.status, url: next, html: '', headers: res.headers };
        current = next;
        request = {};
        continue;
      }
      return { status: res.status, url: current, html: await res.text(), headers: res.headers };
    }
    throw new Error(`too many redirects from ${url}`);
  }

  /** Submits the form whose action matches, with the page's hidden inputs plus `fields`. */
  async submit(page: Page, action: RegExp, fields: Record<string, string>, stopAt?: string): Promise<Page> {
    const form = [...page.html.matchAll(/<form[^>]*action="([^"]+)"[^>]*>([\s\S]*?)<\/form>/g)]
      .find(([, formAction]) => action.test(formAction!));
    if (!form) throw new Error(`no form matching ${action} on ${page.url}:\n${page.html}`);
    const body = new URLSearchParams();
    for (const [, name, value] of form[2]!.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g)) {
      body.set(name!, decodeEntities(value!));
    }
    for (const [name, value] of Object.entries(fields)) body.set(name, value);
    const target = new URL(decodeEntities(form[1]!), page.url).href;
    return this.open(target, {
      method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded', origin: new URL(page.url).origin },
    }, stopAt);
  }

  private headersFor(extra: ConstructorParameters<typeof Headers>[0]): Headers {
    const headers = new Headers(extra);
    headers.set('accept', 'text/html');
    if (this.cookies.size) headers.set('cookie', [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '));
    return headers;
  }

  private store(headers: Headers): void {
    for (const cookie of headers.getSetCookie()) {
      const [pair] = cookie.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      if (value === '' || /expires=Thu, 01 Jan 1970/i.test(cookie)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }
}

function decodeEntities(value: string): string {
  return value.replace(/&amp;/g, '&').replace(/&#34;|&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>');
}
