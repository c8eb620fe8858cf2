/**
 * Benchmark helpers: the production worker entrypoint (`src/main/worker.ts`, compiled) in its own process, as
 * deployed, and the resident memory of a process. Profiling: `--profile <dir>` on any bench command line writes the
 * worker's CPU and heap profiles (`--cpu-prof`, `--heap-prof`) there when it stops.
 */
import type { ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { freePort } from '../src/dev/ports.js';
import {
  BUILD_DIR,
  buildEntryPoints,
  compiledEntryPoint,
  entryPointOf,
  startEntryPoint,
} from '../test/entry-points.js';
import { testStack } from '../test/harness.js';

/** Where the running bench was asked to write profiles (`--profile <dir>`), if it was. */
export function profileDir(): string | undefined {
  const at = process.argv.indexOf('--profile');
  return at > 0 && process.argv[at + 1] ? resolve(process.argv[at + 1]!) : undefined;
}

/**
 * `--worker-source` on a bench command line: the worker runs from its TypeScript sources with tsx loaded in it, as the
 * image did before it ran compiled JavaScript, with the image's flags otherwise; to compare the two.
 */
export function workerFromSource(): boolean {
  return process.argv.includes('--worker-source');
}

/** Resident set size of a process in MB, from /proc (Linux); undefined elsewhere or once it has exited. */
export function rssMb(pid: number | undefined = process.pid): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const kb = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb ? Math.round(Number(kb) / 1024) : undefined;
  } catch {
    return undefined;
  }
}

/** The worker process as the image starts it: its Node flags and entry point, and the allocator's environment. */
export interface DeployedWorker {
  /** The Dockerfile's `CMD ["node", ...args]` without `node`: heap bounds, the compiled entry point. */
  args: string[];
  /** The image's `MALLOC_ARENA_MAX`, when it sets one. */
  env: Record<string, string>;
}

/**
 * The worker as the image runs it, read from the Dockerfile, so the bench starts the same file with the same heap
 * bounds and allocator settings as production.
 */
export function deployedWorker(
  dockerfile = readFileSync(new URL('../Dockerfile', import.meta.url), 'utf8'),
): DeployedWorker {
  const cmd = /^CMD\s+(\[.*\])\s*$/m.exec(dockerfile)?.[1];
  const argv = cmd ? (JSON.parse(cmd) as unknown) : undefined;
  if (!Array.isArray(argv) || argv[0] !== 'node' || argv.length < 2 || !argv.every((a) => typeof a === 'string'))
    throw new Error('the Dockerfile has no CMD ["node", ..., "<worker entry point>"]');
  const arenas = /^\s*(?:ENV\s+)?MALLOC_ARENA_MAX=(\d+)/m.exec(dockerfile)?.[1];
  return { args: argv.slice(1) as string[], env: arenas ? { MALLOC_ARENA_MAX: arenas } : {} };
}

let built: Promise<void> | undefined;

/**
 * Compiles `src/` into the build directory as `npm run build` does, once per bench process: what the image would run
 * is what the bench runs, whatever changed since the last build (a source, the build's configuration).
 */
