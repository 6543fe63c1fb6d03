import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';

import { createRoles } from '../security/roles.ts';
import {
  ConfigError, readEnum, readInt, readList, readString, readUrl, redactUrl, type Env,
} from './env.ts';

export { ConfigError } from './env.ts';

const DAY = 24 * 60 * 60;
const DEV_SEED = fileURLToPath(new URL('../../config/dev-seed.json', import.meta.url));

/** Every setting Gatehouse reads; `config/gatehouse.example.env` documents each one. */
export interface Config {
  readonly production: boolean;
  readonly port: number;
  readonly host: string;
  readonly issuer: string;
  readonly redisUrl: string | undefined;
  readonly mongodbUri: string | undefined;
  readonly mongodbDatabase: string;
  /** Keys for signed cookies; the first signs, all verify (rotate by prepending). */
  readonly cookieKeys: readonly string[];
  /** Server-side secret mixed into client-secret hashes (HMAC-SHA-256). */
  readonly secretPepper: string;
  /** True when cookie keys and pepper were generated for this process only. */
  readonly ephemeralSecrets: boolean;
  readonly seedPath: string | undefined;
  readonly seedVars: Readonly<Record<string, string>>;
  readonly scopes: readonly string[];
  readonly ttl: Readonly<{
    accessToken: number; authorizationCode: number; clientCredentials: number; idToken: number;
    refreshToken: number; session: number; interaction: number; grant: number;
  }>;
  readonly argon2: Readonly<{ memoryCost: number; timeCost: number; parallelism: number }>;
  readonly trustProxy: boolean;
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** `json` (one object per line, for collectors) or `pretty` (development; needs dev dependencies). */
  readonly logFormat: 'json' | 'pretty';
  /** Prometheus /metrics on its own listener (not exposed with the public port). */
  readonly metrics: Readonly<{ port: number | undefined; host: string; token: string | undefined }>;
  /** node:cluster workers; 1 = no cluster. */
  readonly workers: number;
  readonly apiKeys: Readonly<{ env: string; defaultExpiresInDays: number; maxExpiresInDays: number }>;
  /** Custom organization roles: name → admin API scopes (besides admin, member, readonly). */
  readonly roles: Readonly<Record<string, readonly string[]>>;
  readonly startupTimeoutMs: number;
  readonly shutdownTimeoutMs: number;
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/; // RFC 6749 §3.3 scope-token

function readSecrets(env: Env, production: boolean) {
  const cookieKeys = readList(env, 'COOKIE_KEYS', /,/)?.map((k) => k.trim());
  const pepper = readString(env, 'SECRET_PEPPER');
  if (cookieKeys?.some((k) => k.length < 32)) {
    throw new ConfigError('COOKIE_KEYS must be a comma-separated list of keys of at least 32 characters each');
  }
  if (pepper !== undefined && pepper.length < 32) {
    throw new ConfigError('SECRET_PEPPER must be at least 32 characters long');
  }
  if (production && !cookieKeys) throw new ConfigError('COOKIE_KEYS is required when NODE_ENV=production');
  if (production && !pepper) throw new ConfigError('SECRET_PEPPER is required when NODE_ENV=production');
  return {
    cookieKeys: cookieKeys ?? [randomBytes(32).toString('base64url')],
    secretPepper: pepper ?? randomBytes(32).toString('base64url'),
    ephemeralSecrets: !cookieKeys || !pepper,
  };
}

/**
 * MongoDB connection strings may list several hosts (`mongodb://a:27017,b:27017/db`),
 * which WHATWG URL parsing rejects, so only the scheme is checked here; the driver
 * validates the rest when it connects.
 */
function readMongoUri(env: Env): string | undefined {
  const uri = readString(env, 'MONGODB_URI');
  if (uri !== undefined && !/^mongodb(\+srv)?:\/\/[^/]+/.test(uri)) {
    throw new ConfigError(`MONGODB_URI must be a mongodb:// or mongodb+srv:// connection string (got "${redactUrl(uri)}")`);
  }
  return uri;
}

function readMetrics(env: Env) {
  const token = readString(env, 'METRICS_TOKEN');
  if (token !== undefined && token.length < 32) {
    throw new ConfigError('METRICS_TOKEN must be at least 32 characters long');
  }
  const port = readString(env, 'METRICS_PORT') === undefined ? undefined : readInt(env, 'METRICS_PORT', 0, { min: 1, max: 65535 });
  return { port, host: readString(env, 'METRICS_HOST', '127.0.0.1'), token };
}

/**
 * Workers share nothing but Redis and MongoDB, so more than one needs Redis at least
 * (sessions, codes and tokens must be visible to every worker).
 */
function readWorkers(env: Env, stores: { redisUrl: string | undefined; mongodbUri: string | undefined }): number {
  const value = readString(env, 'GATEHOUSE_WORKERS');
  const workers = value === 'auto' ? availableParallelism() : readInt(env, 'GATEHOUSE_WORKERS', 1, { max: 256 });
  if (workers > 1 && !stores.redisUrl) {
    throw new ConfigError('GATEHOUSE_WORKERS above 1 needs REDIS_URL: workers share sessions and tokens only through Redis');
  }
  return workers;
}

function readApiKeys(env: Env, production: boolean) {
  const tag = readString(env, 'API_KEY_ENV', production ? 'live' : 'test');
  if (!/^[a-z0-9]{1,8}$/.test(tag)) throw new ConfigError(`API_KEY_ENV must be 1-8 lower-case letters or digits (got "${tag}")`);
  const maxExpiresInDays = readInt(env, 'API_KEY_MAX_EXPIRES_IN_DAYS', 365, { max: 3650, unit: 'days' });
  const defaultExpiresInDays = Math.min(90, maxExpiresInDays);
  return { env: tag, defaultExpiresInDays, maxExpiresInDays };
}

/** `GATEHOUSE_ROLES={"auditor":["admin:accounts:read","admin:grants:read"]}` */
function readRoles(env: Env): Record<string, string[]> {
  const value = readString(env, 'GATEHOUSE_ROLES');
  if (value === undefined) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new ConfigError('GATEHOUSE_ROLES must be a JSON object of role name to an array of scopes');
  }
  const valid = typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
    && Object.values(parsed).every((scopes) => Array.isArray(scopes) && scopes.every((s) => typeof s === 'string'));
  if (!valid) throw new ConfigError('GATEHOUSE_ROLES must be a JSON object of role name to an array of scopes');
  try {
    createRoles(parsed as Record<string, string[]>); // names and scopes are checked once, here
  } catch (err) {
    throw new ConfigError(`GATEHOUSE_ROLES: ${(err as Error).message}`);
  }
  return parsed as Record<string, string[]>;
}

