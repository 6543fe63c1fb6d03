import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';

import { createRoles } from '../security/roles.ts';
import { parseTiers, type RateLimitTier } from '../security/rate-limit/tiers.ts';
import { parseKeks, type Kek } from '../security/key-encryption.ts';
import { IpAllowListError, parseIpAllowList } from '../security/ip-allow-list.ts';
import type { AddressPolicy } from '../security/ssrf.ts';
import { parseTheme, ThemeError, type ThemeSettings } from '../interactions/theme.ts';
import {
  DEFAULT_REGISTRATION_GRANT_TYPES, DEFAULT_REGISTRATION_SCOPES, REGISTRABLE_GRANT_TYPES, unregistrableScope, type RegistrationConfig,
} from '../oidc/registration-config.ts';
import { readMtls, type MtlsConfig } from '../oidc/mtls-config.ts';
import { readRedisUrl } from './redis-url.ts';
import {
  ConfigError, readEnum, readInt, readList, readString, readUrl, redactUrl, type Env,
} from './env.ts';

export { ConfigError } from './env.ts';

const DAY = 24 * 60 * 60;
const DEV_SEED = fileURLToPath(new URL('../../config/dev-seed.json', import.meta.url));

/** Every setting Gatehouse reads; `config/gatehouse.example.env` documents each one. */
export interface Config {
  readonly production: boolean;
  /** NODE_ENV=development: page templates are read again at every render, to edit them live. */
  readonly reloadViews: boolean;
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
    /** Device authorization grant (RFC 8628): how long a device code and its user code live. */
    deviceCode: number;
  }>;
  /** RFC 8628 §3.2 `interval`: seconds a device must wait between polls (else `slow_down`). */
  readonly devicePollInterval: number;
  readonly argon2: Readonly<{ memoryCost: number; timeCost: number; parallelism: number }>;
  /**
   * How many reverse proxies in front append to X-Forwarded-For: the client address is the
   * one that many hops from the right (0: the socket's address, X-Forwarded-* ignored).
   */
  readonly trustProxy: number;
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** `json` (one object per line, for collectors) or `pretty` (development; needs dev dependencies). */
  readonly logFormat: 'json' | 'pretty';
  /** Prometheus /metrics on its own listener (not exposed with the public port). */
  readonly metrics: Readonly<{ port: number | undefined; host: string; token: string | undefined }>;
  /** node:cluster workers; 1 = no cluster. */
  readonly workers: number;
  /** V8's old-generation growth factor, as a percentage above 100 (process-tuning.ts); 0 = V8's own. */
  readonly heapGrowthPercent: number;
  /** V8's allocation-site pretenuring (HEAP_PRETENURING, off by default: process-tuning.ts). */
  readonly heapPretenuring: boolean;
  /** AsyncLocalStorage on V8's async context frames instead of promise hooks (ASYNC_CONTEXT_FRAME, on by default: process-tuning.ts). */
  readonly asyncContextFrame: boolean;
  readonly apiKeys: Readonly<{ env: string; defaultExpiresInDays: number; maxExpiresInDays: number }>;
  /** Custom organization roles: name → admin API scopes (besides admin, member, readonly). */
  readonly roles: Readonly<Record<string, readonly string[]>>;
  /** Signing keys: encryption at rest, scheduled rotation, how often nodes re-read them. */
  readonly keys: Readonly<{ encryptionKeys: readonly Kek[]; rotateAfterDays: number; refreshSeconds: number; retainRetiredSeconds: number }>;
  readonly startupTimeoutMs: number;
  readonly shutdownTimeoutMs: number;
  /**
   * Audit events older than this many days are deleted. Without MongoDB, the process keeps
   * about the last `memoryMaxEvents` (memory is what bounds the embedded default).
   */
  readonly audit: Readonly<{ retentionDays: number; memoryMaxEvents: number }>;
  /** Webhook delivery: SSRF policy for targets (security/ssrf.ts) and retries. */
  readonly webhooks: Readonly<{ allowPrivate: boolean; allowedCidrs: readonly string[]; maxAttempts: number }>;
  /**
   * OIDC Back-Channel Logout 1.0 (oidc/backchannel*.ts): on/off, the SSRF policy for
   * `backchannel_logout_uri`s (as for webhooks), and delivery attempts per logout token.
   */
  readonly backchannelLogout: Readonly<{ enabled: boolean; allowPrivate: boolean; allowedCidrs: readonly string[]; maxAttempts: number }>;
  /**
   * SSRF policy for the URLs clients register and Gatehouse fetches or checks (jwks_uri,
   * client_uri, logo/policy/tos URIs, client ID metadata documents): public addresses
   * only, unless opened for relying parties on a private network.
   */
  readonly clientUrls: Readonly<AddressPolicy>;
  /** Requests declaring a larger body are refused with 413 before it is read. */
  readonly maxBodyBytes: number;
  /** Request rate limits (security/rate-limit/); `enabled: false` only for benchmarks. */
  readonly rateLimits: Readonly<{ enabled: boolean; tiers: Readonly<Record<string, RateLimitTier>> }>;
  /** Failed sign-ins before an account (by email) or an address is locked, and for how long. */
  readonly loginLock: Readonly<{ threshold: number; lockSeconds: number; maxLockSeconds: number; addressThreshold: number }>;
  /** The pages' product name, logo and primary colour (interactions/theme.ts). */
  readonly theme: Readonly<ThemeSettings>;
  /** DPoP (RFC 9449; oidc/dpop.ts): on/off, the nonce secret every node shares, whether proofs need a nonce. */
  readonly dpop: Readonly<{ enabled: boolean; nonceSecret: Buffer; requireNonce: boolean }>;
  /** Pushed authorization requests (RFC 9126; oidc/par.ts): on/off, and required of every client. */
  readonly par: Readonly<{ enabled: boolean; required: boolean }>;
  /**
   * Which clients must send PKCE (RFC 7636) in the authorization code flow: `all` (the
   * default, RFC 9700 §2.1.1 and OAuth 2.1) or only `public` ones. S256 only, either way.
   */
  readonly pkceRequired: 'all' | 'public';
  /** JWT-secured introspection responses (RFC 9701; oidc/jwt-introspection.ts). */
  readonly jwtIntrospection: Readonly<{ enabled: boolean }>;
  /** Dynamic client registration (RFC 7591, RFC 7592) and client ID metadata documents (oidc/registration-*.ts). */
  readonly registration: Readonly<RegistrationConfig>;
  /** OAuth 2.0 Token Exchange (RFC 8693; oidc/token-exchange.ts): off unless turned on; lifetime of what it issues. */
  readonly tokenExchange: Readonly<{ enabled: boolean; ttlSeconds: number }>;
  /** Mutual TLS (RFC 8705; oidc/mtls*.ts): MTLS on/off, the proxy's certificate headers, Gatehouse's own TLS listener. */
  readonly mtls: MtlsConfig;
}

