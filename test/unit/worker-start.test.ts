/**
 * How the worker process is started in production, which is also how the benchmarks start it (bench/processes.ts):
 * one Node process on the compiled worker entry point with its V8 heap bounded, in the image and in docker-compose.yml
 * alike; the API service runs its compiled entry point with plain Node too.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { deployedWorker } from '../../bench/processes.js';
import { BUILD_DIR, compiledEntryPoint, entryPointOf } from '../entry-points.js';

const root = new URL('../../', import.meta.url);
const read = (file: string) => readFileSync(new URL(file, root), 'utf8');
const flagValue = (args: string[], flag: string) => {
  const arg = args.find((a) => a.startsWith(`${flag}=`));
  return arg === undefined ? undefined : Number(arg.slice(flag.length + 1));
};
const { services } = parse(read('docker-compose.yml'), { merge: true }) as {
  services: Record<string, { command?: string[] }>;
};

describe('the worker process as deployed', () => {
  const { args, env } = deployedWorker();
  const dockerfile = read('Dockerfile');

  it('is one Node process on the compiled worker entry point, no TypeScript loader in it', () => {
    assert.equal(args.at(-1), compiledEntryPoint(entryPointOf('worker')));
    assert.ok(!args.includes('--import') && !args.some((a) => a.includes('tsx')), args.join(' '));
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
    const built = /build-workflow-bundle\.ts (\S+)/.exec(dockerfile)?.[1];
    assert.ok(built, 'the image builds the bundle');
    assert.match(dockerfile, new RegExp(`OPSFLOW_WORKFLOW_BUNDLE=/app/${built.replace(/\./g, '\\.')}\\b`));
  });

  it('comes from the build the image runs (npm run build) and ships without the TypeScript sources', () => {
    const pkg = JSON.parse(read('package.json')) as {
      scripts: Record<string, string>;
      dependencies: Record<string, string>;
    };
    assert.match(pkg.scripts.build ?? '', /\btsc -p tsconfig\.build\.json\b/);
    const build = JSON.parse(read('tsconfig.build.json')) as { compilerOptions: { outDir?: string; rootDir?: string } };
    assert.deepEqual([build.compilerOptions.outDir, build.compilerOptions.rootDir], [BUILD_DIR, '.']);
    assert.match(dockerfile, /^RUN npm run build\b/m);
    assert.match(dockerfile, new RegExp(`^COPY --from=build /app/${BUILD_DIR} \\./${BUILD_DIR}$`, 'm'));
    assert.doesNotMatch(dockerfile, /^COPY --from=build \S*\/src\b/m, 'the runtime stage copies no sources');
    assert.equal(pkg.dependencies.tsx, undefined, 'tsx is a development dependency, pruned from the image');
  });

  it('is what every worker service of docker-compose.yml runs', () => {
    const workers = Object.entries(services).filter(([, s]) =>
      s.command?.includes(compiledEntryPoint(entryPointOf('worker'))),
    );
    assert.ok(workers.length > 0);
    for (const [name, s] of workers) assert.deepEqual(s.command, ['node', ...args], name);
  });

  it('has the API service run its compiled entry point with plain Node', () => {
    assert.deepEqual(services.api!.command, ['node', compiledEntryPoint(entryPointOf('api'))]);
  });

  it('is read from a CMD that runs node, and refuses one that does not', () => {
    assert.deepEqual(deployedWorker('FROM x\nCMD ["node", "--max-semi-space-size=4", "dist/src/main/worker.js"]\n'), {
      args: ['--max-semi-space-size=4', 'dist/src/main/worker.js'],
      env: {},
    });
    assert.throws(() => deployedWorker('CMD ["node_modules/.bin/tsx", "src/main/worker.ts"]'), /no CMD/);
    assert.throws(() => deployedWorker('FROM x\n'), /no CMD/);
  });
});
