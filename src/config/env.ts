/**
 * Small readers for environment variables. Each one names the variable in its error,
 * so a bad value stops the start with a message an operator can act on.
 */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export type Env = Readonly<Record<string, string | undefined>>;

function raw(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

export function readString(env: Env, name: string, fallback: string): string;
export function readString(env: Env, name: string): string | undefined;
export function readString(env: Env, name: string, fallback?: string): string | undefined {
  return raw(env, name) ?? fallback;
}

export function readInt(
  env: Env, name: string, fallback: number, bounds: { min?: number; max?: number; unit?: string } = {},
): number {
  const value = raw(env, name);
  if (value === undefined) return fallback;
  const { min = 1, max = Number.MAX_SAFE_INTEGER, unit = '' } = bounds;
  const what = min >= 1 ? 'a positive' : 'a non-negative';
  const parsed = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(parsed) || parsed < min || parsed > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? '' : ` between ${min} and ${max}`;
    throw new ConfigError(`${name} must be ${what} whole number${unit ? ` of ${unit}` : ''}${range} (got "${value}")`);
  }
  return parsed;
}

export function readUrl(env: Env, name: string, protocols: readonly string[]): URL | undefined {
  const value = raw(env, name);
  if (value === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(`${name} must be an absolute URL (got "${redactUrl(value)}")`);
  }
  if (!protocols.includes(url.protocol)) {
    const listed = protocols.length > 1 ? `${protocols.slice(0, -1).join(', ')} or ${protocols.at(-1)}` : protocols[0];
    throw new ConfigError(`${name} must use ${listed} (got "${url.protocol}")`);
  }
  return url;
}

export function readList(env: Env, name: string, separator: RegExp = /[\s,]+/): string[] | undefined {
  const value = raw(env, name);
  return value === undefined ? undefined : value.split(separator).filter(Boolean);
}

export function readEnum<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const value = raw(env, name);
  if (value === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(value)) {
    throw new ConfigError(`${name} must be one of ${allowed.join(', ')} (got "${value}")`);
  }
  return value as T;
}

/** Connection strings carry passwords: never echo them whole. */
export function redactUrl(value: string): string {
  return value.replace(/\/\/([^/@]*)@/, '//***@');
}
