import { loadClientConnectConfig, type ClientConnectConfig } from '@temporalio/envconfig';
import { csvList } from './env-schemas.js';
import { createHmac } from 'node:crypto';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import type { LogFormat } from './logger.js';
import type { OutagePolicy } from './incidents/outages.js';
import { parseDurationSeconds, SEVERITIES, type Severity } from './incidents/policy.js';
import {
  incidentSettings,
  INCIDENT_ENV,
  type IncidentSettings,
  type NotificationSettings,
} from './incidents/settings.js';

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

const csv = csvList;

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

/** A positive rate (calls per minute, activities per second); a typo must not become "unlimited" or zero. */
const rate = (unit: string, fallback: number) =>
  z.coerce
    .number({ error: `expected a number of ${unit}` })
    .positive(`expected a positive number of ${unit}`)
    .default(fallback);

/**
 * Vendor limits Opsflow keeps to, at 80 % of the plans we design for (see docs/integrations.md): ZOHO allows 150
 * calls per minute per organization, HighLevel 100 requests per 10 s per location.
 */
export const DEFAULT_ZOHO_CALLS_PER_MINUTE = 0.8 * 150;
/** One ZOHO activity starts per half second at most; the call budget, not this, bounds calls. */
export const DEFAULT_ZOHO_QUEUE_ACTIVITIES_PER_SECOND = DEFAULT_ZOHO_CALLS_PER_MINUTE / 60;
/** One HighLevel activity makes one call, so the queue limit is the call limit: 80 % of 10/s. */
export const DEFAULT_HIGHLEVEL_QUEUE_ACTIVITIES_PER_SECOND = 0.8 * (100 / 10);
/** Demo mode serves the SDK runtime metrics here, so the demo API's GET /metrics carries the `temporal_*` series. */
export const DEMO_SDK_METRICS_BIND = '127.0.0.1:9464';

