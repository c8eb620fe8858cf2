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

/**
 * Creates the process's structured JSON logger.
 *
 * @example
 * const log = createLogger('info').child({ component: 'api' });
 */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    { level, base: { service: 'opsflow' }, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } },
    destination,
  );
}
