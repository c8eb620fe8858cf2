/**
 * The compiled JavaScript the image runs (`npm run build`): its worker and API entry points start on a real stack with
 * plain Node, and what they read from the repository at run time (the migrations, the Temporal deploy configuration,
 * the workflow sources) resolves from the compiled files as from the sources. The build here goes to a directory of
 * its own under the build directory, one level deeper than `dist/src/`, so a path that only worked at one depth fails.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import type * as Migrate from '../../src/db/migrate.js';
import { ensureDatabase } from '../../src/dev/postgres.js';
import { freePort } from '../../src/dev/ports.js';
import type * as TemporalServer from '../../src/dev/temporal-server.js';
import type * as WorkerModule from '../../src/worker.js';
import { BUILD_DIR, buildEntryPoints, compiledEntryPoint, entryPointOf, startEntryPoint } from '../entry-points.js';
import { createTestDatabase, testStack } from '../harness.js';

const ROOT = new URL('../../', import.meta.url).pathname;

describe('the compiled entry points', { timeout: 120_000 }, () => {
  mkdirSync(join(ROOT, BUILD_DIR), { recursive: true });
  const outDir = mkdtempSync(join(ROOT, BUILD_DIR, 'test-build-'));
  const compiled = (source: string) => join(ROOT, compiledEntryPoint(source, relative(ROOT, outDir)));
  const load = <T>(source: string) => import(pathToFileURL(compiled(source)).href) as Promise<T>;

  before(() => buildEntryPoints(outDir));
  after(() => rmSync(outDir, { recursive: true, force: true }));

  it('start the worker and the API with plain Node, no TypeScript loader', async () => {
    const stack = testStack();
    const databaseUrl = await createTestDatabase();
    const vars = {
      TEMPORAL_ADDRESS: stack.temporalAddress,
      DATABASE_URL: databaseUrl,
      SMTP_URL: stack.smtpUrl,
      OPSFLOW_TASK_QUEUE_PREFIX: `t-${randomUUID().slice(0, 8)}-`,
      OPSFLOW_API_TOKEN: `operator-${randomUUID()}`,
      OPSFLOW_DATA_DIR: stack.runDir,
      OPSFLOW_SHUTDOWN_GRACE: '0s',
    };
    const [worker, api] = await Promise.all([
      startEntryPoint({
        script: 'worker',
        file: compiled(entryPointOf('worker')),
        name: 'compiled worker',
        ready: 'worker started',
        vars: {
          ...vars,
          OPSFLOW_WORKFLOW_BUNDLE: stack.workflowBundlePath,
          OPSFLOW_SDK_METRICS_BIND: `127.0.0.1:${await freePort()}`,
        },
      }),
      startEntryPoint({
        script: 'api',
        file: compiled(entryPointOf('api')),
        name: 'compiled api',
        ready: 'API listening',
        vars: { ...vars, OPSFLOW_HOST: '127.0.0.1', OPSFLOW_PORT: String(await freePort()) },
      }),
    ]);
    try {
      assert.ok(worker.alive() && api.alive());
      assert.doesNotMatch(worker.child.spawnargs.join(' '), /tsx|\.ts\b/);
    } finally {
      await Promise.all([worker.stop(), api.stop()]);
    }
    assert.equal(worker.child.exitCode, 0, 'the worker drained and exited on SIGTERM');
    assert.equal(api.child.exitCode, 0, 'the API exited on SIGTERM');
  });

  it('find every shipped migration: an empty database lacks all of them', async () => {
    const { MIGRATIONS_DIR, pendingMigrations } = await load<typeof Migrate>('src/db/migrate.ts');
    assert.equal(MIGRATIONS_DIR, join(ROOT, 'migrations'));
    const { adminUrl } = testStack();
    const name = `t_${randomUUID().replace(/-/g, '').slice(0, 16)}`;
    await ensureDatabase(adminUrl, name);
    const client = new pg.Client({ connectionString: adminUrl.replace(/\/postgres$/, `/${name}`) });
    await client.connect();
    try {
      const shipped = readdirSync(join(ROOT, 'migrations')).map((f) => f.replace(/\.[^.]+$/, ''));
      assert.ok(shipped.length > 0);
      assert.deepEqual(await pendingMigrations(client), shipped.sort());
    } finally {
      await client.end();
    }
  });

  it('find the Temporal deploy configuration and the workflow sources', async () => {
    const { TEMPORAL_DEPLOY_DIR } = await load<typeof TemporalServer>('src/dev/temporal-server.ts');
    assert.equal(TEMPORAL_DEPLOY_DIR, join(ROOT, 'deploy', 'temporal'));
    assert.ok(existsSync(join(TEMPORAL_DEPLOY_DIR, 'production.yaml')));
    const { WORKFLOWS_PATH } = await load<typeof WorkerModule>('src/worker.ts');
    assert.equal(WORKFLOWS_PATH, join(ROOT, 'src', 'workflows', 'index.ts'));
    assert.ok(existsSync(WORKFLOWS_PATH));
  });
});
