/**
 * Opsflow's production entry points as child processes of a test or benchmark, as a deployment runs them: the files
 * of the npm scripts `worker` and `api`, run by this Node with tsx, or compiled (`npm run build`) as the image runs
 * them (not through npm, so a signal reaches Opsflow itself), each with the environment a test file's configuration
 * was read from.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { CONFIG_VARIABLES } from '../src/config.js';
import { stopOnExit } from '../src/dev/processes.js';

const ROOT = new URL('../', import.meta.url).pathname;

/**
 * The source file an npm script runs (`"worker": "tsx src/main/worker.ts"` gives `src/main/worker.ts`).
 *
 * @example
 * spawn(process.execPath, ['--import', 'tsx', entryPointOf('api')]);
 */
export function entryPointOf(script: string): string {
  const { scripts } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    scripts: Record<string, string>;
  };
  const file = /\bsrc\/\S+\.ts\b/.exec(scripts[script] ?? '')?.[0];
  if (!file) throw new Error(`package.json has no script "${script}" that runs a file under src/`);
  return file;
}

/** Where `npm run build` (tsconfig.build.json) writes the compiled sources: `src/` keeps its layout under it. */
export const BUILD_DIR = 'dist';

/**
 * The compiled file of a source file under the build directory (`src/main/worker.ts` gives
 * `dist/src/main/worker.js`), relative to the repository as the source is; `outDir` for a build elsewhere.
 *
 * @example
 * spawn(process.execPath, [compiledEntryPoint(entryPointOf('worker'))]);
 */
export function compiledEntryPoint(source: string, outDir = BUILD_DIR): string {
  return join(outDir, source.replace(/\.ts$/, '.js'));
}

/**
 * Compiles `src/` as `npm run build` does, into `outDir` (default the build directory), without its type check:
 * the emitted files are the same (every file compiles on its own, `isolatedModules`), `npm run typecheck` checks the
 * types, and the build takes half the time. Fails with tsc's output when tsc fails (a file that does not parse).
 *
 * @example
 * await buildEntryPoints();
 */
export async function buildEntryPoints(outDir = BUILD_DIR): Promise<void> {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  await promisify(execFile)(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--noCheck', '--outDir', outDir], {
    cwd: ROOT,
  }).catch((err: Error & { stdout?: string }) => {
    throw new Error(`the build of src/ into ${outDir} failed: ${err.message}\n${err.stdout ?? ''}`);
  });
}

/**
 * The environment of a process configured by `vars` alone: this process's environment less every variable Opsflow's
 * configuration reads (its own, Temporal's, the cache root), so what the shell running the tests exports changes the
 * processes no more than it changes the configuration the test file read from `vars`.
 */
function environmentOf(vars: Record<string, string>): NodeJS.ProcessEnv {
  const read = new Set([...CONFIG_VARIABLES, 'XDG_CACHE_HOME']);
  const rest = Object.entries(process.env).filter(([name]) => !read.has(name) && !name.startsWith('TEMPORAL_'));
  return { ...Object.fromEntries(rest), ...vars };
}

export interface EntryPointProcess {
  /** What it runs, for messages: `worker main`, `api`. */
  name: string;
  child: ChildProcess;
  /** The process id, which a worker's identity (`<pid>@<host>`) starts with. */
  pid: number;
  /** True until the process exits. */
  alive(): boolean;
  /** SIGTERM, as an orchestrator stops it: it drains and exits. Resolves once it exited. */
  stop(): Promise<void>;
  /** SIGKILL, as `kill -9`: nothing drains. Resolves once it exited. */
  kill(): Promise<void>;
}

export interface EntryPointOptions {
  /** The npm script whose file runs. */
  script: 'worker' | 'api';
  /** The file to run instead of the script's source (relative to the repository, or absolute): its compiled file. */
  file?: string;
  name: string;
  /** The whole of its configuration; it logs JSON lines at info, which `ready` is read from. */
  vars: Record<string, string>;
  /** The log message that says it is serving. */
  ready: string;
  /** Its log lines at this level or above are copied to this process's stderr (TEST_LOG_LEVEL, default warn). */
  echoLevel?: string;
  /**
   * Node's flags before the entry point: the image's heap bounds, profiling. Default `--import tsx` for a TypeScript
   * file, none for JavaScript.
   */
  nodeFlags?: string[];
  /** Variables outside the configuration, such as the allocator's `MALLOC_ARENA_MAX`. */
  processEnv?: Record<string, string>;
}

/**
 * Starts an entry point and resolves once it logged `ready`; fails with its last log lines if it exits before.
 *
 * @example
 * const api = await startEntryPoint({ script: 'api', name: 'api', vars, ready: 'API listening' });
 * await api.stop();
 */
export async function startEntryPoint(options: EntryPointOptions): Promise<EntryPointProcess> {
  const { name } = options;
  const file = options.file ?? entryPointOf(options.script);
  const flags = options.nodeFlags ?? (file.endsWith('.ts') ? ['--import', 'tsx'] : []);
  const child = spawn(process.execPath, [...flags, file], {
    cwd: ROOT,
    env: {
      ...environmentOf({ ...options.vars, OPSFLOW_LOG_LEVEL: 'info', OPSFLOW_LOG_FORMAT: 'json' }),
      ...options.processEnv,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  // A test process that ends without stopping it (a failed `before`, an uncaught error) leaves no process behind.
  stopOnExit(child, 'SIGTERM');
  const echoAt = pino.levels.values[options.echoLevel ?? process.env.TEST_LOG_LEVEL ?? 'warn'] ?? 40;
  const tail: string[] = [];
  const exited = once(child, 'exit');
  const ready = new Promise<void>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      tail.push(line);
      if (tail.length > 20) tail.shift();
      let entry: { level?: number; msg?: string } = {};
      try {
        entry = JSON.parse(line) as typeof entry;
      } catch {
        // not a log line (a library's own output): kept in the tail only
      }
      if (entry.msg === options.ready) resolve();
      if ((entry.level ?? 0) >= echoAt) process.stderr.write(`[${name} ${child.pid}] ${line}\n`);
    });
    void exited.then(([code, signal]) =>
      reject(
        new Error(
          `${name} (${file}) exited (${String(code ?? signal)}) before "${options.ready}":\n` + tail.join('\n'),
        ),
      ),
    );
  });
  await ready;
  const alive = () => child.exitCode === null && child.signalCode === null;
  const end = async (signal: NodeJS.Signals) => {
    if (!alive()) return;
    child.kill(signal);
    await exited;
  };
  return {
    name,
    child,
    pid: child.pid!,
    alive,
    stop: () => end('SIGTERM'),
    kill: () => end('SIGKILL'),
  };
}
