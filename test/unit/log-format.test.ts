import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify, stripVTControlCharacters } from 'node:util';

const root = fileURLToPath(new URL('../../', import.meta.url));
const sample = ['--import', 'tsx', 'test/log-sample.ts'];
const quote = (arg: string) => `'${arg.replaceAll("'", `'\\''`)}'`;

const hasScript = (() => {
  try {
    execFileSync('script', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
const noPty = !hasScript && 'needs script(1) from util-linux for a pseudo-terminal';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the sample with OPSFLOW_LOG_FORMAT set to `format` (unset when undefined), stdout piped or on a terminal. */
async function runSample(format: string | undefined, stdout: 'pipe' | 'tty'): Promise<Run> {
  const env: NodeJS.ProcessEnv = { ...process.env, OPSFLOW_LOG_LEVEL: 'info', OPSFLOW_LOG_FORMAT: format };
  if (format === undefined) delete env.OPSFLOW_LOG_FORMAT;
  const [file, args] =
    stdout === 'pipe'
      ? [process.execPath, sample]
      : ['script', ['-qec', [process.execPath, ...sample].map(quote).join(' '), '/dev/null']];
  try {
    const out = await promisify(execFile)(file, args, { cwd: root, env, timeout: 30_000 });
    return { code: 0, stdout: stripVTControlCharacters(out.stdout), stderr: out.stderr };
  } catch (err) {
    const failed = err as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? 1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

const linesOf = (run: Run) =>
  run.stdout
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter(Boolean);

function assertJsonLines(run: Run): void {
  assert.equal(run.code, 0, run.stderr);
  const entries = linesOf(run).map((line) => JSON.parse(line) as Record<string, unknown>);
  assert.equal(entries.length, 2, run.stdout);
  assert.deepEqual(
    entries.map((e) => [e.level, e.component, e.msg]),
    [
      [30, 'log-sample', 'token refreshed'],
      [40, 'log-sample', 'vendor slow, retrying'],
    ],
  );
  assert.equal(entries[0]!.password, '[redacted]');
}

function assertPretty(run: Run): void {
  assert.equal(run.code, 0, run.stderr);
  const lines = linesOf(run);
  assert.equal(lines.length, 2, run.stdout);
  for (const line of lines) assert.doesNotMatch(line, /^\{/, 'not JSON');
  assert.match(lines[0]!, /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: \[log-sample\] token refreshed locationId=loc-1\b/);
  assert.match(lines[1]!, /WARN: \[log-sample\] vendor slow, retrying attempt=2$/);
  assert.match(lines[0]!, /password=\[redacted\]/);
  assert.doesNotMatch(run.stdout, /hunter2-secret|"pid"|hostname|service/);
}

describe('log format', () => {
  it('writes JSON lines when stdout is not a terminal', async () => {
    assertJsonLines(await runSample(undefined, 'pipe'));
  });

  it('writes one readable line per entry on a terminal, secrets redacted', { skip: noPty }, async () => {
    assertPretty(await runSample(undefined, 'tty'));
  });

  it('writes JSON on a terminal when OPSFLOW_LOG_FORMAT=json', { skip: noPty }, async () => {
    assertJsonLines(await runSample('json', 'tty'));
  });

  it('writes readable lines into a pipe when OPSFLOW_LOG_FORMAT=pretty', async () => {
    assertPretty(await runSample('pretty', 'pipe'));
  });

  it('refuses another OPSFLOW_LOG_FORMAT, naming the variable', async () => {
    const run = await runSample('yaml', 'pipe');
    assert.notEqual(run.code, 0);
    assert.match(run.stderr, /OPSFLOW_LOG_FORMAT: expected json or pretty \(got "yaml"\)/);
    assert.equal(run.stdout, '');
  });
});
