import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config.js';
import { prepareBackupTools } from '../backups/backup.js';
import { migrate } from '../db/migrate.js';
import type { Logger } from '../logger.js';
import type { Shutdown } from '../shutdown.js';
import { startHighLevelSimulator } from '../simulators/highlevel/index.js';
import { startZohoSimulator } from '../simulators/zoho/index.js';
import { startSmsSimulator } from '../simulators/sms/index.js';
import { startMailCapture, type MailCapture } from './mail-capture.js';
import { startEmbeddedPostgres, stopStalePostgres } from './postgres.js';
import { assertPortFree } from './ports.js';
import { startTemporalDevServer, stopStaleDevServer, type DevServer } from './temporal.js';

/** Where each part of the running stack can be reached. */
export interface Stack {
  databaseUrl: string;
  temporalAddress: string;
  /** The Web UI, when Opsflow started the dev server. */
  uiUrl?: string;
  smtpUrl: string;
  /** HTTP listing of captured mail, when Opsflow started the capture server. */
  mailboxUrl?: string;
  /** Base URLs of the vendor simulators started in demo mode. */
  simulators: { highlevel?: string; zoho?: string; sms?: string };
}

type Part = { stop(): Promise<void> } | undefined;

/**
 * Starts independent parts of a stack at once. Each part that started is handed to `onStarted` with its index
 * (register its stop; stop them in reverse), including when another part failed, whose error is then thrown:
 * nothing is left running.
 *
 * @example
 * const [db, mail] = await startParts([startEmbeddedPostgres(pgOptions), startMailCapture(mailOptions)], (stop) => stops.push(stop));
 */
export async function startParts<T extends readonly Part[]>(
  parts: { [K in keyof T]: Promise<T[K]> | T[K] },
  onStarted: (stop: () => Promise<void>, index: number) => void,
): Promise<T> {
  const started = await Promise.allSettled(parts);
  started.forEach((part, i) => {
    if (part.status === 'fulfilled' && part.value) onStarted(part.value.stop, i);
  });
  const failed = started.find((part) => part.status === 'rejected');
  if (failed) throw failed.reason;
  return started.map((part) => (part.status === 'fulfilled' ? part.value : undefined)) as unknown as T;
}

/**
 * Brings up what the configuration does not point elsewhere: embedded PostgreSQL (unless DATABASE_URL),
 * the Temporal dev server with its Web UI (unless TEMPORAL_ADDRESS), and the SMTP capture server (unless
 * SMTP_URL); then applies the migrations and, in demo mode, starts the vendor simulators. Each part registers its
 * stop with `shutdown` as soon as it runs, so a stop during the start (or a failed start) stops what did start:
 * the simulators first, then the Temporal dev server, then PostgreSQL and the capture server.
 *
 * @example
 * const stack = await startStack(config, log, shutdown);
 */
