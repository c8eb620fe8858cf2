/**
 * The test run: starts one Temporal dev server, one embedded PostgreSQL (with a migrated template database)
 * and one SMTP capture server for the whole run, bundles the workflows once, then runs every test file with
 * Node's test runner. Test files reach the shared stack through `test/harness.ts`.
 */
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { loadConfig } from '../src/config.js';
import { migrate } from '../src/db/migrate.js';
import { startMailCapture } from '../src/dev/mail-capture.js';
import { freePort } from '../src/dev/ports.js';
import { ensureDatabase, startEmbeddedPostgres } from '../src/dev/postgres.js';
import { startTemporalDevServer } from '../src/dev/temporal.js';
import { createLogger } from '../src/logger.js';
import { WORKFLOWS_PATH } from '../src/worker.js';
import type { TestStack } from './harness.js';

const quietBundlerLogger = new DefaultLogger('WARN');
const ROOT = new URL('..', import.meta.url).pathname;
const RUN_DIR = join(ROOT, '.data', `test-run-${process.pid}`);
const TEMPLATE_DB = 'opsflow_template';

function testFiles(dir: string, filter: string[]): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) found.push(...testFiles(path, filter));
    else if (entry.endsWith('.test.ts')) found.push(path);
  }
  return found.filter((f) => filter.length === 0 || filter.some((part) => f.includes(part))).sort();
}

async function main(): Promise<number> {
  const log = createLogger(process.env.TEST_LOG_LEVEL ?? 'warn');
  const config = loadConfig({});
  const filter = process.argv.slice(2);
  mkdirSync(RUN_DIR, { recursive: true });

  const [pgPort, temporalPort, uiPort, smtpPort, mailboxPort] = await Promise.all(
    Array.from({ length: 5 }, () => freePort()),
  );
  const started = Date.now();
  const [db, temporal, mail] = await Promise.all([
    startEmbeddedPostgres({ dir: join(RUN_DIR, 'postgres'), port: pgPort!, log, persistent: false }),
    startTemporalDevServer({
      cliPath: config.temporal.cliPath,
      cacheDir: config.cacheDir,
      port: temporalPort!,
      uiPort: uiPort!,
      namespace: 'default',
      log,
    }),
    startMailCapture({ smtpPort: smtpPort!, httpPort: mailboxPort!, log }),
  ]);
  try {
    await ensureDatabase(db.adminUrl, TEMPLATE_DB);
    const templateUrl = db.adminUrl.replace(/\/postgres$/, `/${TEMPLATE_DB}`);
    await migrate(templateUrl);
    const { code } = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quietBundlerLogger });
    const bundlePath = join(RUN_DIR, 'workflow-bundle.js');
    writeFileSync(bundlePath, code);

    const stack: TestStack = {
      adminUrl: db.adminUrl,
      templateDatabase: TEMPLATE_DB,
      temporalAddress: temporal.address,
      temporalUiPort: uiPort!,
      smtpUrl: mail.smtpUrl,
      mailboxUrl: mail.mailboxUrl,
      workflowBundlePath: bundlePath,
      runDir: RUN_DIR,
    };
    const stackFile = join(RUN_DIR, 'stack.json');
    writeFileSync(stackFile, JSON.stringify(stack));
    console.log(`test stack ready in ${Math.round((Date.now() - started) / 1000)} s`);

    const files = testFiles(join(ROOT, 'test'), filter);
    console.log(`running ${files.length} test files`);
    return await new Promise<number>((resolve) => {
      const child = spawn(
        process.execPath,
        [
          '--import',
          'tsx',
          '--test',
          '--test-reporter=spec',
          `--test-concurrency=${process.env.TEST_CONCURRENCY ?? 2}`,
          ...files.map((f) => relative(ROOT, f)),
        ],
        { cwd: ROOT, stdio: 'inherit', env: { ...process.env, OPSFLOW_TEST_STACK: stackFile } },
      );
      child.on('exit', (code) => resolve(code ?? 1));
      // Interrupted: stop the test processes, then fall through to stopping the shared stack.
      for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => child.kill(signal));
    });
  } finally {
    await Promise.allSettled([temporal.stop(), mail.stop()]);
    await db.stop();
    rmSync(RUN_DIR, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
