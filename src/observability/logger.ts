import { pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino';

/**
 * Fields censored in every log line of a logger from `createSsoLogger`, at the top level and one
 * level down (`{ variables: { password } }`). Our own code never logs these; this is the net for
 * a hook or plugin that logs a request, its headers or its variables.
 */
export const LOG_REDACT_PATHS: readonly string[] = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
  ...[
    'authorization',
    'cookie',
    'password',
    'currentPassword',
    'newPassword',
    'passwordHash',
    'password_hash',
    'token',
    'accessToken',
    'refreshToken',
    'secret',
  ].flatMap((field) => [field, `*.${field}`]),
];

export const REDACTED = '[Redacted]';

/**
 * A pino logger that censors `LOG_REDACT_PATHS` (as `[Redacted]`): what the CLI logs with, and
 * what a service of yours can log with too. `options.redact` is replaced.
 */
export function createSsoLogger(options: LoggerOptions = {}, destination?: DestinationStream): Logger {
  const withRedaction: LoggerOptions = { ...options, redact: { paths: [...LOG_REDACT_PATHS], censor: REDACTED } };
  return destination ? pino(withRedaction, destination) : pino(withRedaction);
}
