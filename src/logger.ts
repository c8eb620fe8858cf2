import { AsyncLocalStorage } from 'node:async_hooks';
import { pino, type Logger } from 'pino';
import { PinoPretty, isColorSupported } from 'pino-pretty';

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

/** `json`: one JSON object a line, for log collectors. `pretty`: one readable line an entry, for a terminal. */
export type LogFormat = 'json' | 'pretty';

/** Left out of a pretty line: pino's own fields, and those already shown in front of the message. */
const PRETTY_HIDDEN = new Set(['level', 'time', 'pid', 'hostname', 'service', 'component']);

interface ErrorLike {
  message?: unknown;
  stack: string;
}

const isErrorLike = (value: unknown): value is ErrorLike =>
  typeof value === 'object' && value !== null && typeof (value as ErrorLike).stack === 'string';

function prettyValue(value: unknown): string {
  if (isErrorLike(value)) return JSON.stringify(String(value.message ?? ''));
  if (typeof value === 'string') return /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value);
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

/** `[component] message key=value …`, then the stack of any error, indented under the line. */
function prettyMessage(entry: Record<string, unknown>, messageKey: string): string {
  const fields = Object.entries(entry).filter(([key]) => key !== messageKey && !PRETTY_HIDDEN.has(key));
  const component = typeof entry.component === 'string' ? `[${entry.component}] ` : '';
  const line = [`${component}${String(entry[messageKey] ?? '')}`, ...fields.map(([k, v]) => `${k}=${prettyValue(v)}`)];
  const stacks = fields.flatMap(([, v]) => (isErrorLike(v) ? [`\n    ${v.stack.replaceAll('\n', '\n    ')}`] : []));
  return line.join(' ') + stacks.join('');
}

/**
 * Pretty lines written synchronously in this process (no worker thread), so the last lines before an exit are kept.
 * pino redacts before it serializes, so secrets are masked here as in JSON.
 */
function prettyStdout(): pino.DestinationStream {
  return PinoPretty({
    sync: true,
    destination: 1,
    colorize: Boolean(process.stdout.isTTY) && isColorSupported,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname',
    hideObject: true,
    messageFormat: prettyMessage,
  });
}

/**
 * Creates the process's structured logger, writing to stdout in `format`, or else pretty when stdout is a terminal
 * and JSON lines when not. A destination stream (tests) receives JSON lines. Stdout is written synchronously in both
 * formats: pino's default asynchronous stdout could reorder or drop the last lines when the process exits.
 *
 * @example
 * const log = createLogger(config.logLevel, config.logFormat).child({ component: 'api' });
 * const captured = createLogger('debug', { write: (line: string) => void lines.push(line) });
 */
export function createLogger(level: string, output?: LogFormat | pino.DestinationStream): Logger {
  const format = output ?? (process.stdout.isTTY ? 'pretty' : 'json');
  return pino(
    {
      level,
      base: { service: 'opsflow' },
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      mixin: () => logContext.getStore() ?? {},
    },
    format === 'pretty' ? prettyStdout() : format === 'json' ? pino.destination({ dest: 1, sync: true }) : format,
  );
}
