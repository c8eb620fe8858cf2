import { loadClientConnectConfig, type ClientConnectConfig } from '@temporalio/envconfig';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { z } from 'zod';

/** Thrown when the environment does not describe a runnable Opsflow; the message names every bad variable. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

const port = (fallback: number) =>
  z.coerce
    .number({ error: 'expected a port number' })
    .int('expected a whole port number')
    .min(1, 'expected a port number from 1 to 65535')
    .max(65535, 'expected a port number from 1 to 65535')
    .default(fallback);

const optionalString = z
  .string()
  .trim()
  .transform((v) => (v === '' ? undefined : v))
  .optional();

const csv = z
  .string()
  .optional()
  .transform((v) =>
    (v ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  );

const timeZone = z
  .string()
  .default('UTC')
  .refine((tz) => {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: tz });
      return true;
    } catch {
      return false;
    }
  }, 'expected an IANA time zone such as Europe/Berlin');

const encryptionKey = optionalString.refine(
  (v) => v === undefined || Buffer.from(v, 'base64').length === 32,
  'expected 32 bytes, base64-encoded (openssl rand -base64 32)',
);

const EnvSchema = z.object({
  OPSFLOW_HOST: z.string().default('127.0.0.1'),
  OPSFLOW_PORT: port(3000),
  OPSFLOW_PUBLIC_URL: z.url({ error: 'expected an absolute URL' }).optional(),
  OPSFLOW_API_TOKEN: optionalString.refine((v) => v === undefined || v.length >= 16, 'expected at least 16 characters'),
  OPSFLOW_VIEWER_TOKENS: csv.refine((l) => l.every((t) => t.length >= 16), 'expected tokens of at least 16 characters'),
  OPSFLOW_DATA_DIR: z.string().default('.data'),
  OPSFLOW_CACHE_DIR: optionalString,
  OPSFLOW_TIMEZONE: timeZone,
  OPSFLOW_TASK_QUEUE_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9._-]*$/, 'expected letters, digits, dots, dashes or underscores')
    .default(''),
  OPSFLOW_LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  OPSFLOW_ENCRYPTION_KEY: encryptionKey,
  OPSFLOW_DEMO_SCALE: z.coerce.number({ error: 'expected a number' }).int().min(1).max(1000).default(1),

  DATABASE_URL: z
    .url({ protocol: /^postgres(ql)?$/, error: 'expected a postgres:// connection URL' })
    .optional()
    .or(z.literal('').transform(() => undefined)),
  OPSFLOW_PG_PORT: port(5433),

  TEMPORAL_ADDRESS: optionalString,
  TEMPORAL_CLI_PATH: optionalString,
  OPSFLOW_TEMPORAL_PORT: port(7233),
  OPSFLOW_TEMPORAL_UI_PORT: port(8233),

  SMTP_URL: z
    .url({ protocol: /^smtps?$/, error: 'expected an smtp:// or smtps:// URL' })
    .optional()
    .or(z.literal('').transform(() => undefined)),
  MAIL_FROM: z.string().default('Opsflow <opsflow@localhost>'),
  OPSFLOW_SMTP_PORT: port(1025),
  OPSFLOW_MAILBOX_PORT: port(1080),

  HIGHLEVEL_CLIENT_ID: optionalString,
  ZOHO_CLIENT_ID: optionalString,
});

export type Env = Record<string, string | undefined>;

/** Task queues: one for orchestration and general I/O, one per external API so each can be rate-limited. */
export interface TaskQueues {
  main: string;
  highlevel: string;
  zoho: string;
}

/**
 * Derives the task queue names from a prefix. Workflows derive the same names from their own task queue
 * (see `src/workflows/queues.ts`), so the rule lives in both places and a test keeps them in step.
 */
export function taskQueuesFor(prefix: string): TaskQueues {
  return { main: `${prefix}opsflow`, highlevel: `${prefix}highlevel`, zoho: `${prefix}zoho` };
}

export interface Config {
  api: {
    host: string;
    port: number;
    publicUrl: string;
    operatorTokens: string[];
    viewerTokens: string[];
    /** True when no operator token was configured and one must be generated (demo mode only). */
    generateToken: boolean;
  };
  dataDir: string;
  cacheDir: string;
  timeZone: string;
  taskQueues: TaskQueues;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  encryptionKey?: Buffer;
  demoScale: number;
  /** Demo mode: no vendor credentials, the simulators stand in for HighLevel and ZOHO. */
  demo: boolean;
  database: { url?: string; embeddedPort: number };
  temporal: {
    /** True when Opsflow starts its own dev server (no TEMPORAL_ADDRESS given). */
    embedded: boolean;
    address: string;
    namespace: string;
    connect: ClientConnectConfig;
    cliPath?: string;
    uiPort: number;
  };
  mail: { smtpUrl?: string; from: string; capturePort: number; mailboxPort: number };
}

