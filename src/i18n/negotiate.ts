/**
 * Which language a page is drawn in. A client's `ui_locales` (OIDC Core §3.1.2.1: the
 * end-user's preferred languages, space-separated BCP 47 tags, most preferred first)
 * wins over the browser's `Accept-Language` (RFC 9110 §12.5.4); the first tag that
 * matches an available language is taken, else the fallback. Matching is RFC 4647 §3.4
 * "lookup": a tag is tried whole, then with its last subtag cut off (de-AT-x → de-AT → de).
 */

// Headers are attacker-controlled: only so many entries are looked at.
const MAX_TAGS = 20;
// RFC 5646 §2.1 in short: alphanumeric subtags of 1-8 characters separated by hyphens.
const LANGUAGE_TAG = /^[a-z]{1,8}(-[a-z0-9]{1,8})*$/i;

/** OIDC Core §3.1.2.1 ui_locales, in the client's order; malformed tags dropped. */
export function parseUiLocales(value: string | undefined): string[] {
  if (!value) return [];
  return value.split(' ').filter((tag) => LANGUAGE_TAG.test(tag)).slice(0, MAX_TAGS);
}

/**
 * RFC 9110 §12.5.4: `language-range [ ";q=" qvalue ]`, comma-separated. Returns the ranges
 * ordered by weight (a stable sort keeps the header's order among equals); q=0 means
 * "not acceptable" and is dropped, as is anything malformed. `*` is kept.
 */
export function parseAcceptLanguage(header: string | undefined): string[] {
  if (!header) return [];
  const ranges: { tag: string; q: number }[] = [];
  for (const part of header.split(',').slice(0, MAX_TAGS)) {
    const [range = '', ...params] = part.split(';').map((p) => p.trim());
    if (range !== '*' && !LANGUAGE_TAG.test(range)) continue;
    let q = 1;
    for (const param of params) {
      const m = /^q=(0(\.\d{0,3})?|1(\.0{0,3})?)$/i.exec(param);
      if (m) q = Number(m[1]);
      else if (/^q=/i.test(param)) q = -1; // a malformed weight: ignore the range
    }
    if (q > 0) ranges.push({ tag: range, q });
  }
  return ranges.sort((a, b) => b.q - a.q).map((r) => r.tag);
}

/** RFC 4647 §3.4 lookup of one tag among the available ones (case-insensitive). */
function lookup(tag: string, available: readonly string[]): string | undefined {
  const byLower = new Map(available.map((a) => [a.toLowerCase(), a]));
  let candidate = tag.toLowerCase();
  while (candidate) {
    const found = byLower.get(candidate);
    if (found) return found;
    const cut = candidate.lastIndexOf('-');
    candidate = cut > 0 ? candidate.slice(0, cut) : '';
    // A single-letter subtag (x-private, a-extension) is dropped with what follows it.
    if (/-[a-z0-9]$/.test(candidate)) candidate = candidate.slice(0, -2);
  }
  return undefined;
}

export interface LocaleRequest {
  /** The authorization request's `ui_locales`, when the page belongs to one. */
  uiLocales?: string | undefined;
  acceptLanguage?: string | undefined;
}

export function negotiateLocale(request: LocaleRequest, available: readonly string[], fallback: string): string {
  const wanted = [...parseUiLocales(request.uiLocales), ...parseAcceptLanguage(request.acceptLanguage)];
  for (const tag of wanted) {
    if (tag === '*') return fallback;
    const found = lookup(tag, available);
    if (found) return found;
  }
  return fallback;
}
