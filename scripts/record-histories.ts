/**
 * Records a history per replay case (test/replay/cases.ts) into test/fixtures/histories/<workflow>-<case>.json:
 * starts a private test stack (Temporal dev server, embedded PostgreSQL, SMTP capture), runs each case to its end
 * on today's code, and writes the history. `npx tsx scripts/record-histories.ts [substring]`.
 */
import proto from '@temporalio/proto';
import { bundleWorkflowCode } from '@temporalio/worker';
import { randomUUID } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../src/config.js';
import { migrate } from '../src/db/migrate.js';
import { startMailCapture } from '../src/dev/mail-capture.js';
import { freePort } from '../src/dev/ports.js';
import { ensureDatabase, startEmbeddedPostgres } from '../src/dev/postgres.js';
import { startTemporalDevServer } from '../src/dev/temporal.js';
import { createLogger } from '../src/logger.js';
import { startRun } from '../src/temporal/start.js';
import { WORKFLOWS_PATH } from '../src/worker.js';
import { REPLAY_CASES } from '../test/replay/cases.js';

const ROOT = new URL('..', import.meta.url).pathname;
const OUT = join(ROOT, 'test', 'fixtures', 'histories');

async function run(): Promise<void> {
  const filter = process.argv[2] ?? '';
  const log = createLogger('warn');
  const runDir = join(ROOT, '.data', `record-${process.pid}`);
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
  try {
    await ensureDatabase(db.adminUrl, 'opsflow_template');
    await migrate(db.adminUrl.replace(/\/postgres$/, '/opsflow_template'));
    const bundlePath = join(runDir, 'workflow-bundle.js');
    writeFileSync(bundlePath, (await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH })).code);
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
    // The same per-run environment the tests use: real workers, own database and task queues.
    const { startTestEnv } = await import('../test/harness.js');
    const env = await startTestEnv();
    try {
      mkdirSync(OUT, { recursive: true });
      for (const c of REPLAY_CASES.filter((c) => `${c.workflow}-${c.name}`.includes(filter))) {
        const { handle } = await startRun(env.client, {
          workflow: c.workflow,
          workflowId: `replay-${c.workflow}-${c.name}-${randomUUID().slice(0, 8)}`,
          taskQueue: env.config.taskQueues.main,
          kind: c.kind,
          summary: `Replay fixture ${c.workflow} ${c.name}`,
          args: c.args,
        });
        await handle.result();
        const file = join(OUT, `${c.workflow}-${c.name}.json`);
        // Plain JSON (enum names, base64 bytes, string int64s) that History.fromObject reads back as it was.
        const { History } = proto.temporal.api.history.v1;
        const history = History.toObject(History.fromObject(await handle.fetchHistory()), {
          enums: String,
          bytes: String,
          longs: String,
        });
        writeFileSync(file, `${JSON.stringify(history, null, 1)}\n`);
        console.log(`recorded ${file}`);
      }
    } finally {
      await env.stop();
    }
  } finally {
    await Promise.allSettled([temporal.stop(), mail.stop()]);
    await db.stop();
    rmSync(runDir, { recursive: true, force: true });
  }
}

run().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
