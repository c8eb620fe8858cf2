/**
 * Runbook parallelism: the daily runbook's wall time against its slowest step (target ≤ 1.2×). Its steps run in
 * parallel, so the run should take little more than its slowest step. The steps get realistic latency: webhook
 * retries go to a receiver that answers after a delay, and the HighLevel simulator answers slowly.
 *
 * Runs alone (`npx tsx bench/runbook.ts`) on its own embedded stack; writes bench/results/runbook.json.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../src/config.js';
import { migrate } from '../src/db/migrate.js';
import { startMailCapture } from '../src/dev/mail-capture.js';
import { freePort } from '../src/dev/ports.js';
import { removeEmbeddedPostgres, startEmbeddedPostgres } from '../src/dev/postgres.js';
import { seedOperations } from '../src/dev/seed/operations.js';
import { startTemporalDevServer } from '../src/dev/temporal.js';
import { createLogger } from '../src/logger.js';
import { activityDepsFor, openServices } from '../src/composition.js';
import { startHighLevelSimulator } from '../src/simulators/highlevel/index.js';
import { startZohoSimulator } from '../src/simulators/zoho/index.js';
import { startRun } from '../src/temporal/start.js';
import { createWorkers, installRuntimeLogger } from '../src/worker.js';
import type { RunStatus } from '../src/workflows/run-status.js';
import type { Measure } from './run.js';

const RUNS = 5;
const DELIVERIES = 8;
const RECEIVER_DELAY_MS = 150;
const SIM_LATENCY_MS = 400;
const TARGET_RATIO = 1.2;

export interface RunbookBenchResult {
  runs: Array<{
    wallMs: number;
    /** From the start to the report being stored: the parallel steps. */
    stepsPhaseMs: number;
    /** Storing the report and starting its delivery (`deliverReport` sends it on its own). */
    reportTailMs: number;
    slowestStep: string;
    slowestStepMs: number;
    ratio: number;
  }>;
  medianRatio: number;
  target: number;
  met: boolean;
  /** The row `npm run bench` judges. */
  ratios: Measure[];
}

