/**
 * Benchmark helpers: the production worker entrypoint (`src/main/worker.ts`) in its own process, as deployed, and the
 * resident memory of a process. Profiling: `--profile <dir>` on any bench command line writes the worker's CPU and
 * heap profiles (`--cpu-prof`, `--heap-prof`) there when it stops.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { testStack } from '../test/harness.js';

/** Where the running bench was asked to write profiles (`--profile <dir>`), if it was. */
export function profileDir(): string | undefined {
  const at = process.argv.indexOf('--profile');
  return at > 0 && process.argv[at + 1] ? resolve(process.argv[at + 1]!) : undefined;
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

export interface WorkerProcess {
  child: ChildProcess;
  /** The worker's RSS now, in MB. */
  rssMb(): number | undefined;
  /** The highest RSS sampled (every second) while it ran, in MB. */
  peakRssMb(): number | undefined;
  stop(): Promise<void>;
}

/**
 * Starts the production worker entrypoint on a database and task-queue prefix of the private stack; resolves once
 * it polls. `env` adds variables (escalation recipients, policy, worker tuning).
 */
export async function startWorkerProcess(options: {
  databaseUrl: string;
  idPrefix: string;
  apiToken: string;
  env?: Record<string, string>;
}): Promise<WorkerProcess> {
  const stack = testStack();
  const profile = profileDir();
  const child = spawn(
    process.execPath,
    [
      ...(profile ? ['--cpu-prof', '--heap-prof', `--cpu-prof-dir=${profile}`, `--heap-prof-dir=${profile}`] : []),
      '--import',
      'tsx',
      'src/main/worker.ts',
    ],
    {
      env: {
        ...process.env,
        TEMPORAL_ADDRESS: stack.temporalAddress,
        DATABASE_URL: options.databaseUrl,
        SMTP_URL: stack.smtpUrl,
        OPSFLOW_TASK_QUEUE_PREFIX: options.idPrefix,
        OPSFLOW_API_TOKEN: options.apiToken,
        OPSFLOW_WORKFLOW_BUNDLE: stack.workflowBundlePath,
        OPSFLOW_DATA_DIR: stack.runDir,
        OPSFLOW_LOG_LEVEL: 'info',
        ...options.env,
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const lines = createInterface({ input: child.stdout! });
  const exited = once(child, 'exit').then(([code]) => {
    throw new Error(`the worker process exited (${String(code)}) before it started`);
  });
  const started = (async () => {
    for await (const line of lines) if (line.includes('"msg":"worker started"')) return;
    // Output ended without the line: the process is gone (a crash at start), not started.
    throw new Error('the worker process ended its output before it started');
  })();
  await Promise.race([started, exited]);
  exited.catch(() => undefined);
  // Keep reading so a full pipe never blocks the worker.
  child.stdout!.resume();
  let peak: number | undefined;
  const sampler = setInterval(() => {
    const now = rssMb(child.pid);
    if (now !== undefined) peak = Math.max(peak ?? 0, now);
  }, 1000);
  return {
    child,
    rssMb: () => rssMb(child.pid),
    peakRssMb: () => peak,
    async stop() {
      clearInterval(sampler);
      if (child.exitCode !== null || child.signalCode !== null) return;
      const gone = once(child, 'exit');
      child.kill('SIGTERM');
      await gone;
    },
  };
}