function readScopes(env: Env): string[] {
  const scopes = readList(env, 'API_SCOPES') ?? ['api:read', 'api:write'];
  const bad = scopes.find((s) => !SCOPE_TOKEN.test(s));
  if (bad !== undefined) throw new ConfigError(`API_SCOPES contains an invalid scope value "${bad}" (RFC 6749 §3.3)`);
  return scopes;
}

/** Parses the environment once into a frozen Config; throws ConfigError naming the bad variable. */
export function loadConfig(env: Env = process.env): Config {
  const production = env.NODE_ENV === 'production';
  const port = readInt(env, 'PORT', 3000, { min: 0, max: 65535 });
  const issuerUrl = readUrl(env, 'ISSUER', ['http:', 'https:']);
  if (issuerUrl && (issuerUrl.search || issuerUrl.hash)) {
    throw new ConfigError('ISSUER must not have a query or fragment (OIDC Discovery §2)');
  }
  const issuer = (issuerUrl?.href ?? `http://localhost:${port}`).replace(/\/$/, '');
  if (production && !issuer.startsWith('https:')) {
    throw new ConfigError('ISSUER must be an https URL when NODE_ENV=production');
  }
  const redisUrl = readUrl(env, 'REDIS_URL', ['redis:', 'rediss:'])?.href;
  const mongodbUri = readMongoUri(env);
  if (production && (!redisUrl || !mongodbUri)) {
    throw new ConfigError('REDIS_URL and MONGODB_URI are required when NODE_ENV=production (memory storage keeps nothing)');
  }
  const seed = readString(env, 'GATEHOUSE_SEED');
  const seedPath = seed === 'none' ? undefined : seed ?? (production ? undefined : DEV_SEED);

  const config: Config = {
    production,
    port,
    host: readString(env, 'HOST', '0.0.0.0'),
    issuer,
    redisUrl,
    mongodbUri,
    // The database named in MONGODB_URI's path, unless MONGODB_DATABASE names another.
    mongodbDatabase: readString(env, 'MONGODB_DATABASE')
      ?? (decodeURIComponent(/^[^/]+\/\/[^/]*\/([^?]*)/.exec(mongodbUri ?? '')?.[1] ?? '') || 'gatehouse'),
    ...readSecrets(env, production),
    seedPath,
    seedVars: { ISSUER: issuer },
    scopes: readScopes(env),
    ttl: {
      accessToken: readInt(env, 'ACCESS_TOKEN_TTL', 3600, { unit: 'seconds' }),
      // RFC 6749 §4.1.2: codes are short-lived; a maximum of 10 minutes is recommended.
      authorizationCode: readInt(env, 'AUTHORIZATION_CODE_TTL', 60, { max: 600, unit: 'seconds' }),
      clientCredentials: readInt(env, 'CLIENT_CREDENTIALS_TTL', 3600, { unit: 'seconds' }),
      idToken: readInt(env, 'ID_TOKEN_TTL', 3600, { unit: 'seconds' }),
      refreshToken: readInt(env, 'REFRESH_TOKEN_TTL', 14 * DAY, { unit: 'seconds' }),
      session: readInt(env, 'SESSION_TTL', 14 * DAY, { unit: 'seconds' }),
      interaction: readInt(env, 'INTERACTION_TTL', 3600, { unit: 'seconds' }),
      grant: readInt(env, 'GRANT_TTL', 365 * DAY, { unit: 'seconds' }),
    },
    argon2: {
      // OWASP Password Storage Cheat Sheet minimum for argon2id: m=19 MiB, t=2, p=1.
      memoryCost: readInt(env, 'ARGON2_MEMORY_KIB', 19456, { min: 19456, unit: 'KiB' }),
      timeCost: readInt(env, 'ARGON2_TIME_COST', 2, { min: 2, max: 100 }),
      parallelism: readInt(env, 'ARGON2_PARALLELISM', 1, { max: 64 }),
    },
    trustProxy: readEnum(env, 'TRUST_PROXY', ['true', 'false'], 'false') === 'true',
    logLevel: readEnum(env, 'LOG_LEVEL', LOG_LEVELS, 'info'),
    logFormat: readEnum(env, 'LOG_FORMAT', ['json', 'pretty'], 'json'),
    metrics: readMetrics(env),
    workers: readWorkers(env, { redisUrl, mongodbUri }),
    apiKeys: readApiKeys(env, production),
    roles: readRoles(env),
    startupTimeoutMs: readInt(env, 'STARTUP_TIMEOUT_SECONDS', 30, { unit: 'seconds' }) * 1000,
    shutdownTimeoutMs: readInt(env, 'SHUTDOWN_TIMEOUT_SECONDS', 10, { unit: 'seconds' }) * 1000,
  };
  return deepFreeze(config);
}

/** What the start-up banner may show: connection strings without their passwords. */
export function describeStorage(config: Config): { durable: string; ephemeral: string } {
  return {
    durable: config.mongodbUri ? `MongoDB ${redactUrl(config.mongodbUri)}` : 'memory',
    ephemeral: config.redisUrl ? `Redis ${redactUrl(config.redisUrl)}` : 'memory',
  };
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
