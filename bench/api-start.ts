/**
 * Opening incidents under load: `POST /incidents` against a plain `workflow.start` loop at the same concurrency, with
 * the worker in its own process (`src/main/worker.ts`) as deployed. An open answers once the server has accepted the
 * start of the incident's workflow (the start carries the first trigger; the mirror row and the first notice come
 * after), so its fair counterpart is a start; `openIncident` called straight from a client is measured too (the API's
 * own cost: HTTP, authentication, validation, the audit row). Targets: ≥ 0.5 of the plain start's throughput, p99
 * ≤ 1 s. The three loops alternate, two rounds, best round of each, so all see the same machine load.
 */
import { randomUUID } from 'node:crypto';
import { openIncident } from '../src/incidents/open.js';
import { startRun } from '../src/temporal/start.js';
import { startTestEnv } from '../test/harness.js';
import { rssMb, startWorkerProcess } from './processes.js';
import type { BenchResult } from './run.js';

const CONCURRENCY = 16;
const STARTS = 400;

interface LoopResult {
  perSecond: number;
  p50: number;
  p99: number;
}

/** Runs `op` STARTS times with CONCURRENCY in flight; answers starts per second and latency percentiles in ms. */
async function loop(op: (i: number) => Promise<void>): Promise<LoopResult> {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < STARTS) {
        const i = next++;
        const t = performance.now();
        await op(i);
        latencies.push(performance.now() - t);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (q: number) => Math.round(latencies[Math.floor(latencies.length * q)] ?? 0);
  return { perSecond: Math.round((STARTS / seconds) * 10) / 10, p50: at(0.5), p99: at(0.99) };
}

export async function run(): Promise<BenchResult> {
  // The `trigger` update of an update-with-start is answered by the workflow, so a worker runs, in its own process.
  const env = await startTestEnv({ api: true, workers: false });
  const worker = await startWorkerProcess({
    databaseUrl: env.databaseUrl,
    idPrefix: env.config.idPrefix,
    apiToken: env.config.api.operatorTokens[0]!,
  });
  const trigger = (i: number) => ({
    title: `Benchmark incident ${i}`,
    severity: 'P3' as const,
    // Long acknowledgement timeout: the bench measures opening, not escalating.
    ackTimeoutSeconds: 86_400,
  });
  try {
    const tag = randomUUID().slice(0, 8);
    // Warm-up (connections, the worker's workflow cache, JIT) so neither side pays it.
    await loop(async (i) => {
      await openIncident(env.client, env.config, trigger(i), { requestKey: `bench-warm-${tag}-${i}` });
    });
    // Alternate raw and API rounds so both see the same machine load.
    const rounds = { start: [] as LoopResult[], raw: [] as LoopResult[], api: [] as LoopResult[] };
    for (let round = 0; round < 2; round++) {
      rounds.start.push(
        await loop(async (i) => {
          await startRun(env.client, {
            workflow: 'escalateIncident',
            workflowId: `${env.config.idPrefix}bench-start-${tag}-${round}-${i}`,
            // A queue no worker polls: only the start itself is measured.
            taskQueue: `${env.config.taskQueues.main}-bench-unpolled`,
            kind: 'incident',
            summary: 'Benchmark',
            args: [],
          });
        }),
      );
      rounds.raw.push(
        await loop(async (i) => {
          await openIncident(env.client, env.config, trigger(i), { requestKey: `bench-raw-${tag}-${round}-${i}` });
        }),
      );
      rounds.api.push(
        await loop(async (i) => {
          const res = await env.api!.request('POST', '/incidents', {
            body: trigger(i),
            headers: { 'idempotency-key': `bench-api-${tag}-${round}-${i}` },
          });
          if (res.status !== 201) throw new Error(`POST /incidents answered ${res.status}`);
        }),
      );
    }
    const best = (xs: LoopResult[]) => xs.reduce((a, b) => (b.perSecond > a.perSecond ? b : a));
    const raw = best(rounds.raw);
    const api = best(rounds.api);
    const start = best(rounds.start);
    return {
      name: 'api-start',
      ratios: [
        {
          what: 'POST /incidents ÷ plain workflow.start throughput',
          value: api.perSecond / start.perSecond,
          min: 0.5,
        },
        { what: 'POST /incidents p99 latency (ms)', value: api.p99, max: 1000 },
        { what: 'POST /incidents ÷ openIncident from a client, throughput', value: api.perSecond / raw.perSecond },
      ],
      rss: { workerMb: worker.rssMb(), apiMb: rssMb() },
      details: {
        concurrency: CONCURRENCY,
        starts: STARTS,
        rounds,
        raw,
        api,
        start,
        route: 'POST /incidents',
        worker: 'separate process',
      },
    };
  } finally {
    await worker.stop();
    await env.stop();
  }
}
