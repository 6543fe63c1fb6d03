import { ConfigError, readUrl, type Env } from './env.ts';

/** What ioredis needs to reach Redis over a Unix domain socket. */
export interface RedisSocket {
  path: string;
  db?: number;
  username?: string;
  password?: string;
}

const SOCKET_FORM = 'unix:///path/to/redis.sock, optionally with ?db=N';

/**
 * The socket behind a `unix:` REDIS_URL, or undefined for a `redis:`/`rediss:` one.
 * Accepted: `unix:///run/redis/redis.sock?db=2`, and with credentials
 * `unix://user:password@localhost/run/redis/redis.sock` (a URL cannot carry credentials
 * without a host, so the host may be `localhost`; any other host is refused, since a
 * socket is always on this machine). The only query parameter is `db`.
 */
export function redisSocketOf(href: string): RedisSocket | undefined {
  const url = new URL(href);
  if (url.protocol !== 'unix:') return undefined;
  if (url.hostname !== '' && url.hostname !== 'localhost') {
    throw new ConfigError(`REDIS_URL with unix: names a socket on this machine, not the host "${url.hostname}": ${SOCKET_FORM}`);
  }
  if (url.port) throw new ConfigError(`REDIS_URL with unix: takes no port: ${SOCKET_FORM}`);
  const path = decodeURIComponent(url.pathname);
  if (path.length <= 1 || path.endsWith('/')) throw new ConfigError(`REDIS_URL with unix: needs the socket's path: ${SOCKET_FORM}`);
  const socket: RedisSocket = { path };
  for (const [name, value] of url.searchParams) {
    if (name !== 'db') throw new ConfigError(`REDIS_URL with unix: takes only the db parameter, not "${name}": ${SOCKET_FORM}`);
    if (!/^\d{1,5}$/.test(value)) throw new ConfigError(`REDIS_URL's db must be a database number (got "${value}")`);
    socket.db = Number(value);
  }
  if (url.username) socket.username = decodeURIComponent(url.username);
  if (url.password) socket.password = decodeURIComponent(url.password);
  return socket;
}

/** REDIS_URL: a `redis:` or `rediss:` URL, or a Unix socket as `unix:` (checked here, at start). */
export function readRedisUrl(env: Env): string | undefined {
  const href = readUrl(env, 'REDIS_URL', ['redis:', 'rediss:', 'unix:'])?.href;
  if (href !== undefined) redisSocketOf(href);
  return href;
}