const EnvSchema = z.object({
  OPSFLOW_HOST: z.string().default('127.0.0.1'),
  OPSFLOW_PORT: port(3000),
  OPSFLOW_PUBLIC_URL: z.url({ error: 'expected an absolute URL' }).optional(),
  OPSFLOW_API_TOKEN: optionalString.refine((v) => v === undefined || v.length >= 16, 'expected at least 16 characters'),
  OPSFLOW_LINK_SECRET: optionalString.refine(
    (v) => v === undefined || v.length >= 32,
    'expected at least 32 characters',
  ),
  OPSFLOW_VIEWER_TOKENS: csv.refine((l) => l.every((t) => t.length >= 16), 'expected tokens of at least 16 characters'),
  OPSFLOW_DATA_DIR: z.string().default('.data'),
  OPSFLOW_CACHE_DIR: optionalString,
  OPSFLOW_TIMEZONE: timeZone,
  OPSFLOW_TASK_QUEUE_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9._-]*$/, 'expected letters, digits, dots, dashes or underscores')
    .default(''),
  /** The task queues this worker process polls (a deployment can run each queue in its own processes). */
  OPSFLOW_WORKER_QUEUES: csv
    .transform((l) => (l.length === 0 ? ['main', 'highlevel', 'zoho'] : l))
    .pipe(z.array(z.enum(['main', 'highlevel', 'zoho'], { error: 'expected main, highlevel or zoho' })).min(1)),
  OPSFLOW_LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  /** Unset: pretty on a terminal, JSON lines otherwise (decided by the logger, which sees stdout). */
  OPSFLOW_LOG_FORMAT: z.enum(['json', 'pretty'], { error: 'expected json or pretty' }).optional(),
  OPSFLOW_ENCRYPTION_KEY: encryptionKey,
  /** Retired keys (comma-separated, base64) still accepted for decryption while data is re-encrypted. */
  OPSFLOW_PREVIOUS_ENCRYPTION_KEYS: csv.refine(
    (l) => l.every((k) => Buffer.from(k, 'base64').length === 32),
    'expected 32-byte keys, base64-encoded, comma-separated',
  ),
  OPSFLOW_DEMO_SCALE: z.coerce.number({ error: 'expected a number' }).int().min(1).max(1000).default(1),
  /** Database size (GB) the weekly report counts the days until, at the current growth. */
  OPSFLOW_CAPACITY_THRESHOLD_GB: z.coerce.number({ error: 'expected a number' }).positive().max(1_000_000).default(50),
  /** Failed records the daily report lists (most recent failures first). */
  OPSFLOW_REPORT_FAILED_SYNCS: z.coerce.number({ error: 'expected a whole number' }).int().min(1).max(1000).default(20),
  /** Days the timed vendor calls (`vendor_calls`) are kept; the weekly report compares this week with the last. */
  OPSFLOW_VENDOR_CALLS_RETENTION_DAYS: z.coerce
    .number({ error: 'expected a whole number of days' })
    .int()
    .min(14, 'expected at least 14 days: the weekly report reads this week and the previous one')
    .max(3650)
    .default(35),
  /** A workflow bundle prebuilt by scripts/build-workflow-bundle.ts; without it the worker bundles at start. */
  OPSFLOW_WORKFLOW_BUNDLE: optionalString,
  /** host:port where the Temporal SDK runtime serves Prometheus metrics (e.g. 0.0.0.0:9464); unset: off, demo aside. */
  OPSFLOW_SDK_METRICS_BIND: optionalString.refine(
    (v) => v === undefined || /^[^:\s]+:\d{1,5}$/.test(v),
    'expected host:port, e.g. 0.0.0.0:9464',
  ),
  /** Where the API reads the SDK runtime metrics to merge them into GET /metrics (e.g. http://worker:9464/metrics). */
  OPSFLOW_SDK_METRICS_URL: z.url({ error: 'expected an absolute URL' }).optional(),
  /** Web UI origins allowed to call the codec endpoint from the browser (comma-separated). */
  OPSFLOW_CODEC_CORS_ORIGINS: csv,
  /** Failed monitor checks in a row that open an integration's outage incident, and healthy ones that resolve it. */
  OPSFLOW_OUTAGE_OPEN_AFTER: z.coerce.number({ error: 'expected a whole number' }).int().min(1).max(100).default(2),
  OPSFLOW_OUTAGE_RESOLVE_AFTER: z.coerce.number({ error: 'expected a whole number' }).int().min(1).max(100).default(2),
  /** Severity of an integration's outage incident, over the defaults: `integration=P1,…` (comma-separated). */
  OPSFLOW_OUTAGE_SEVERITY: csv.transform((pairs, ctx) => {
    const out: Record<string, Severity> = {};
    for (const pair of pairs) {
      const [name, severity] = pair.split('=').map((s) => s.trim());
      if (!name || !SEVERITIES.includes(severity as Severity)) {
        ctx.addIssue({ code: 'custom', message: `expected integration=P1…P4 pairs such as zoho=P1 (got "${pair}")` });
        return z.NEVER;
      }
      out[name] = severity as Severity;
    }
    return out;
  }),
  /** How long a stop waits for in-flight activities before cancelling them (Temporal retries them elsewhere). */
  OPSFLOW_SHUTDOWN_GRACE: z
    .string()
    .default('10s')
    .refine((v) => parseDurationSeconds(v) !== undefined, 'expected a duration such as 10s or 1m')
    .transform((v) => parseDurationSeconds(v)! * 1000),

  /** Where backups are written (default: `backups` in the data directory). */
  OPSFLOW_BACKUP_DIR: optionalString,
  /** Verified backups kept: the newest of each of this many days, and of this many weeks. */
  OPSFLOW_BACKUP_KEEP_DAILY: z.coerce.number({ error: 'expected a whole number' }).int().min(1).max(366).default(7),
  OPSFLOW_BACKUP_KEEP_WEEKLY: z.coerce.number({ error: 'expected a whole number' }).int().min(0).max(520).default(4),
  /** The daily runbook warns when the newest verified backup is older than this. */
  OPSFLOW_BACKUP_MAX_AGE: z
    .string()
    .default('26h')
    .refine((v) => parseDurationSeconds(v) !== undefined, 'expected a duration such as 26h')
    .transform((v) => parseDurationSeconds(v)!),
  /** A directory holding pg_dump and pg_restore of the server's major version or newer (else found or fetched). */
  OPSFLOW_PG_BIN_DIR: optionalString,

  DATABASE_URL: z
    .url({ protocol: /^postgres(ql)?$/, error: 'expected a postgres:// connection URL' })
    .optional()
    .or(z.literal('').transform(() => undefined)),
  OPSFLOW_PG_PORT: port(5433),

  TEMPORAL_ADDRESS: optionalString,
  TEMPORAL_CLI_PATH: optionalString,
  OPSFLOW_TEMPORAL_PORT: port(7233),
  OPSFLOW_TEMPORAL_UI_PORT: port(8233),
  OPSFLOW_TEMPORAL_UI_URL: z.url({ error: 'expected an absolute URL' }).optional(),

  SMTP_URL: z
    .url({ protocol: /^smtps?$/, error: 'expected an smtp:// or smtps:// URL' })
    .optional()
    .or(z.literal('').transform(() => undefined)),
  MAIL_FROM: z.string().default('Opsflow <opsflow@localhost>'),
  OPSFLOW_SMTP_PORT: port(1025),
  OPSFLOW_MAILBOX_PORT: port(1080),

  HIGHLEVEL_CLIENT_ID: optionalString,
  HIGHLEVEL_CLIENT_SECRET: optionalString,
  HIGHLEVEL_BASE_URL: z.url({ error: 'expected an absolute URL' }).optional(),
  /** Ed25519 public key (PEM or base64 SPKI) that signs HighLevel's INSTALL/UNINSTALL webhooks. */
  HIGHLEVEL_WEBHOOK_PUBLIC_KEY: optionalString,
  /** Where installs begin (`/oauth/chooselocation`); the simulator's in demo mode. */
  HIGHLEVEL_MARKETPLACE_URL: z.url({ error: 'expected an absolute URL' }).optional(),
  /** Space-separated OAuth scopes asked for at install. */
  HIGHLEVEL_OAUTH_SCOPES: z
    .string()
    .default('contacts.readonly contacts.write locations.readonly oauth.readonly oauth.write'),
  OPSFLOW_HIGHLEVEL_SIM_PORT: port(4010),

  ZOHO_CLIENT_ID: optionalString,
  ZOHO_CLIENT_SECRET: optionalString,
  ZOHO_REFRESH_TOKEN: optionalString,
  ZOHO_ORGANIZATION_ID: optionalString,
  ZOHO_DC: z.enum(['com', 'eu', 'in', 'com.au', 'jp', 'ca']).default('com'),
  ZOHO_API_BASE_URL: z.url({ error: 'expected an absolute URL' }).optional(),
  ZOHO_ACCOUNTS_URL: z.url({ error: 'expected an absolute URL' }).optional(),
  OPSFLOW_ZOHO_SIM_PORT: port(4020),
  /** ZOHO calls per minute for the whole organization, shared by every worker through PostgreSQL. */
  ZOHO_CALLS_PER_MINUTE: rate('calls per minute', DEFAULT_ZOHO_CALLS_PER_MINUTE),
  /** Server-side limits of the vendor task queues (activity starts per second, all workers together). */
  ZOHO_QUEUE_ACTIVITIES_PER_SECOND: rate('activities per second', DEFAULT_ZOHO_QUEUE_ACTIVITIES_PER_SECOND),
  HIGHLEVEL_QUEUE_ACTIVITIES_PER_SECOND: rate('activities per second', DEFAULT_HIGHLEVEL_QUEUE_ACTIVITIES_PER_SECOND),

  ...INCIDENT_ENV,
});