export function ensureBuilt(): Promise<void> {
  built ??= (async () => {
    const started = Date.now();
    await buildEntryPoints();
    console.log(`compiled src/ into ${BUILD_DIR}/ in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  })();
  return built;
}

export interface WorkerProcess {
  child: ChildProcess;
  /** The worker's RSS now, in MB. */
  rssMb(): number | undefined;
  /** The highest RSS sampled (every second) while it ran, in MB. */
  peakRssMb(): number | undefined;
  stop(): Promise<void>;
}

/**
 * Starts the production worker entrypoint as the image does (`deployedWorker`: the compiled file, built once per bench
 * process) on a database and task-queue prefix of the private stack; resolves once it
 * polls. `env` adds variables (escalation recipients, policy, worker tuning).
 */
export async function startWorkerProcess(options: {
  databaseUrl: string;
  idPrefix: string;
  apiToken: string;
  env?: Record<string, string>;
  /** Node flags after the image's own (a later flag wins): `--max-old-space-size=128` to try another heap bound. */
  nodeFlags?: string[];
}): Promise<WorkerProcess> {
  const stack = testStack();
  const profile = profileDir();
  const deployed = deployedWorker();
  const entry = compiledEntryPoint(entryPointOf('worker'));
  if (deployed.args.at(-1) !== entry)
    throw new Error(`the Dockerfile runs ${deployed.args.at(-1)}, not the worker script's compiled ${entry}`);
  const fromSource = workerFromSource();
  if (!fromSource) await ensureBuilt();
  const worker = await startEntryPoint({
    script: 'worker',
    file: fromSource ? entryPointOf('worker') : entry,
    name: 'worker',
    ready: 'worker started',
    nodeFlags: [
      ...(profile ? ['--cpu-prof', '--heap-prof', `--cpu-prof-dir=${profile}`, `--heap-prof-dir=${profile}`] : []),
      ...deployed.args.slice(0, -1),
      ...(fromSource ? ['--import', 'tsx'] : []),
      ...(options.nodeFlags ?? []),
    ],
    processEnv: deployed.env,
    vars: {
      TEMPORAL_ADDRESS: stack.temporalAddress,
      DATABASE_URL: options.databaseUrl,
      SMTP_URL: stack.smtpUrl,
      OPSFLOW_TASK_QUEUE_PREFIX: options.idPrefix,
      OPSFLOW_API_TOKEN: options.apiToken,
      OPSFLOW_WORKFLOW_BUNDLE: stack.workflowBundlePath,
      OPSFLOW_DATA_DIR: stack.runDir,
      // The SDK's metrics as deployed, on a port of its own: two benchmarks (or a test run) may run at once.
      OPSFLOW_SDK_METRICS_BIND: `127.0.0.1:${await freePort()}`,
      ...options.env,
    },
  });
  let peak: number | undefined;
  const sampler = setInterval(() => {
    const now = rssMb(worker.pid);
    if (now !== undefined) peak = Math.max(peak ?? 0, now);
  }, 1000);
  return {
    child: worker.child,
    rssMb: () => rssMb(worker.pid),
    peakRssMb: () => peak,
    async stop() {
      clearInterval(sampler);
      await worker.stop();
    },
  };
}

interface ProcStat {
  pid: number;
  ppid: number;
  name: string;
  /** CPU seconds used by the process itself. */
  own: number;
  /** CPU seconds used by the process and by its children that have exited. */
  cpu: number;
}

/** Every process's /proc stat line that can still be read (Linux), with CPU in seconds (at 100 clock ticks/s). */
function procStats(): ProcStat[] {
  const stats: ProcStat[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const line = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const name = line.slice(line.indexOf('(') + 1, line.lastIndexOf(')'));
      const f = line.slice(line.lastIndexOf(')') + 2).split(' ');
      const seconds = (field: number) => Number(f[field]) / 100;
      const own = seconds(11) + seconds(12);
      // utime and stime, then cutime and cstime (children it has waited for)
      stats.push({ pid: Number(entry), ppid: Number(f[1]), name, own, cpu: own + seconds(13) + seconds(14) });
    } catch {
      // gone since the listing
    }
  }
  return stats;
}

/**
 * CPU seconds used so far by this process and by each process it started (the Temporal server, PostgreSQL, the mail
 * capture, a worker process), each counted with all of its descendants; keyed by process name, `bench` for this
 * process. Taken before and after a phase, the difference says which process the machine's CPU went to.
 */
export function cpuByProcess(): Record<string, number> {
  const stats = procStats();
  const children = new Map<number, ProcStat[]>();
  for (const s of stats) children.set(s.ppid, [...(children.get(s.ppid) ?? []), s]);
  const tree = (s: ProcStat): number => s.cpu + (children.get(s.pid) ?? []).reduce((sum, c) => sum + tree(c), 0);
  const self = stats.find((s) => s.pid === process.pid);
  const out: Record<string, number> = { bench: self?.own ?? 0 };
  for (const child of children.get(process.pid) ?? []) out[child.name] = (out[child.name] ?? 0) + tree(child);
  return out;
}

/** `after - before` of two `cpuByProcess()` readings, rounded to 0.1 s. */
export function cpuSpent(before: Record<string, number>, after: Record<string, number>): Record<string, number> {
  return Object.fromEntries(
    Object.entries(after).map(([name, s]) => [name, Math.round((s - (before[name] ?? 0)) * 10) / 10]),
  );
}
