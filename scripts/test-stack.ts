/**
 * A private copy of the test stack (Temporal dev server, embedded PostgreSQL with a migrated template, SMTP capture,
 * a workflow bundle) for scripts outside `npm test`: the replay recorder and the benchmarks. Once started,
 * `startTestEnv` from test/harness.ts works in this process.
 */
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../src/config.js';
import { migrate } from '../src/db/migrate.js';
import { startMailCapture } from '../src/dev/mail-capture.js';
import { freePort } from '../src/dev/ports.js';
import { ensureDatabase, startEmbeddedPostgres } from '../src/dev/postgres.js';
import { startTemporalDevServer } from '../src/dev/temporal.js';
import { createLogger } from '../src/logger.js';
import { WORKFLOWS_PATH } from '../src/worker.js';

/**
 * Starts the stack and points `OPSFLOW_TEST_STACK` at it.
 *
 * @example
 * const stack = await startPrivateTestStack();
 * const { startTestEnv } = await import('../test/harness.js');
 */
export async function startPrivateTestStack(): Promise<{ stop(): Promise<void> }> {
  const root = new URL('..', import.meta.url).pathname;
  const log = createLogger('warn');
  const runDir = join(root, '.data', `script-stack-${process.pid}`);
  mkdirSync(runDir, { recursive: true });
  const [pgPort, temporalPort, uiPort, smtpPort, mailboxPort] = await Promise.all(
    [1, 2, 3, 4, 5].map(() => freePort()),
  );
  const config = loadConfig({});
  const db = await startEmbeddedPostgres({ dir: join(runDir, 'pg'), port: pgPort!, log, persistent: false });
  const temporal = await startTemporalDevServer({
    cliPath: config.temporal.cliPath,
    cacheDir: config.cacheDir,
    port: temporalPort!,
    uiPort: uiPort!,
    namespace: 'default',
    log,
  });
  const mail = await startMailCapture({ smtpPort: smtpPort!, httpPort: mailboxPort!, log });
  await ensureDatabase(db.adminUrl, 'opsflow_template');
  await migrate(db.adminUrl.replace(/\/postgres$/, '/opsflow_template'));
  const bundlePath = join(runDir, 'workflow-bundle.js');
  const { code } = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: new DefaultLogger('WARN') });
  writeFileSync(bundlePath, code);
  const stackFile = join(runDir, 'stack.json');
  writeFileSync(
    stackFile,
    JSON.stringify({
      adminUrl: db.adminUrl,
      templateDatabase: 'opsflow_template',
      temporalAddress: temporal.address,
      temporalUiPort: uiPort,
      smtpUrl: mail.smtpUrl,
      mailboxUrl: mail.mailboxUrl,
      workflowBundlePath: bundlePath,
      runDir,
    }),
  );
  process.env.OPSFLOW_TEST_STACK = stackFile;
  return {
    async stop() {
      await Promise.allSettled([temporal.stop(), mail.stop()]);
      await db.stop();
      rmSync(runDir, { recursive: true, force: true });
    },
  };
}
