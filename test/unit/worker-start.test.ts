/**
 * How the worker process is started in production, which is also how the benchmarks start it (bench/processes.ts):
 * one Node process on the worker entry point with its V8 heap bounded, in the image and in docker-compose.yml alike.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { deployedWorker } from '../../bench/processes.js';
import { entryPointOf } from '../entry-points.js';

const root = new URL('../../', import.meta.url);
const read = (file: string) => readFileSync(new URL(file, root), 'utf8');
const flagValue = (args: string[], flag: string) => {
  const arg = args.find((a) => a.startsWith(`${flag}=`));
  return arg === undefined ? undefined : Number(arg.slice(flag.length + 1));
};

describe('the worker process as deployed', () => {
  const { args, env } = deployedWorker();

  it('is one Node process on the worker entry point, TypeScript loaded in it (not the tsx CLI and its child)', () => {
    assert.equal(args.at(-1), entryPointOf('worker'));
    const loader = args.indexOf('--import');
    assert.ok(loader >= 0 && args[loader + 1] === 'tsx', 'tsx registered with --import');
  });

  it('bounds the V8 heap so garbage is collected before the process grows (old and young generation)', () => {
    const oldSpace = flagValue(args, '--max-old-space-size');
    const semiSpace = flagValue(args, '--max-semi-space-size');
    assert.ok(oldSpace !== undefined && oldSpace >= 128 && oldSpace <= 512, `--max-old-space-size=${oldSpace}`);
    assert.ok(semiSpace !== undefined && semiSpace >= 1 && semiSpace <= 8, `--max-semi-space-size=${semiSpace}`);
  });

  it('limits glibc to two malloc arenas, which per-thread arenas would otherwise keep resident', () => {
    assert.equal(env.MALLOC_ARENA_MAX, '2');
  });

  it('loads the workflow bundle the image builds instead of bundling the sources at start', () => {
    const dockerfile = read('Dockerfile');
    const built = /build-workflow-bundle\.ts (\S+)/.exec(dockerfile)?.[1];
    assert.ok(built, 'the image builds the bundle');
    assert.match(dockerfile, new RegExp(`OPSFLOW_WORKFLOW_BUNDLE=/app/${built.replace(/\./g, '\\.')}\\b`));
  });

  it('is what every worker service of docker-compose.yml runs', () => {
    const { services } = parse(read('docker-compose.yml'), { merge: true }) as {
      services: Record<string, { command?: string[] }>;
    };
    const workers = Object.entries(services).filter(([, s]) => s.command?.includes(entryPointOf('worker')));
    assert.ok(workers.length > 0);
    for (const [name, s] of workers) assert.deepEqual(s.command, ['node', ...args], name);
  });

  it('is read from a CMD that runs node, and refuses one that does not', () => {
    assert.deepEqual(deployedWorker('FROM x\nCMD ["node", "--import", "tsx", "src/main/worker.ts"]\n'), {
      args: ['--import', 'tsx', 'src/main/worker.ts'],
      env: {},
    });
    assert.throws(() => deployedWorker('CMD ["node_modules/.bin/tsx", "src/main/worker.ts"]'), /no CMD/);
    assert.throws(() => deployedWorker('FROM x\n'), /no CMD/);
  });
});
