/**
 * API start overhead: starts through the HTTP API against a raw Temporal client start loop, same workflow, same
 * concurrency. Measures `POST /runbooks/monitor/runs` against `client.workflow.start('monitorIntegrations')`
 * (to be switched to `POST /incidents` and its workflow). Target: the API reaches ≥ 90 % of the raw throughput.
 */
import { randomUUID } from 'node:crypto';
import { startRun } from '../src/temporal/start.js';
import { startTestEnv } from '../test/harness.js';
import type { BenchResult } from './run.js';

const CONCURRENCY = 16;
const STARTS = 400;

/** Runs `op` STARTS times with CONCURRENCY in flight; answers starts per second and the p99 latency in ms. */
async function loop(op: (i: number) => Promise<void>): Promise<{ perSecond: number; p99: number }> {
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
  return { perSecond: STARTS / seconds, p99: latencies[Math.floor(latencies.length * 0.99)] ?? 0 };
}

export async function run(): Promise<BenchResult> {
  // No workers: this measures starting, not running.
  const env = await startTestEnv({ api: true, workers: false });
  try {
    const tag = randomUUID().slice(0, 8);
    const raw = await loop(async (i) => {
      await startRun(env.client, {
        workflow: 'monitorIntegrations',
        workflowId: `bench-raw-${tag}-${i}`,
        taskQueue: env.config.taskQueues.main,
        kind: 'monitor',
        summary: 'Benchmark',
        args: [],
      });
    });
    const api = await loop(async (i) => {
      const res = await env.api!.request('POST', '/runbooks/monitor/runs', {
        headers: { 'idempotency-key': `bench-api-${tag}-${i}` },
      });
      if (res.status !== 202) throw new Error(`POST /runbooks/monitor/runs answered ${res.status}`);
    });
    return {
      name: 'api-start',
      ratios: [
        { what: 'API / raw start throughput', value: api.perSecond / raw.perSecond, target: 0.9 },
        { what: 'raw / API p99 latency', value: raw.p99 / api.p99 },
      ],
      details: { concurrency: CONCURRENCY, starts: STARTS, raw, api, route: 'POST /runbooks/monitor/runs' },
    };
  } finally {
    await env.stop();
  }
}
