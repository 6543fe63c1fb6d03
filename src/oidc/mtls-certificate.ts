import { X509Certificate } from 'node:crypto';

/** PEM of a DER certificate, as node-oidc-provider takes it from `getCertificate`. */
export function derToPem(der: Buffer): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`;
}

/**
 * A proxy header's certificate: a URL-encoded PEM (nginx `$ssl_client_escaped_cert`,
 * HAProxy and Envoy can send the same) or a bare base64 DER. Anything else, including
 * several values joined by a comma (the header sent twice), is no certificate at all.
 */
export function certificateFromHeader(value: string | string[] | undefined): X509Certificate | undefined {
  if (typeof value !== 'string' || value === '' || value.includes(',')) return undefined;
  try {
    const text = decodeURIComponent(value).trim();
    if (text.startsWith('-----BEGIN CERTIFICATE-----')) return new X509Certificate(text);
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text)) return undefined;
    return new X509Certificate(Buffer.from(text, 'base64'));
  } catch {
    return undefined;
  }
}

export type SubjectProperty =
  'tls_client_auth_subject_dn' | 'tls_client_auth_san_dns' | 'tls_client_auth_san_uri' | 'tls_client_auth_san_ip' | 'tls_client_auth_san_email';

const SAN_TYPE: Readonly<Record<Exclude<SubjectProperty, 'tls_client_auth_subject_dn'>, string>> = {
  tls_client_auth_san_dns: 'DNS', tls_client_auth_san_uri: 'URI', tls_client_auth_san_ip: 'IP Address', tls_client_auth_san_email: 'email',
};

/**
 * RFC 8705 §2.1.2: the registered value must match the certificate's subject DN
 * (RFC 4514 string) or one subjectAltName entry of the registered kind exactly.
 */
export function subjectMatches(cert: X509Certificate, property: SubjectProperty, expected: string): boolean {
  if (property === 'tls_client_auth_subject_dn') {
    const want = parseRfc4514(expected);
    // node prints one RDN per line, most significant first, values escaped as in RFC 4514 §2.4.
    const have = (cert.subject ?? '').split('\n').filter(Boolean).map((line) => parseRfc4514(line)?.[0]);
    return want !== undefined && have.length === want.length && have.every((rdn, i) => rdn !== undefined && sameRdn(rdn, want[i]));
  }
  const type = SAN_TYPE[property];
  return subjectAltNames(cert).some((san) => san.type === type && sanEqual(type, san.value, expected));
}

type Rdn = readonly [type: string, value: string];

/** Attribute types are case-insensitive; values compare with caseIgnoreMatch (RFC 4517 §4.2.11). */
const norm = (s: string) => s.trim().replace(/\s+/g, ' ').toLowerCase();
const sameRdn = (a: Rdn, b: Rdn | undefined) => b !== undefined && norm(a[0]) === norm(b[0]) && norm(a[1]) === norm(b[1]);

/**
 * An RFC 4514 DN ("CN=svc,O=Example\, Inc.,C=SE"), returned most significant first (the
 * order node prints `subject` in). Multi-valued RDNs ("+") are not supported: no match.
 */
export function parseRfc4514(dn: string): Rdn[] | undefined {
  const rdns: Rdn[] = [];
  let type = '';
  let value = '';
  let inValue = false;
  for (let i = 0; i < dn.length; i += 1) {
    const c = dn[i]!;
    if (c === '\\') {
      const hex = /^[0-9a-fA-F]{2}/.exec(dn.slice(i + 1))?.[0];
      const escaped = hex ? String.fromCharCode(parseInt(hex, 16)) : dn[i + 1];
      if (escaped === undefined) return undefined;
      if (inValue) value += escaped; else type += escaped;
      i += hex ? 2 : 1;
    } else if (c === '+') {
      return undefined;
    } else if (c === '=' && !inValue) {
      inValue = true;
    } else if (c === ',' || c === ';') {
      if (!inValue) return undefined;
      rdns.push([type, value]);
      type = ''; value = ''; inValue = false;
    } else if (inValue) value += c; else type += c;
  }
  if (!inValue || !type.trim()) return undefined;
  rdns.push([type, value]);
  return rdns.reverse();
}

/**
 * node prints subjectAltName as `DNS:a, URI:b, IP Address:c, email:d`; an entry whose
 * value holds a comma or quote is printed JSON-quoted (node ≥ 17.3.1, CVE-2021-44532).
 */
export function subjectAltNames(cert: X509Certificate): Array<{ type: string; value: string }> {
  const text = cert.subjectAltName ?? '';
  const out: Array<{ type: string; value: string }> = [];
  let i = 0;
  while (i < text.length) {
    const colon = text.indexOf(':', i);
    if (colon < 0) break;
    const type = text.slice(i, colon);
    let value: string;
    let end: number;
    if (text[colon + 1] === '"') {
      const close = findClosingQuote(text, colon + 2);
      value = JSON.parse(text.slice(colon + 1, close + 1)) as string;
      end = close + 1;
    } else {
      end = text.indexOf(', ', colon);
      if (end < 0) end = text.length;
      value = text.slice(colon + 1, end);
    }
    out.push({ type, value });
    i = end + 2;
  }
  return out;
}

function findClosingQuote(text: string, from: number): number {
  for (let i = from; i < text.length; i += 1) {
    if (text[i] === '\\') i += 1;
    else if (text[i] === '"') return i;
  }
  return text.length - 1;
}

/** DNS names and email domains are case-insensitive; URIs and IP addresses compare as written. */
function sanEqual(type: string, have: string, want: string): boolean {
  if (type === 'DNS') return have.toLowerCase() === want.toLowerCase();
  if (type === 'email') {
    const [hl, hd] = splitEmail(have);
    const [wl, wd] = splitEmail(want);
    return hl === wl && hd.toLowerCase() === wd.toLowerCase();
  }
  if (type === 'IP Address') return normalizeIp(have) === normalizeIp(want);
  return have === want;
}

function splitEmail(s: string): [string, string] {
  const at = s.lastIndexOf('@');
  return [s.slice(0, at), s.slice(at + 1)];
}

/** node prints IPv6 SANs in full upper-case groups; compare through URL's canonical form. */
function normalizeIp(ip: string): string {
  if (!ip.includes(':')) return ip;
  try {
    return new URL(`http://[${ip}]/`).hostname;
  } catch {
    return ip.toLowerCase();
  }
}
