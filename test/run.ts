/**
 * The test run: starts one stack for the whole run (test/stack.ts: Temporal dev server, embedded PostgreSQL with a
 * migrated template database, SMTP capture, the workflow bundle), then runs every test file with Node's test runner.
 * Test files reach the shared stack through `test/harness.ts`.
 *
 * `--topology` (`npm run test:topology`) runs the integration, reliability and topology suites on the production
 * Temporal server on PostgreSQL instead (see test/stack.ts), each file's workers and API as the deployed processes
 * (test/harness.ts); the topology suite runs only then.
 */
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { buildEntryPoints } from './entry-points.js';
import { startPrivateStack } from './stack.js';

const ROOT = new URL('..', import.meta.url).pathname;
const RUN_DIR = join(ROOT, '.data', `test-run-${process.pid}`);

/** The suites the topology run covers by default. */
const TOPOLOGY_SUITES = ['test/integration/', 'test/reliability/', 'test/topology/'];

function testFiles(dir: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) found.push(...testFiles(path));
    else if (entry.endsWith('.test.ts')) found.push(path);
  }
  return found;
}

function selected(files: string[], filter: string[], topology: boolean): string[] {
  const inRun = (f: string) =>
    topology ? TOPOLOGY_SUITES.some((suite) => f.includes(suite)) : !f.includes('test/topology/');
  // A filter picks among the run's suites; on the topology server it may also pick a file of any other suite, but the
  // topology suite never runs on the dev server (its files need the production server and its processes).
  const pool = topology && filter.length > 0 ? files : files.filter(inRun);
  const chosen = filter.length === 0 ? pool : pool.filter((f) => filter.some((p) => f.includes(p)));
  return chosen.sort();
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const topology = args.includes('--topology');
  const filter = args.filter((a) => a !== '--topology');
  // Every process of the run (the fault tests start stacks of their own) runs on the same kind of server.
  if (topology) process.env.OPSFLOW_TEST_TOPOLOGY = '1';
  const started = Date.now();
  const { stackFile, stop } = await startPrivateStack({ dir: RUN_DIR }).catch((err: unknown) => {
    throw new Error(`The test stack did not start: ${err instanceof Error ? err.message : String(err)}`);
  });
  try {
    console.log(`test stack ready in ${Math.round((Date.now() - started) / 1000)} s`);
    // The deployed processes run compiled, as the image runs them (test/topology/deployment.ts): built once per run,
    // into the run's directory, which the stack's stop removes.
    if (topology) {
      process.env.OPSFLOW_TEST_BUILD = join(RUN_DIR, 'build');
      await buildEntryPoints(process.env.OPSFLOW_TEST_BUILD);
    }

    const files = selected(testFiles(join(ROOT, 'test')), filter, topology);
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
      child.on('exit', (code) => {
        const mode = topology ? 'Temporal server on PostgreSQL' : 'Temporal dev server';
        console.log(`${files.length} test files on the ${mode} in ${Math.round((Date.now() - started) / 1000)} s`);
        resolve(code ?? 1);
      });
      child.on('error', (err) => {
        console.error(`The test runner (${process.execPath} --test) could not be started: ${err.message}`);
        resolve(1);
      });
      // Interrupted: stop the test processes, then fall through to stopping the shared stack.
      for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => child.kill(signal));
    });
  } finally {
    await stop();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
