import { AsyncLocalStorage } from 'node:async_hooks';
import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * Paths redacted from every log line. Secrets (tokens, keys, passwords) must never reach a log, so any field of
 * that name is masked wherever it appears in a logged object.
 */
export const REDACTED_PATHS = [
  '*.accessToken',
  '*.refreshToken',
  '*.access_token',
  '*.refresh_token',
  '*.password',
  '*.apiKey',
  '*.token',
  '*.authorization',
  '*.headers.authorization',
  'accessToken',
  'refreshToken',
  'password',
  'token',
  'authorization',
];

/** Who is running right now (workflow id, activity type, ...): merged into every log line written meanwhile. */
export type LogContext = Record<string, string | number | undefined>;

const logContext = new AsyncLocalStorage<LogContext>();

/**
 * Runs `fn` with `context` added to every log line it writes, through any logger, however deep the call.
 *
 * @example
 * await withLogContext({ workflowId, activityType }, () => next(input));
 */
export function withLogContext<T>(context: LogContext, fn: () => T): T {
  return logContext.run({ ...logContext.getStore(), ...context }, fn);
}

/**
 * Creates the process's structured JSON logger.
 *
 * @example
 * const log = createLogger('info').child({ component: 'api' });
 */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'opsflow' },
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      mixin: () => logContext.getStore() ?? {},
    },
    destination,
  );
}
