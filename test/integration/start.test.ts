import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { freePort, isPortFree } from '../../src/dev/ports.js';
import { eventually } from '../harness.js';

const ROOT = new URL('../..', import.meta.url).pathname;

interface Started {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function startOpsflow(env: Record<string, string>): Started {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/dev/start.ts'], {
    cwd: ROOT,
    env: { ...process.env, OPSFLOW_LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

describe('npm start', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'opsflow-start-'));
  // PostgreSQL runs as an unprivileged user when the tests run as root: it must be able to enter the directory.
  chmodSync(dataDir, 0o755);
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  it('refuses a malformed setting with a message naming the variable', async () => {
    const run = startOpsflow({ OPSFLOW_PORT: 'abc', OPSFLOW_DATA_DIR: dataDir });
    const code = await run.exited;
    assert.notEqual(code, 0);
    assert.match(run.output(), /OPSFLOW_PORT: expected a port number/);
  });

  it('brings up the whole stack, stops it cleanly on SIGTERM, and keeps the data on a second start', async () => {
    const ports = {
      OPSFLOW_PORT: await freePort(),
      OPSFLOW_PG_PORT: await freePort(),
      OPSFLOW_TEMPORAL_PORT: await freePort(),
      OPSFLOW_TEMPORAL_UI_PORT: await freePort(),
      OPSFLOW_SMTP_PORT: await freePort(),
      OPSFLOW_MAILBOX_PORT: await freePort(),
      OPSFLOW_HIGHLEVEL_SIM_PORT: await freePort(),
      OPSFLOW_ZOHO_SIM_PORT: await freePort(),
    };
    const env = {
      OPSFLOW_DATA_DIR: dataDir,
      ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])),
    };
    const api = `http://127.0.0.1:${ports.OPSFLOW_PORT}`;

    const first = startOpsflow(env);
    await eventually(
      async () => first.output().includes('Opsflow is running') || first.child.exitCode !== null,
      240_000,
    );
    assert.equal(first.child.exitCode, null, first.output());
    const token = readFileSync(join(dataDir, 'api-token'), 'utf8').trim();
    assert.ok(first.output().includes(token), 'the banner prints the generated API token');
    assert.match(first.output(), new RegExp(`Web UI\\s+http://127.0.0.1:${ports.OPSFLOW_TEMPORAL_UI_PORT}`));

    const health = await fetch(`${api}/health`);
    assert.equal(health.status, 200);
    assert.equal(((await health.json()) as { status: string }).status, 'ok');
    const ui = await fetch(`http://127.0.0.1:${ports.OPSFLOW_TEMPORAL_UI_PORT}/`);
    assert.equal(ui.status, 200);

    const started = await fetch(`${api}/runbooks/monitor/runs`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'idempotency-key': 'start-test' },
    });
    assert.equal(started.status, 202);
    const { id } = (await started.json()) as { id: string };
    await eventually(async () => {
      const res = await fetch(`${api}/runbooks/runs/${id}`, { headers: { authorization: `Bearer ${token}` } });
      return res.status === 200 && ((await res.json()) as { status: string }).status === 'completed';
    }, 30_000);

    first.child.kill('SIGTERM');
    assert.equal(await first.exited, 0, first.output());
    for (const [name, port] of Object.entries(ports)) {
      assert.ok(await isPortFree(port), `${name} ${port} is released after stop`);
    }

    // The second start reuses the token, the database and the Temporal state.
    const second = startOpsflow(env);
    await eventually(
      async () => second.output().includes('Opsflow is running') || second.child.exitCode !== null,
      120_000,
    );
    assert.equal(second.child.exitCode, null, second.output());
    const again = await fetch(`${api}/runbooks/runs/${id}`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(again.status, 200, 'the run of the first start is still known to Temporal');
    second.child.kill('SIGTERM');
    assert.equal(await second.exited, 0, second.output());
  });
});
