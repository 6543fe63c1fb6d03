import { pino, type Logger } from 'pino';

export type { Logger } from 'pino';

/**
 * Paths that may carry secrets anywhere in a log record. pino removes them before a
 * line is written, so a careless `log.info({ body })` cannot leak a password or token.
 */
export const REDACTED_PATHS = [
  'password', '*.password', 'client_secret', '*.client_secret', 'secret', '*.secret',
  'authorization', '*.authorization', 'headers.authorization', 'headers.cookie', 'req.headers.authorization',
  'req.headers.cookie', 'res.headers["set-cookie"]', 'access_token', '*.access_token', 'refresh_token',
  '*.refresh_token', 'id_token', '*.id_token', 'code', '*.code', 'code_verifier', '*.code_verifier',
  'token', '*.token', 'cookieKeys', 'secretPepper', 'd', '*.d', 'keys[*].d',
];

/**
 * JSON lines for collectors by default; `pretty` renders them for a terminal through
 * pino-pretty (a development dependency), with the same redaction.
 */
export function createLogger(level: string, options: { format?: 'json' | 'pretty'; destination?: pino.DestinationStream } = {}): Logger {
  const settings: pino.LoggerOptions = {
    name: 'gatehouse',
    level,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    base: { pid: process.pid },
  };
  if (options.format === 'pretty') settings.transport = { target: 'pino-pretty', options: { colorize: true } };
  return pino(settings, options.destination);
}