/** Every variable `loadConfig` reads by name; Temporal's own `TEMPORAL_*` come in through @temporalio/envconfig. */
export const CONFIG_VARIABLES = Object.keys(EnvSchema.shape);

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
  /** The queues this process's workers poll (OPSFLOW_WORKER_QUEUES); all three by default. */
  workerQueues: Array<keyof TaskQueues>;
  /** Server-side rate limits of the vendor queues, in activity starts per second across all workers. */
  queueLimits: { highlevel: number; zoho: number };
  /**
   * OPSFLOW_TASK_QUEUE_PREFIX: also prefixes workflow ids derived from business keys (incidents), so deployments
   * that share a namespace never steer each other's runs.
   */
  idPrefix: string;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  /** OPSFLOW_LOG_FORMAT; undefined lets the logger choose by whether stdout is a terminal. */
  logFormat?: LogFormat;
  encryptionKey?: Buffer;
  /** Older keys that still decrypt (key rotation); the current key encrypts. */
  previousEncryptionKeys?: Buffer[];
  demoScale: number;
  /**
   * Runbook reports: the weekly capacity threshold, how many failed records the daily report lists, and how long
   * the timed vendor calls behind the weekly latency figures are kept (the monthly retention's `vendor-calls`).
   */
  reports: { capacityThresholdBytes: number; failedSyncsListed: number; vendorCallsRetentionDays: number };
  /** Path of a prebuilt workflow bundle (OPSFLOW_WORKFLOW_BUNDLE). */
  workflowBundle?: string;
  /** When the monitor pages an integration's outage and resolves it (see src/incidents/outages.ts). */
  outages: OutagePolicy;
  /** Nightly backups (src/backups): where they go, how many are kept, which pg_dump, how old is too old. */
  backups: {
    dir: string;
    keepDaily: number;
    keepWeekly: number;
    maxAgeSeconds: number;
    pgBinDir?: string;
  };
  /** How long a stop lets in-flight activities finish before cancelling them (OPSFLOW_SHUTDOWN_GRACE). */
  shutdownGraceMs: number;
  metrics: {
    /** Where this process's Temporal SDK runtime serves Prometheus metrics; `DEMO_SDK_METRICS_BIND` in demo mode. */
    sdkBind?: string;
    /** Where GET /metrics reads the SDK runtime metrics to merge them in. */
    sdkUrl?: string;
  };
  /** Origins (the Web UI's) allowed to call the codec endpoint. */
  codecCorsOrigins: string[];
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
    /** The Web UI's base URL, for links to a workflow's page in notices. */
    uiUrl: string;
  };
  /**
   * The key of signed links (acknowledge links in notices, report links in emails): OPSFLOW_LINK_SECRET, else one
   * derived from the operator token; unset only in demo mode without a token, where `secretFile` holds a generated one.
   */
  links: { secret?: string; secretFile: string };
  mail: { smtpUrl?: string; from: string; capturePort: number; mailboxPort: number };
  highlevel: {
    /** API base; the simulator's in demo mode. */
    baseUrl: string;
    clientId: string;
    clientSecret: string;
    webhookPublicKey?: string;
    /** Marketplace host of the install (authorize) page; the simulator's in demo mode. */
    marketplaceUrl: string;
    oauthScopes: string;
    simulatorPort: number;
  };
  zoho: {
    /** API base, e.g. https://www.zohoapis.eu/billing/v1; the simulator's in demo mode. */
    apiBaseUrl: string;
    /** OAuth host, e.g. https://accounts.zoho.eu; the simulator's in demo mode. */
    accountsUrl: string;
    clientId: string;
    clientSecret: string;
    refreshToken: string;
    organizationId: string;
    /** The organization's call budget per minute, shared by every worker (ZOHO_CALLS_PER_MINUTE). */
    callsPerMinute: number;
    simulatorPort: number;
  };
  /** Escalation targets per level and the SMS provider (see src/incidents/settings.ts). */
  notifications: NotificationSettings;
  /** Escalation policy per severity and quiet hours. */
  incidents: IncidentSettings;
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

  const demo = e.HIGHLEVEL_CLIENT_ID === undefined && e.ZOHO_CLIENT_ID === undefined;
  const missing = demo
    ? []
    : (
        [
          ['HIGHLEVEL_CLIENT_ID', e.HIGHLEVEL_CLIENT_ID],
          ['HIGHLEVEL_CLIENT_SECRET', e.HIGHLEVEL_CLIENT_SECRET],
          ['ZOHO_CLIENT_ID', e.ZOHO_CLIENT_ID],
          ['ZOHO_CLIENT_SECRET', e.ZOHO_CLIENT_SECRET],
          ['ZOHO_REFRESH_TOKEN', e.ZOHO_REFRESH_TOKEN],
          ['ZOHO_ORGANIZATION_ID', e.ZOHO_ORGANIZATION_ID],
        ] as const
      ).filter(([, value]) => value === undefined);
  if (missing.length > 0) {
    throw new ConfigError(
      `Invalid configuration:\n${missing.map(([name]) => `  ${name}: required once vendor credentials are configured (unset every HIGHLEVEL_* and ZOHO_* credential for demo mode)`).join('\n')}`,
    );
  }
  const hlSim = `http://127.0.0.1:${e.OPSFLOW_HIGHLEVEL_SIM_PORT}`;
  const zohoSim = `http://127.0.0.1:${e.OPSFLOW_ZOHO_SIM_PORT}`;

  const sdkMetricsBind = e.OPSFLOW_SDK_METRICS_BIND ?? (demo ? DEMO_SDK_METRICS_BIND : undefined);
  const operatorTokens = e.OPSFLOW_API_TOKEN ? [e.OPSFLOW_API_TOKEN] : [];
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
    workerQueues: [...new Set(e.OPSFLOW_WORKER_QUEUES)],
    queueLimits: { highlevel: e.HIGHLEVEL_QUEUE_ACTIVITIES_PER_SECOND, zoho: e.ZOHO_QUEUE_ACTIVITIES_PER_SECOND },
    idPrefix: e.OPSFLOW_TASK_QUEUE_PREFIX,
    logLevel: e.OPSFLOW_LOG_LEVEL,
    logFormat: e.OPSFLOW_LOG_FORMAT,
    encryptionKey: e.OPSFLOW_ENCRYPTION_KEY ? Buffer.from(e.OPSFLOW_ENCRYPTION_KEY, 'base64') : undefined,
    previousEncryptionKeys: e.OPSFLOW_PREVIOUS_ENCRYPTION_KEYS.map((k) => Buffer.from(k, 'base64')),
    demoScale: e.OPSFLOW_DEMO_SCALE,
    reports: {
      capacityThresholdBytes: Math.round(e.OPSFLOW_CAPACITY_THRESHOLD_GB * 1024 ** 3),
      failedSyncsListed: e.OPSFLOW_REPORT_FAILED_SYNCS,
      vendorCallsRetentionDays: e.OPSFLOW_VENDOR_CALLS_RETENTION_DAYS,
    },
    workflowBundle: e.OPSFLOW_WORKFLOW_BUNDLE ? resolve(e.OPSFLOW_WORKFLOW_BUNDLE) : undefined,
    metrics: {
      sdkBind: sdkMetricsBind,
      sdkUrl:
        e.OPSFLOW_SDK_METRICS_URL ??
        (sdkMetricsBind ? `http://${sdkMetricsBind.replace(/^0\.0\.0\.0:/, '127.0.0.1:')}/metrics` : undefined),
    },
    // The dev server's Web UI decodes payloads through the API's codec endpoint from the operator's browser.
    codecCorsOrigins:
      e.OPSFLOW_CODEC_CORS_ORIGINS.length > 0 || !embeddedTemporal
        ? e.OPSFLOW_CODEC_CORS_ORIGINS
        : [`http://127.0.0.1:${e.OPSFLOW_TEMPORAL_UI_PORT}`, `http://localhost:${e.OPSFLOW_TEMPORAL_UI_PORT}`],
    shutdownGraceMs: e.OPSFLOW_SHUTDOWN_GRACE,
    backups: {
      dir: e.OPSFLOW_BACKUP_DIR ? resolve(e.OPSFLOW_BACKUP_DIR) : join(dataDir, 'backups'),
      keepDaily: e.OPSFLOW_BACKUP_KEEP_DAILY,
      keepWeekly: e.OPSFLOW_BACKUP_KEEP_WEEKLY,
      maxAgeSeconds: e.OPSFLOW_BACKUP_MAX_AGE,
      pgBinDir: e.OPSFLOW_PG_BIN_DIR ? resolve(e.OPSFLOW_PG_BIN_DIR) : undefined,
    },
    outages: {
      openAfter: e.OPSFLOW_OUTAGE_OPEN_AFTER,
      resolveAfter: e.OPSFLOW_OUTAGE_RESOLVE_AFTER,
      severity: e.OPSFLOW_OUTAGE_SEVERITY,
    },
    demo,
    database: { url: e.DATABASE_URL, embeddedPort: e.OPSFLOW_PG_PORT },
    temporal: {
      embedded: embeddedTemporal,
      address: temporalAddress,
      namespace,
      connect: { ...connect, namespace },
      cliPath: e.TEMPORAL_CLI_PATH,
      uiPort: e.OPSFLOW_TEMPORAL_UI_PORT,
      uiUrl: (e.OPSFLOW_TEMPORAL_UI_URL ?? `http://127.0.0.1:${e.OPSFLOW_TEMPORAL_UI_PORT}`).replace(/\/+$/, ''),
    },
    links: {
      // Derived, so a deployment that sets only the API token still signs with a key no one else has; rotating
      // the token then invalidates outstanding links, which OPSFLOW_LINK_SECRET avoids.
      secret:
        e.OPSFLOW_LINK_SECRET ??
        (operatorTokens[0] &&
          createHmac('sha256', operatorTokens[0]).update('opsflow signed links').digest('base64url')),
      secretFile: join(dataDir, 'link-secret'),
    },
    mail: {
      smtpUrl: e.SMTP_URL,
      from: e.MAIL_FROM,
      capturePort: e.OPSFLOW_SMTP_PORT,
      mailboxPort: e.OPSFLOW_MAILBOX_PORT,
    },
    highlevel: {
      baseUrl: e.HIGHLEVEL_BASE_URL ?? (demo ? hlSim : 'https://services.leadconnectorhq.com'),
      clientId: e.HIGHLEVEL_CLIENT_ID ?? 'demo-highlevel-client',
      clientSecret: e.HIGHLEVEL_CLIENT_SECRET ?? 'demo-highlevel-secret',
      webhookPublicKey: e.HIGHLEVEL_WEBHOOK_PUBLIC_KEY,
      marketplaceUrl:
        e.HIGHLEVEL_MARKETPLACE_URL ?? (demo ? (e.HIGHLEVEL_BASE_URL ?? hlSim) : 'https://marketplace.gohighlevel.com'),
      oauthScopes: e.HIGHLEVEL_OAUTH_SCOPES,
      simulatorPort: e.OPSFLOW_HIGHLEVEL_SIM_PORT,
    },
    zoho: {
      apiBaseUrl:
        e.ZOHO_API_BASE_URL ?? (demo ? `${zohoSim}/billing/v1` : `https://www.zohoapis.${e.ZOHO_DC}/billing/v1`),
      accountsUrl: e.ZOHO_ACCOUNTS_URL ?? (demo ? zohoSim : `https://accounts.zoho.${e.ZOHO_DC}`),
      clientId: e.ZOHO_CLIENT_ID ?? 'demo-zoho-client',
      clientSecret: e.ZOHO_CLIENT_SECRET ?? 'demo-zoho-secret',
      refreshToken: e.ZOHO_REFRESH_TOKEN ?? 'demo-zoho-refresh-token',
      organizationId: e.ZOHO_ORGANIZATION_ID ?? '10234695',
      callsPerMinute: e.ZOHO_CALLS_PER_MINUTE,
      simulatorPort: e.OPSFLOW_ZOHO_SIM_PORT,
    },
    ...incidentSettings(e, { demo, timeZone: e.OPSFLOW_TIMEZONE }),
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