/** Starts a private stack, runs the daily runbook `RUNS` times and returns wall time against slowest step. */
export async function run(): Promise<RunbookBenchResult> {
  const log = createLogger('warn');
  const dir = join(tmpdir(), `opsflow-bench-runbook-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  const [pgPort, temporalPort, uiPort, smtpPort, mailboxPort] = await Promise.all(
    Array.from({ length: 5 }, () => freePort()),
  );
  const base = loadConfig({});
  const [db, temporal, mail, sim, zohoSim] = await Promise.all([
    startEmbeddedPostgres({ dir: join(dir, 'pg'), port: pgPort!, log }),
    startTemporalDevServer({
      cliPath: base.temporal.cliPath,
      cacheDir: base.cacheDir,
      port: temporalPort!,
      uiPort: uiPort!,
      namespace: 'default',
      log,
    }),
    startMailCapture({ smtpPort: smtpPort!, httpPort: mailboxPort!, log }),
    startHighLevelSimulator({ port: 0, log }),
    startZohoSimulator({ port: 0, log }),
  ]);
  const receiver = createServer((req, res) => {
    req.resume();
    setTimeout(() => res.writeHead(200).end(), RECEIVER_DELAY_MS);
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  try {
    await migrate(db.url);
    const config = loadConfig({
      TEMPORAL_ADDRESS: temporal.address,
      DATABASE_URL: db.url,
      SMTP_URL: mail.smtpUrl,
      HIGHLEVEL_BASE_URL: sim.url,
      ZOHO_API_BASE_URL: zohoSim.apiBaseUrl,
      ZOHO_ACCOUNTS_URL: zohoSim.url,
      OPSFLOW_API_TOKEN: `bench-${randomUUID()}`,
      OPSFLOW_DATA_DIR: dir,
      OPSFLOW_ESCALATION_L1_EMAILS: 'ops@example.test',
    });
    installRuntimeLogger(log, 'warn');
    const services = await openServices(config, db.url, log);
    const workers = await createWorkers({
      config,
      connection: services.workerConnection,
      deps: activityDepsFor(config, services, log),
    });
    const running = workers.map((w) => w.run());
    await seedOperations({ pool: services.pool, config, log, simulators: {} });
    await fetch(`${sim.url}/__sim/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ latencyMs: SIM_LATENCY_MS }),
    });

    const runs: RunbookBenchResult['runs'] = [];
    for (let i = 0; i < RUNS; i++) {
      await services.pool.query(
        `INSERT INTO webhook_deliveries (target_url, event_type, payload, status, attempts)
         SELECT $1 || '/hook/' || g, 'bench', '{}', 'failed', 1 FROM generate_series(1, $2) g`,
        [receiverUrl, DELIVERIES],
      );
      const { handle } = await startRun(services.client, {
        workflow: 'dailyRunbook',
        workflowId: `runbook-daily-bench-${i}-${randomUUID().slice(0, 6)}`,
        taskQueue: config.taskQueues.main,
        kind: 'daily',
        summary: 'Daily runbook (benchmark)',
        args: [],
      });
      const result = (await handle.result()) as RunStatus;
      const d = await handle.describe();
      const wallMs = d.closeTime!.getTime() - d.startTime.getTime();
      const slowest = result.steps.reduce((a, b) => (b.durationMs > a.durationMs ? b : a));
      // Where the time after the steps goes: storing the report and sending it.
      const history = await handle.fetchHistory();
      const at = (name: string) => {
        const e = history.events?.find((x) => x.activityTaskScheduledEventAttributes?.activityType?.name === name);
        const t = e?.eventTime;
        return t ? Number(t.seconds) * 1000 + Math.round((t.nanos ?? 0) / 1e6) : NaN;
      };
      runs.push({
        wallMs,
        stepsPhaseMs: at('storeReport') - d.startTime.getTime(),
        reportTailMs: d.closeTime!.getTime() - at('storeReport'),
        slowestStep: slowest.name,
        slowestStepMs: slowest.durationMs,
        ratio: Math.round((wallMs / Math.max(1, slowest.durationMs)) * 100) / 100,
      });
    }
    for (const w of workers) w.shutdown();
    await Promise.allSettled(running);
    await services.close();
    const ratios = runs.map((r) => r.ratio).sort((a, b) => a - b);
    const medianRatio = ratios[Math.floor(ratios.length / 2)]!;
    return {
      runs,
      medianRatio,
      target: TARGET_RATIO,
      met: medianRatio <= TARGET_RATIO,
      ratios: [{ what: 'daily runbook wall ÷ slowest step (median)', value: medianRatio, max: TARGET_RATIO }],
    };
  } finally {
    receiver.close();
    await Promise.allSettled([temporal.stop(), mail.stop(), sim.stop(), zohoSim.stop()]);
    await db.stop();
    removeEmbeddedPostgres(join(dir, 'pg'));
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  run()
    .then((result) => {
      const out = fileURLToPath(new URL('./results/', import.meta.url));
      mkdirSync(out, { recursive: true });
      writeFileSync(join(out, 'runbook.json'), JSON.stringify({ at: new Date().toISOString(), ...result }, null, 2));
      for (const r of result.runs) {
        console.log(
          `daily runbook: wall ${r.wallMs} ms (steps ${r.stepsPhaseMs} ms + report ${r.reportTailMs} ms), slowest step ${r.slowestStep} ${r.slowestStepMs} ms → ${r.ratio}×`,
        );
      }
      console.log(
        `median wall/slowest = ${result.medianRatio}× (target ≤ ${result.target}×): ${result.met ? 'met' : 'NOT met'}`,
      );
      process.exit(0);
    })
    .catch((err: unknown) => {
      console.error(err);
      process.exit(1);
    });
}