function formatIssues(error: z.ZodError, env: Env): string {
  const lines = error.issues.map((issue) => {
    const name = String(issue.path[0] ?? '(environment)');
    const value = env[name];
    const got =
      value === undefined
        ? ''
        : ` (got ${JSON.stringify(name.includes('TOKEN') || name.includes('KEY') ? '***' : value)})`;
    return `  ${name}: ${issue.message}${got}`;
  });
  return `Invalid configuration:\n${lines.join('\n')}`;
}

/**
 * Parses the environment once into a typed configuration.
 *
 * @throws {ConfigError} naming every variable that is missing or malformed.
 * @example
 * const config = loadConfig(process.env);
 */
export function loadConfig(env: Env): Config {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) throw new ConfigError(formatIssues(parsed.error, env));
  const e = parsed.data;

  const dataDir = resolve(e.OPSFLOW_DATA_DIR);
  const cacheRoot = env.XDG_CACHE_HOME || join(homedir(), '.cache');
  const embeddedTemporal = e.TEMPORAL_ADDRESS === undefined;
  const temporalAddress = e.TEMPORAL_ADDRESS ?? `127.0.0.1:${e.OPSFLOW_TEMPORAL_PORT}`;

  let connect: ClientConnectConfig;
  try {
    const overrideEnvVars = Object.fromEntries(
      Object.entries({ ...env, TEMPORAL_ADDRESS: temporalAddress }).filter(
        (entry): entry is [string, string] => entry[1] !== undefined,
      ),
    );
    connect = loadClientConnectConfig({ overrideEnvVars, disableFile: embeddedTemporal });
  } catch (err) {
    throw new ConfigError(`Invalid configuration:\n  TEMPORAL_*: ${(err as Error).message}`);
  }
  const namespace = connect.namespace ?? 'default';

  const operatorTokens = e.OPSFLOW_API_TOKEN ? [e.OPSFLOW_API_TOKEN] : [];
  const demo = e.HIGHLEVEL_CLIENT_ID === undefined && e.ZOHO_CLIENT_ID === undefined;
  if (!demo && operatorTokens.length === 0) {
    throw new ConfigError('Invalid configuration:\n  OPSFLOW_API_TOKEN: required outside demo mode');
  }

  return {
    api: {
      host: e.OPSFLOW_HOST,
      port: e.OPSFLOW_PORT,
      publicUrl: e.OPSFLOW_PUBLIC_URL ?? `http://127.0.0.1:${e.OPSFLOW_PORT}`,
      operatorTokens,
      viewerTokens: e.OPSFLOW_VIEWER_TOKENS,
      generateToken: operatorTokens.length === 0,
    },
    dataDir,
    cacheDir: e.OPSFLOW_CACHE_DIR ?? join(cacheRoot, 'opsflow'),
    timeZone: e.OPSFLOW_TIMEZONE,
    taskQueues: taskQueuesFor(e.OPSFLOW_TASK_QUEUE_PREFIX),
    logLevel: e.OPSFLOW_LOG_LEVEL,
    encryptionKey: e.OPSFLOW_ENCRYPTION_KEY ? Buffer.from(e.OPSFLOW_ENCRYPTION_KEY, 'base64') : undefined,
    demoScale: e.OPSFLOW_DEMO_SCALE,
    demo,
    database: { url: e.DATABASE_URL, embeddedPort: e.OPSFLOW_PG_PORT },
    temporal: {
      embedded: embeddedTemporal,
      address: temporalAddress,
      namespace,
      connect: { ...connect, namespace },
      cliPath: e.TEMPORAL_CLI_PATH,
      uiPort: e.OPSFLOW_TEMPORAL_UI_PORT,
    },
    mail: {
      smtpUrl: e.SMTP_URL,
      from: e.MAIL_FROM,
      capturePort: e.OPSFLOW_SMTP_PORT,
      mailboxPort: e.OPSFLOW_MAILBOX_PORT,
    },
  };
}

/** Loads the configuration from this process's environment, or prints why not and exits. */
export function loadConfigOrExit(): Config {
  try {
    return loadConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(2);
    }
    throw err;
  }
}