/** Where the operator CLI finds the API, and the token it sends. */
export interface CliConfig {
  apiUrl: string;
  /** OPSFLOW_API_TOKEN, or else the demo token `npm start` writes to `<data dir>/api-token`. */
  token?: string;
  tokenFile: string;
}

const CliEnvSchema = z.object({
  OPSFLOW_API_URL: z
    .url({ protocol: /^https?$/, error: 'expected an http(s) URL such as http://127.0.0.1:3000' })
    .default('http://127.0.0.1:3000'),
  OPSFLOW_API_TOKEN: z.string().min(1).optional(),
  OPSFLOW_DATA_DIR: z.string().default('.data'),
});

/**
 * The operator CLI's settings: it talks to the API over HTTP and needs none of the server's configuration.
 *
 * @throws {ConfigError} naming the malformed variable.
 * @example
 * const { apiUrl, token } = loadCliConfig(process.env);
 */
export function loadCliConfig(env: Env): CliConfig {
  const parsed = CliEnvSchema.safeParse(env);
  if (!parsed.success) throw new ConfigError(formatIssues(parsed.error, env));
  const e = parsed.data;
  return {
    apiUrl: e.OPSFLOW_API_URL.replace(/\/$/, ''),
    token: e.OPSFLOW_API_TOKEN,
    tokenFile: join(resolve(e.OPSFLOW_DATA_DIR), 'api-token'),
  };
}