const THEME_VARIABLES: Readonly<Record<keyof ThemeSettings, string>> = {
  name: 'GATEHOUSE_THEME_NAME', logoUrl: 'GATEHOUSE_THEME_LOGO_URL', primaryColor: 'GATEHOUSE_THEME_PRIMARY_COLOR',
};

function readTheme(env: Env): ThemeSettings {
  try {
    return parseTheme({
      name: readString(env, 'GATEHOUSE_THEME_NAME'),
      logoUrl: readString(env, 'GATEHOUSE_THEME_LOGO_URL'),
      primaryColor: readString(env, 'GATEHOUSE_THEME_PRIMARY_COLOR'),
    });
  } catch (err) {
    if (err instanceof ThemeError) throw new ConfigError(`${THEME_VARIABLES[err.field]} ${err.message}`);
    throw err;
  }
}

function readRateLimits(env: Env) {
  const enabled = readEnum(env, 'RATE_LIMITS', ['on', 'off'], 'on') === 'on';
  try {
    return { enabled, tiers: parseTiers(readString(env, 'RATE_LIMIT_TIERS')) };
  } catch (err) {
    throw new ConfigError(`RATE_LIMIT_TIERS: ${(err as Error).message}`);
  }
}

/**
 * The bounds keep every allowed setting under OWASP ASVS's 100 failed attempts per hour
 * per account (see security/rate-limit/login-throttle.ts).
 */
