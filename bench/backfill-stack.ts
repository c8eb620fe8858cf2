/**
 * The stack the backfill benchmarks need when run alone: an embedded PostgreSQL with a migrated template database,
 * a Temporal dev server and a workflow bundle, described the way test/harness.ts reads it. Under bench/run.ts
 * (or test/run.ts) the shared stack is used instead.
 */
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/config.js';
import { migrate } from '../src/db/migrate.js';
import { freePort } from '../src/dev/ports.js';
import { ensureDatabase, startEmbeddedPostgres } from '../src/dev/postgres.js';
import { startTemporalDevServer } from '../src/dev/temporal.js';
import { createLogger } from '../src/logger.js';
import { WORKFLOWS_PATH } from '../src/worker.js';
import type { TestStack } from '../test/harness.js';

/** Starts a stack unless one is already described in OPSFLOW_TEST_STACK; answers how to stop what it started. */
export async function ensureBenchStack(): Promise<() => Promise<void>> {
  if (process.env.OPSFLOW_TEST_STACK) return async () => undefined;
  const log = createLogger('warn');
  const config = loadConfig({});
  const dir = join(tmpdir(), `opsflow-bench-backfill-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  const [pgPort, temporalPort, uiPort] = await Promise.all([freePort(), freePort(), freePort()]);
  const [db, temporal] = await Promise.all([
    startEmbeddedPostgres({ dir: join(dir, 'pg'), port: pgPort!, log, persistent: false }),
    startTemporalDevServer({
      cliPath: config.temporal.cliPath,
      cacheDir: config.cacheDir,
      port: temporalPort!,
      uiPort: uiPort!,
      namespace: 'default',
      log,
    }),
  ]);
  await ensureDatabase(db.adminUrl, 'opsflow_template');
  await migrate(db.adminUrl.replace(/\/postgres$/, '/opsflow_template'));
  const { code } = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: new DefaultLogger('WARN') });
  writeFileSync(join(dir, 'bundle.js'), code);
  const stack: TestStack = {
    adminUrl: db.adminUrl,
    templateDatabase: 'opsflow_template',
    temporalAddress: temporal.address,
    temporalUiPort: uiPort!,
    smtpUrl: 'smtp://127.0.0.1:1',
    mailboxUrl: 'http://127.0.0.1:1',
    workflowBundlePath: join(dir, 'bundle.js'),
    runDir: dir,
  };
  writeFileSync(join(dir, 'stack.json'), JSON.stringify(stack));
  process.env.OPSFLOW_TEST_STACK = join(dir, 'stack.json');
  return async () => {
    delete process.env.OPSFLOW_TEST_STACK;
    await temporal.stop();
    await db.stop();
    rmSync(dir, { recursive: true, force: true });
  };
}
