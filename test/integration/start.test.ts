import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { freePort, isPortFree } from '../../src/dev/ports.js';
import { commandLine } from '../../src/dev/processes.js';
import { removeEmbeddedPostgres } from '../../src/dev/postgres.js';
import { eventually } from '../harness.js';

const ROOT = new URL('../..', import.meta.url).pathname;

interface Started {
  child: ChildProcess;
  output: () => string;
  /** Exit code of the spawned process (npm, or node itself). */
  exited: Promise<number | null>;
  /** Every process holding the output pipe is gone (node included, even when npm died first). */
  closed: Promise<void>;
}

/**
 * Starts the stack as a user does, in a process group of its own (as a terminal runs a foreground job), so a
 * signal to the group reaches npm, node and anything else that did not leave the group.
 */
function startOpsflow(env: Record<string, string>, how: 'npm' | 'node' = 'npm'): Started {
  const [cmd, args] = how === 'npm' ? ['npm', ['start']] : [process.execPath, ['--import', 'tsx', 'src/main/start.ts']];
  const child = spawn(cmd as string, args as string[], {
    cwd: ROOT,
    env: { ...process.env, OPSFLOW_LOG_LEVEL: 'info', OPSFLOW_LOG_FORMAT: 'json', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const closed = new Promise<void>((resolve) => child.on('close', () => resolve()));
  return { child, output: () => output, exited, closed };
}

async function untilRunning(run: Started): Promise<void> {
  await eventually(async () => run.output().includes('Opsflow is running') || run.child.exitCode !== null, 240_000);
  assert.equal(run.child.exitCode, null, run.output());
}

/** Processes whose command line names the data directory: PostgreSQL and the Temporal dev server of this stack. */
function processesOf(dataDir: string): string[] {
  return readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .map((pid) => commandLine(Number(pid)))
    .filter((cmd): cmd is string => cmd !== undefined && cmd.includes(dataDir) && !cmd.includes('--test'));
}

describe('npm start', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'opsflow-start-'));
  let ports: Record<string, number>;
  let env: Record<string, string>;
  let api: string;
  const token = () => readFileSync(join(dataDir, 'api-token'), 'utf8').trim();
  const call = (path: string, init: RequestInit = {}) =>
    fetch(`${api}${path}`, { ...init, headers: { authorization: `Bearer ${token()}`, ...init.headers } });

  before(async () => {
    const names = ['PORT', 'PG_PORT', 'TEMPORAL_PORT', 'TEMPORAL_UI_PORT', 'SMTP_PORT', 'MAILBOX_PORT'];
    names.push('HIGHLEVEL_SIM_PORT', 'ZOHO_SIM_PORT', 'SMS_SIM_PORT', 'SDK_METRICS_PORT');
    ports = Object.fromEntries(await Promise.all(names.map(async (n) => [`OPSFLOW_${n}`, await freePort()] as const)));
    const { OPSFLOW_SDK_METRICS_PORT: metricsPort, ...servicePorts } = ports;
    env = {
      OPSFLOW_DATA_DIR: dataDir,
      OPSFLOW_SDK_METRICS_BIND: `127.0.0.1:${metricsPort}`,
      ...Object.fromEntries(Object.entries(servicePorts).map(([k, v]) => [k, String(v)])),
    };
    api = `http://127.0.0.1:${ports.OPSFLOW_PORT}`;
  });
  after(() => {
    removeEmbeddedPostgres(join(dataDir, 'postgres'));
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** Nothing of the stack is left: every port free, no PostgreSQL or Temporal of this data directory, a clean log. */
  async function assertNothingLeft(run: Started): Promise<void> {
    await run.closed;
    for (const [name, port] of Object.entries(ports)) {
      assert.ok(await isPortFree(port), `${name} ${port} is released after stop`);
    }
    assert.deepEqual(processesOf(dataDir), [], 'no PostgreSQL or Temporal dev server of this data directory is left');
    assert.match(run.output(), /"exitCode":0,[^\n]*"msg":"stopped"/, 'the stop finished and node exits 0');
    assert.doesNotMatch(run.output(), /connection lost|terminating connection|Connection terminated/i, run.output());
  }

  /** Activities in flight when the signal comes: a backfill paging through ZOHO and a monitor run's probes. */
  async function startWork(): Promise<void> {
    const backfill = await call('/backfills', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ integration: 'zoho', entities: ['customers', 'invoices'], mode: 'all' }),
    });
    assert.equal(backfill.status, 201, await backfill.clone().text());
    const monitor = await call('/runbooks/monitor/runs', { method: 'POST' });
    assert.equal(monitor.status, 202);
  }

  it('refuses a malformed setting with a message naming the variable', async () => {
    const run = startOpsflow({ OPSFLOW_PORT: 'abc', OPSFLOW_DATA_DIR: dataDir }, 'node');
    assert.notEqual(await run.exited, 0);
    assert.match(run.output(), /OPSFLOW_PORT: expected a port number/);
  });

  it('names the process that holds a port it needs, and starts nothing', async () => {
    const squatter = createServer();
    await new Promise<void>((resolve) => squatter.listen(ports.OPSFLOW_PORT, '127.0.0.1', resolve));
    try {
      const run = startOpsflow(env, 'node');
      assert.equal(await run.exited, 1);
      const message = `Port ${ports.OPSFLOW_PORT} for the API is already in use by pid ${process.pid}`;
      assert.match(run.output(), new RegExp(message));
      await run.closed;
      assert.deepEqual(processesOf(dataDir), [], 'nothing was started');
    } finally {
      squatter.close();
    }
  });

  it('brings up the whole stack and stops it in order on Ctrl-C (SIGINT to the group) with work in flight', async () => {
    const run = startOpsflow(env);
    await untilRunning(run);
    assert.ok(run.output().includes(token()), 'the banner prints the generated API token');
    assert.match(run.output(), new RegExp(`Web UI\\s+http://127.0.0.1:${ports.OPSFLOW_TEMPORAL_UI_PORT}`));
    const health = await fetch(`${api}/health`);
    assert.equal(health.status, 200);
    assert.equal(((await health.json()) as { status: string }).status, 'ok');
    assert.equal((await fetch(`http://127.0.0.1:${ports.OPSFLOW_TEMPORAL_UI_PORT}/`)).status, 200);

    const started = await call('/runbooks/monitor/runs', { method: 'POST', headers: { 'idempotency-key': 'start' } });
    assert.equal(started.status, 202);
    const { id } = (await started.json()) as { id: string };
    await eventually(async () => {
      const res = await call(`/runbooks/runs/${id}`);
      return res.status === 200 && ((await res.json()) as { status: string }).status === 'completed';
    }, 60_000);
    // The demo's first backup runs at start with the pg_dump found or fetched then, and verifies.
    assert.match(run.output(), /backups use pg_dump \(PostgreSQL\) \d+/);
    await eventually(async () => {
      const res = await call('/backups?status=verified');
      return res.status === 200 && ((await res.json()) as { backups: unknown[] }).backups.length === 1;
    }, 60_000);
    // The worker's Temporal metrics are part of GET /metrics under npm start (OPSFLOW_SDK_METRICS_BIND).
    const metrics = await (await call('/metrics')).text();
    assert.match(metrics, /^temporal_/m, 'GET /metrics carries the worker SDK metrics');

    await startWork();
    process.kill(-run.child.pid!, 'SIGINT');
    // npm ends itself with the signal it got once its script has exited; node's own exit code is in the log.
    assert.ok([0, null].includes(await run.exited), run.output());
    await assertNothingLeft(run);
  });

  for (const signal of ['SIGTERM', 'SIGHUP'] as const) {
    it(`keeps its data and stops in order on ${signal} to the group`, async () => {
      const run = startOpsflow(env);
      await untilRunning(run);
      assert.equal((await fetch(`${api}/health`)).status, 200);
      await startWork();
      process.kill(-run.child.pid!, signal);
      await assertNothingLeft(run);
    });
  }

  it('with an encryption key, starts the Web UI with the codec endpoint and lets it call the codec', async () => {
    const codecDir = mkdtempSync(join(tmpdir(), 'opsflow-codec-'));
    const key = Buffer.alloc(32, 7).toString('base64');
    const run = startOpsflow({ ...env, OPSFLOW_DATA_DIR: codecDir, OPSFLOW_ENCRYPTION_KEY: key });
    try {
      await untilRunning(run);
      const ui = `http://127.0.0.1:${ports.OPSFLOW_TEMPORAL_UI_PORT}`;
      const settings = (await (await fetch(`${ui}/api/v1/settings`)).json()) as { Codec: { Endpoint: string } };
      assert.equal(settings.Codec.Endpoint, `${api}/codec`);
      const preflight = await fetch(`${api}/codec/decode`, {
        method: 'OPTIONS',
        headers: {
          origin: ui,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'content-type',
        },
      });
      assert.equal(preflight.headers.get('access-control-allow-origin'), ui);
      assert.equal(preflight.headers.get('access-control-allow-credentials'), 'true');
      process.kill(-run.child.pid!, 'SIGTERM');
      await assertNothingLeft(run);
    } finally {
      removeEmbeddedPostgres(join(codecDir, 'postgres'));
      rmSync(codecDir, { recursive: true, force: true });
    }
  });

  it('recovers by itself after its process was killed with kill -9', async () => {
    const first = startOpsflow(env, 'node');
    await untilRunning(first);
    const backfill = await call('/backfills', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ integration: 'zoho', entities: ['customers'], mode: 'all', dryRun: true }),
    });
    assert.equal(backfill.status, 201);
    const { id } = (await backfill.json()) as { id: string };
    first.child.kill('SIGKILL');
    await first.exited;
    assert.notDeepEqual(processesOf(dataDir), [], 'PostgreSQL and the dev server outlive a kill -9 of their parent');

    const second = startOpsflow(env, 'node');
    await untilRunning(second);
    assert.match(second.output(), /left running by an earlier start/);
    assert.equal((await fetch(`${api}/health`)).status, 200);
    const again = await call(`/backfills/${id}`);
    assert.equal(again.status, 200, 'the backfill of the killed start is still known');
    process.kill(-second.child.pid!, 'SIGTERM');
    assert.equal(await second.exited, 0, second.output());
    await assertNothingLeft(second);
  });
});
