import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Webhook signatures: `X-Gatehouse-Signature: t=<unix seconds>,v1=<hex>` where v1 is
 * HMAC-SHA-256(secret, `<t>.<raw body>`). Signing the timestamp with the body lets a
 * receiver refuse replays older than a few minutes; `v1` names the scheme so a later one
 * can be sent alongside during a migration.
 */
export const SIGNATURE_HEADER = 'X-Gatehouse-Signature';

export function signPayload(secret: string, body: string, unixSeconds: number): string {
  const mac = createHmac('sha256', secret).update(`${unixSeconds}.${body}`, 'utf8').digest('hex');
  return `t=${unixSeconds},v1=${mac}`;
}

/**
 * What a receiver does (used by the tests, and a reference for users): parse the header,
 * recompute, compare in constant time, and check the timestamp is recent.
 */
export function verifySignature(secret: string, body: string, header: string, options: { now?: number; toleranceSeconds?: number } = {}): boolean {
  const parts = new Map(header.split(',').map((p) => p.split('=', 2) as [string, string]));
  const t = Number(parts.get('t'));
  const v1 = parts.get('v1') ?? '';
  if (!Number.isInteger(t) || !/^[0-9a-f]{64}$/.test(v1)) return false;
  const now = options.now ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - t) > (options.toleranceSeconds ?? 300)) return false;
  const expected = signPayload(secret, body, t).split('v1=')[1]!;
  return timingSafeEqual(Buffer.from(expected, 'hex'), Buffer.from(v1, 'hex'));
}

/**
 * The signing secret of one webhook: derived from the server's pepper and the webhook's
 * random salt, never stored. Shown once when the webhook is created; a new secret means
 * a new webhook. Changing SECRET_PEPPER changes every webhook's secret.
 */
export function webhookSecret(pepper: string, hook: { id: string; salt: string }): string {
  const mac = createHmac('sha256', pepper).update(`gatehouse webhook secret\0${hook.id}\0${hook.salt}`, 'utf8').digest('base64url');
  return `whsec_${mac}`;
}