function readLoginLock(env: Env) {
  const lockSeconds = readInt(env, 'LOGIN_LOCK_SECONDS', 60, { max: 3600, unit: 'seconds' });
  const maxLockSeconds = readInt(env, 'LOGIN_LOCK_MAX_SECONDS', 900, { min: 300, max: 86_400, unit: 'seconds' });
  if (maxLockSeconds < lockSeconds) throw new ConfigError('LOGIN_LOCK_MAX_SECONDS must not be less than LOGIN_LOCK_SECONDS');
  return {
    threshold: readInt(env, 'LOGIN_LOCK_THRESHOLD', 5, { max: 20 }),
    lockSeconds,
    maxLockSeconds,
    addressThreshold: readInt(env, 'LOGIN_IP_LOCK_THRESHOLD', 100, { max: 1_000_000 }),
  };
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
 * DPoP (RFC 9449). Server nonces (§8) are derived from DPOP_NONCE_SECRET and the clock,
 * not stored, so every node must hold the same secret or a nonce one node handed out
 * fails on the next. Outside production a random one is made per process, as for COOKIE_KEYS.
 */
function readDpop(env: Env, production: boolean) {
  const enabled = readEnum(env, 'DPOP', ['on', 'off'], 'on') === 'on';
  const secret = readString(env, 'DPOP_NONCE_SECRET');
  if (secret !== undefined && !/^[A-Za-z0-9_-]{43}$/.test(secret)) {
    throw new ConfigError('DPOP_NONCE_SECRET must be 32 random bytes, base64url-encoded (43 characters; make one: node -e "console.log(crypto.randomBytes(32).toString(\'base64url\'))")');
  }
  if (production && enabled && secret === undefined) throw new ConfigError('DPOP_NONCE_SECRET is required when NODE_ENV=production and DPOP=on');
  return {
    enabled,
    nonceSecret: secret === undefined ? randomBytes(32) : Buffer.from(secret, 'base64url'),
    requireNonce: readEnum(env, 'DPOP_REQUIRE_NONCE', ['true', 'false'], 'false') === 'true',
  };
}

/** Pushed authorization requests (RFC 9126): PAR_REQUIRED makes every client use them (§5). */
function readPar(env: Env) {
  const enabled = readEnum(env, 'PAR', ['on', 'off'], 'on') === 'on';
  const required = readEnum(env, 'PAR_REQUIRED', ['true', 'false'], 'false') === 'true';
  if (required && !enabled) throw new ConfigError('PAR_REQUIRED=true needs PAR=on');
  return { enabled, required };
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

/**
 * TRUST_PROXY: the number of proxies to trust. Only the right-most N X-Forwarded-For
 * entries were written by our own proxies; anything left of them came from the client
 * and may be forged, so trusting "all of it" (the old `true`) would let any caller
 * choose the address IP allow-lists check. `true` and `false` still mean 1 and 0.
 */
function readTrustProxy(env: Env): number {
  const value = readString(env, 'TRUST_PROXY');
  if (value === 'true') return 1;
  if (value === 'false' || value === undefined) return 0;
  if (!/^\d{1,2}$/.test(value) || Number(value) > 32) {
    throw new ConfigError(`TRUST_PROXY must be the number of proxies in front (0 to 32), or true (1) or false (0) (got "${value}")`);
  }
  return Number(value);
}

/**
 * `<PREFIX>_ALLOW_PRIVATE` (loopback and private ranges; never link-local) and
 * `<PREFIX>_ALLOWED_CIDRS` (ranges allowed whatever they are): the SSRF policy
 * (security/ssrf.ts) for one kind of URL Gatehouse calls.
 */
function readAddressPolicy(env: Env, prefix: string): AddressPolicy {
  const allowedCidrs = readList(env, `${prefix}_ALLOWED_CIDRS`, /[\s,]+/) ?? [];
  try {
    parseIpAllowList(allowedCidrs);
  } catch (err) {
    if (err instanceof IpAllowListError) throw new ConfigError(`${prefix}_ALLOWED_CIDRS: ${err.message}`);
    throw err;
  }
  return { allowPrivate: readEnum(env, `${prefix}_ALLOW_PRIVATE`, ['true', 'false'], 'false') === 'true', allowedCidrs };
}

/**
 * Webhook targets must be public addresses unless WEBHOOK_ALLOW_PRIVATE opens loopback and
 * private ranges, or WEBHOOK_ALLOWED_CIDRS names the internal ranges a receiver lives in.
 */
function readWebhooks(env: Env) {
  return { ...readAddressPolicy(env, 'WEBHOOK'), maxAttempts: readInt(env, 'WEBHOOK_MAX_ATTEMPTS', 6, { max: 20 }) };
}

/**
 * Back-channel logout receivers are called like webhooks, under the same kind of SSRF
 * policy. At most 6 attempts: a logout token lives 120 s, and the 6th attempt (after
 * 2 + 4 + 8 + 16 + 32 s of backoff) is the last that starts well inside that.
 */
function readBackchannelLogout(env: Env) {
  return {
    enabled: readEnum(env, 'BACKCHANNEL_LOGOUT', ['on', 'off'], 'on') === 'on',
    ...readAddressPolicy(env, 'BACKCHANNEL_LOGOUT'),
    maxAttempts: readInt(env, 'BACKCHANNEL_LOGOUT_MAX_ATTEMPTS', 5, { max: 6 }),
  };
}

/** What a client may register by itself; docs/registration.md. */
function readRegistration(env: Env, apiScopes: readonly string[]): RegistrationConfig {
  const grantTypes = readList(env, 'REGISTRATION_GRANT_TYPES') ?? [...DEFAULT_REGISTRATION_GRANT_TYPES];
  const badGrant = grantTypes.find((g) => !REGISTRABLE_GRANT_TYPES.includes(g));
  if (badGrant !== undefined) throw new ConfigError(`REGISTRATION_GRANT_TYPES: "${badGrant}" is not one of ${REGISTRABLE_GRANT_TYPES.join(', ')}`);
  const scopes = readList(env, 'REGISTRATION_SCOPES') ?? [...DEFAULT_REGISTRATION_SCOPES];
  for (const scope of scopes) {
    const why = unregistrableScope(scope, apiScopes);
    if (why !== undefined) throw new ConfigError(`REGISTRATION_SCOPES: "${scope}" ${why}`);
  }
  return {
    mode: readEnum(env, 'REGISTRATION', ['off', 'initial-access-token', 'open'], 'off'),
    approval: readEnum(env, 'REGISTRATION_APPROVAL', ['none', 'required'], 'none'),
    grantTypes,
    scopes,
    unusedTtlDays: readInt(env, 'REGISTRATION_UNUSED_TTL_DAYS', 30, { max: 3650, unit: 'days' }),
    clientIdMetadataDocument: readEnum(env, 'CLIENT_ID_METADATA_DOCUMENT', ['off', 'on'], 'off') === 'on',
  };
}

function readScopes(env: Env): string[] {
  const scopes = readList(env, 'API_SCOPES') ?? ['api:read', 'api:write'];
  const bad = scopes.find((s) => !SCOPE_TOKEN.test(s));
  if (bad !== undefined) throw new ConfigError(`API_SCOPES contains an invalid scope value "${bad}" (RFC 6749 §3.3)`);
  return scopes;
}

/**
 * KEY_ENCRYPTION_KEYS: `id:base64` AES-256 keys, comma-separated; the first seals signing
 * keys at rest, all of them open (rotate by prepending). Required in production: a
 * database dump must not hand over the keys that sign every token.
 */
function readKeys(env: Env, production: boolean, ttl: Config['ttl']) {
  const entries = readList(env, 'KEY_ENCRYPTION_KEYS', /,/)?.map((e) => e.trim());
  let encryptionKeys: Kek[] = [];
  try {
    encryptionKeys = parseKeks(entries ?? []);
  } catch (err) {
    throw new ConfigError(`KEY_ENCRYPTION_KEYS: ${(err as Error).message} (make one: node -e "console.log('k1:'+crypto.randomBytes(32).toString('base64'))")`);
  }
  if (production && encryptionKeys.length === 0) throw new ConfigError('KEY_ENCRYPTION_KEYS is required when NODE_ENV=production');
  // A retired key must outlive every token it signed (ID tokens, JWT access tokens).
  const longest = Math.max(ttl.accessToken, ttl.clientCredentials, ttl.idToken);
  const retainRetiredSeconds = readInt(env, 'KEY_RETIRED_RETENTION_SECONDS', Math.max(DAY, longest), { unit: 'seconds' });
  if (retainRetiredSeconds < longest) {
    throw new ConfigError(`KEY_RETIRED_RETENTION_SECONDS must be at least the longest token lifetime (${longest} seconds)`);
  }
  return {
    encryptionKeys,
    rotateAfterDays: readInt(env, 'KEY_ROTATION_DAYS', 0, { min: 0, max: 3650, unit: 'days' }),
    refreshSeconds: readInt(env, 'KEY_REFRESH_SECONDS', 60, { min: 1, max: 3600, unit: 'seconds' }),
    retainRetiredSeconds,
  };
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
  const redisUrl = readRedisUrl(env);
  const mongodbUri = readMongoUri(env);
  if (production && (!redisUrl || !mongodbUri)) {
    throw new ConfigError('REDIS_URL and MONGODB_URI are required when NODE_ENV=production (memory storage keeps nothing)');
  }
  const seed = readString(env, 'GATEHOUSE_SEED');
  const seedPath = seed === 'none' ? undefined : seed ?? (production ? undefined : DEV_SEED);

  const config: Config = {
    production,
    reloadViews: env.NODE_ENV === 'development',
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
      // RFC 8628 §6.1: long enough for a person to type the code, short enough to limit guessing.
      deviceCode: readInt(env, 'DEVICE_CODE_TTL', 600, { max: 1800, unit: 'seconds' }),
    },
    devicePollInterval: readInt(env, 'DEVICE_POLL_INTERVAL', 5, { max: 60, unit: 'seconds' }),
    argon2: {
      // OWASP Password Storage Cheat Sheet minimum for argon2id: m=19 MiB, t=2, p=1.
      memoryCost: readInt(env, 'ARGON2_MEMORY_KIB', 19456, { min: 19456, unit: 'KiB' }),
      timeCost: readInt(env, 'ARGON2_TIME_COST', 2, { min: 2, max: 100 }),
      parallelism: readInt(env, 'ARGON2_PARALLELISM', 1, { max: 64 }),
    },
    trustProxy: readTrustProxy(env),
    logLevel: readEnum(env, 'LOG_LEVEL', LOG_LEVELS, 'info'),
    logFormat: readEnum(env, 'LOG_FORMAT', ['json', 'pretty'], 'json'),
    metrics: readMetrics(env),
    workers: readWorkers(env, { redisUrl, mongodbUri }),
    heapGrowthPercent: readInt(env, 'HEAP_GROWTH_PERCENT', 60, { min: 0, max: 300 }),
    heapPretenuring: readEnum(env, 'HEAP_PRETENURING', ['on', 'off'], 'off') === 'on',
    asyncContextFrame: readEnum(env, 'ASYNC_CONTEXT_FRAME', ['on', 'off'], 'on') === 'on',
    apiKeys: readApiKeys(env, production),
    roles: readRoles(env),
    keys: { encryptionKeys: [], rotateAfterDays: 0, refreshSeconds: 60, retainRetiredSeconds: DAY },
    startupTimeoutMs: readInt(env, 'STARTUP_TIMEOUT_SECONDS', 30, { unit: 'seconds' }) * 1000,
    shutdownTimeoutMs: readInt(env, 'SHUTDOWN_TIMEOUT_SECONDS', 10, { unit: 'seconds' }) * 1000,
    audit: {
      retentionDays: readInt(env, 'AUDIT_RETENTION_DAYS', 90, { max: 3650, unit: 'days' }),
      memoryMaxEvents: readInt(env, 'AUDIT_MEMORY_MAX_EVENTS', 10_000, { min: 100, max: 1_000_000 }),
    },
    webhooks: readWebhooks(env),
    backchannelLogout: readBackchannelLogout(env),
    // Relying parties on a private network: CLIENT_URLS_ALLOW_PRIVATE / _ALLOWED_CIDRS.
    clientUrls: readAddressPolicy(env, 'CLIENT_URLS'),
    maxBodyBytes: readInt(env, 'MAX_BODY_BYTES', 64 * 1024, { min: 1024, max: 10 * 1024 * 1024, unit: 'bytes' }),
    rateLimits: readRateLimits(env),
    loginLock: readLoginLock(env),
    theme: readTheme(env),
    dpop: readDpop(env, production),
    par: readPar(env),
    pkceRequired: readEnum(env, 'PKCE_REQUIRED', ['all', 'public'], 'all'),
    jwtIntrospection: { enabled: readEnum(env, 'JWT_INTROSPECTION', ['on', 'off'], 'on') === 'on' },
    registration: { mode: 'off', approval: 'none', grantTypes: [], scopes: [], unusedTtlDays: 30, clientIdMetadataDocument: false },
    tokenExchange: {
      enabled: readEnum(env, 'TOKEN_EXCHANGE', ['off', 'on'], 'off') === 'on',
      // Short on purpose (RFC 8693 §5): the token stands for another credential, and revoking that does not reach it.
      ttlSeconds: readInt(env, 'TOKEN_EXCHANGE_TTL', 300, { max: 3600, unit: 'seconds' }),
    },
    mtls: readMtls(env, readTrustProxy(env)),
  };
  return deepFreeze({ ...config, keys: readKeys(env, production, config.ttl), registration: readRegistration(env, config.scopes) });
}

/** What the start-up banner may show: connection strings without their passwords. */
export function describeStorage(config: Config): { durable: string; ephemeral: string } {
  return {
    durable: config.mongodbUri ? `MongoDB ${redactUrl(config.mongodbUri)}` : 'memory',
    ephemeral: config.redisUrl ? `Redis ${redactUrl(config.redisUrl)}` : 'memory',
  };
}

function deepFreeze<T>(value: T): T {
  // Typed arrays (key material) cannot be frozen; they are never handed out to change.
  if (value && typeof value === 'object' && !ArrayBuffer.isView(value)) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