export async function startStack(config: Config, log: Logger, shutdown: Pick<Shutdown, 'add'>): Promise<Stack> {
  mkdirSync(config.dataDir, { recursive: true });
  const temporalPort = Number(config.temporal.address.split(':').pop());
  const dbFile = join(config.dataDir, 'temporal.db');
  const pgDir = join(config.dataDir, 'postgres');
  // A start killed with `kill -9` leaves its servers running: stop those of this data directory before the ports
  // are checked, so only a foreign process on a port stops the start.
  if (config.temporal.embedded) await stopStaleDevServer(dbFile, log);
  if (!config.database.url) await stopStalePostgres(pgDir, log);
  const wanted: Array<[boolean, number, string, string]> = [
    [!config.database.url, config.database.embeddedPort, 'embedded PostgreSQL', 'OPSFLOW_PG_PORT or DATABASE_URL'],
    [config.temporal.embedded, temporalPort, 'the Temporal dev server', 'OPSFLOW_TEMPORAL_PORT or TEMPORAL_ADDRESS'],
    [config.temporal.embedded, config.temporal.uiPort, 'the Temporal Web UI', 'OPSFLOW_TEMPORAL_UI_PORT'],
    [!config.mail.smtpUrl, config.mail.capturePort, 'the SMTP capture server', 'OPSFLOW_SMTP_PORT or SMTP_URL'],
    [!config.mail.smtpUrl, config.mail.mailboxPort, 'the captured-mail listing', 'OPSFLOW_MAILBOX_PORT'],
    [true, config.api.port, 'the API', 'OPSFLOW_PORT'],
  ];
  for (const [needed, port, what, setting] of wanted) if (needed) await assertPortFree(port, what, setting);
  const names = ['the SMTP capture server', 'PostgreSQL', 'the Temporal dev server'];
  const [mail, database, temporal] = await startParts<
    [MailCapture | undefined, { url: string; stop(): Promise<void> }, DevServer | undefined]
  >(
    [
      config.mail.smtpUrl
        ? undefined
        : startMailCapture({ smtpPort: config.mail.capturePort, httpPort: config.mail.mailboxPort, log }),
      config.database.url
        ? { url: config.database.url, stop: async () => undefined }
        : startEmbeddedPostgres({ dir: pgDir, port: config.database.embeddedPort, log }),
      config.temporal.embedded
        ? startTemporalDevServer({
            cliPath: config.temporal.cliPath,
            cacheDir: config.cacheDir,
            dbFile,
            port: temporalPort,
            uiPort: config.temporal.uiPort,
            namespace: config.temporal.namespace,
            // With payload encryption on, the dev server's Web UI decodes through the API's codec endpoint.
            codecEndpoint: config.encryptionKey ? `${config.api.publicUrl}/codec` : undefined,
            log,
          })
        : undefined,
    ],
    (stop, i) => shutdown.add(names[i]!, stop),
  );
  await migrate(database.url, log);
  // pg_dump and pg_restore for the nightly backup: found or fetched now, so a machine without them is told at
  // start. Backups are not needed to run, so a failure is a warning; the backup itself pages if still missing.
  await prepareBackupTools(database.url, { binDir: config.backups.pgBinDir, cacheDir: config.cacheDir, log }).then(
    (tools) => log.info({ component: 'backups', pgDump: tools.pgDump, how: tools.how }, `backups use ${tools.version}`),
    (err: Error) => log.warn({ component: 'backups', err: err.message }, 'backups will fail: no usable pg_dump'),
  );
  // Demo mode: the vendor simulators stand in for HighLevel and ZOHO (started here, on their fixed ports).
  const simulators: Stack['simulators'] = {};
  if (config.demo && config.highlevel.baseUrl === `http://127.0.0.1:${config.highlevel.simulatorPort}`) {
    await assertPortFree(config.highlevel.simulatorPort, 'the HighLevel simulator', 'OPSFLOW_HIGHLEVEL_SIM_PORT');
    const highlevel = await startHighLevelSimulator({ port: config.highlevel.simulatorPort, log });
    shutdown.add('HighLevel simulator', highlevel.stop);
    simulators.highlevel = highlevel.url;
  }
  if (config.demo && config.zoho.accountsUrl === `http://127.0.0.1:${config.zoho.simulatorPort}`) {
    await assertPortFree(config.zoho.simulatorPort, 'the ZOHO simulator', 'OPSFLOW_ZOHO_SIM_PORT');
    const zoho = await startZohoSimulator({ port: config.zoho.simulatorPort, log });
    shutdown.add('ZOHO simulator', zoho.stop);
    simulators.zoho = zoho.url;
  }
  // Without an SMS account, escalation texts go to the local Twilio-compatible simulator (GET /__sim/messages).
  if (
    config.notifications.sms.simulated &&
    config.notifications.sms.apiUrl === `http://127.0.0.1:${config.notifications.sms.simulatorPort}`
  ) {
    await assertPortFree(config.notifications.sms.simulatorPort, 'the SMS simulator', 'OPSFLOW_SMS_SIM_PORT');
    const sms = await startSmsSimulator({ port: config.notifications.sms.simulatorPort, log });
    shutdown.add('SMS simulator', sms.stop);
    simulators.sms = sms.url;
  }
  return {
    databaseUrl: database.url,
    temporalAddress: config.temporal.address,
    uiUrl: temporal?.uiUrl,
    smtpUrl: config.mail.smtpUrl ?? mail?.smtpUrl ?? '',
    mailboxUrl: mail?.mailboxUrl,
    simulators,
  };
}
