/**
 * Escalation lateness: with many incidents open at once, how late does each escalation notice go out after its
 * deadline? Opens N P1 incidents through `POST /incidents` at a steady rate, lets each escalate from level 1 to
 * level 2 once its time to acknowledge runs out, and measures, per incident, the level-2 deadline → the notice sent
 * (p50 / p99 / max), with the worker in its own process as deployed and its RSS after the run.
 *
 * The time to acknowledge is the opening time plus a margin, so every incident is open (and its level-1 work done)
 * before the first deadline: the deadlines then fire at the opening rate, all incidents waiting at once. Each size
 * runs on a private stack of its own and stops by itself: a run gives up `SETTLE_SECONDS` after its last deadline.
 *
 * Runs alone (`npx tsx bench/escalation.ts [--incidents 1000] [--rate 25] [--worker-heap-mb 128]`); `run()` is what
 * `npm run bench` calls (1,000 then 10,000 incidents).
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Client } from '@temporalio/client';
import proto from '@temporalio/proto';
import { startTestEnv } from '../test/harness.js';
import { startPrivateStack } from '../test/stack.js';
import { cpuByProcess, cpuSpent, rssMb, startWorkerProcess } from './processes.js';
import type { BenchResult, Measure } from './run.js';

/** Incidents opened per second (and so deadlines per second later). */
const RATE = 25;
/** Opens in flight at once. */
const CONCURRENCY = 16;
/** Between the last open and the first deadline: the level-1 work of the last incidents finishes in it. */
const MARGIN_SECONDS = 30;
/** How long after the last deadline a run waits for missing notices before it reports them missed. */
const SETTLE_SECONDS = 120;

export interface EscalationRun {
  incidents: number;
  ratePerSecond: number;
  ackTimeoutSeconds: number;
  /** Time to open them all through the API. */
  openMs: number;
  openP99Ms: number;
  /** Level-2 deadline → level-2 notice sent (the outbox's sent_at), in ms. */
  latenessMs: { p50: number; p90: number; p99: number; max: number; mean: number };
  /** Level-2 deadline → the notice recorded in the incident's timeline (one workflow task later), in ms. */
  recordedMs: { p50: number; p99: number };
  /** Incidents whose level-2 notice went out (all, unless some were missed). */
  escalated: number;
  missed: number;
  /** Level-2 notices sent more than once for one incident (must be 0). */
  duplicates: number;
  /** Why level-2 notices were recorded as failed: the timeline's failure messages (digits folded), with counts. */
  failures: Record<string, number>;
  /** Where the last incident's level-2 escalation spent its time: each history event after the deadline's timer. */
  trace: Array<{ event: string; afterTimerMs: number }>;
  /**
   * CPU seconds by process (`bench` is this process with the API; the worker is `node`, the Temporal dev server
   * `temporal`, PostgreSQL `postgres`) while the incidents were opened, and from then until the last notice (which
   * includes the quiet wait before the first deadline).
   */
  cpuSeconds: { opening: Record<string, number>; escalating: Record<string, number> };
  workerRssMb?: number;
  workerPeakRssMb?: number;
  apiRssMb?: number;
}

const EventType = proto.temporal.api.enums.v1.EventType;
type HistoryEvent = proto.temporal.api.history.v1.IHistoryEvent;

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The events of an incident's history from its level-2 timer firing to the next timer, in ms after the firing. */
async function escalationTrace(client: Client, workflowId: string): Promise<EscalationRun['trace']> {
  const events: HistoryEvent[] = (await client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
  const ms = (e: HistoryEvent) => Number(e.eventTime?.seconds ?? 0) * 1000 + (e.eventTime?.nanos ?? 0) / 1e6;
  const type = (e: HistoryEvent) => String(EventType[e.eventType ?? 0]).replace(/^EVENT_TYPE_/, '');
  const fired = events.findIndex((e) => type(e) === 'TIMER_FIRED');
  if (fired < 0) return [];
  const end = events.findIndex((e, i) => i > fired && type(e) === 'TIMER_STARTED');
  return events
    .slice(fired, end < 0 ? undefined : end + 1)
    .map((e) => ({ event: type(e), afterTimerMs: Math.round(ms(e) - ms(events[fired]!)) }));
}

/** One size on its own private stack: API in this process, the worker in its own. */
export async function measure(count: number, rate = RATE, workerHeapMb?: number): Promise<EscalationRun> {
  const openSeconds = Math.ceil(count / rate);
  const ackTimeoutSeconds = openSeconds + MARGIN_SECONDS;
  const recipients = {
    // two levels, by email only, no repeats: each incident sends exactly two notices
    OPSFLOW_ESCALATION_L1_EMAILS: 'ops@example.test',
    OPSFLOW_ESCALATION_L2_EMAILS: 'engineering@example.test',
    OPSFLOW_INCIDENT_POLICY: '{"P1": {"repeats": 0}}',
  };
  const stack = await startPrivateStack({ name: 'bench-escalation', activate: true });
  try {
    const env = await startTestEnv({ api: true, workers: false, env: recipients });
    const worker = await startWorkerProcess({
      databaseUrl: env.databaseUrl,
      idPrefix: env.config.idPrefix,
      apiToken: env.config.api.operatorTokens[0]!,
      env: recipients,
      // `--worker-heap-mb N`: another old-space bound than the image's, to see what the bound does to RSS and lateness
      nodeFlags: workerHeapMb ? [`--max-old-space-size=${workerHeapMb}`] : [],
    });
    try {
      const tag = randomUUID().slice(0, 6);
      const cpuAtStart = cpuByProcess();
      const opens: number[] = [];
      const started = performance.now();
      let next = 0;
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (next < count) {
            const i = next++;
            // paced: incident i opens no earlier than i / rate seconds into the run
            const wait = started + (i / rate) * 1000 - performance.now();
            if (wait > 0) await sleep(wait);
            const t = performance.now();
            const res = await env.api!.request('POST', '/incidents', {
              body: { title: `Bench ${i}`, severity: 'P1', dedupKey: `bench-${tag}-${i}`, ackTimeoutSeconds },
              headers: { 'idempotency-key': `bench-${tag}-${i}` },
            });
            if (res.status !== 201) throw new Error(`POST /incidents answered ${res.status}`);
            opens.push(performance.now() - t);
          }
        }),
      );
      const openMs = Math.round(performance.now() - started);
      const cpuOpened = cpuByProcess();
      opens.sort((a, b) => a - b);

      // Wait (bounded) until every incident's mirror shows its level-2 notice.
      const giveUp = Date.now() + (ackTimeoutSeconds + openSeconds + SETTLE_SECONDS) * 1000 - openMs;
      // Per incident: its level-2 deadline (the timeline's dueAt) → the notice sent (the outbox's sent_at, written
      // by the notification activity once the mail server took it), and → the notice recorded in the timeline.
      const notices = () =>
        env.pool.query<{ id: string; sent_ms: number | null; recorded_ms: number }>(
          `WITH sent AS (
             SELECT split_part(idempotency_key, '/level/', 1) AS incident, min(sent_at) AS at
               FROM notifications WHERE idempotency_key LIKE 'incident/%/level/2/%' GROUP BY 1)
           SELECT i.id,
                  extract(epoch FROM (sent.at - (e->>'dueAt')::timestamptz)) * 1000 AS sent_ms,
                  extract(epoch FROM ((e->>'at')::timestamptz - (e->>'dueAt')::timestamptz)) * 1000 AS recorded_ms
             FROM incidents i CROSS JOIN LATERAL jsonb_array_elements(i.timeline) e
             LEFT JOIN sent ON sent.incident = 'incident/' || i.id
            WHERE e->>'type' = 'notified' AND (e->>'level')::int = 2`,
        );
      for (;;) {
        const { rows: done } = await env.pool.query<{ n: string }>(
          `SELECT count(*) AS n FROM incidents WHERE level = 2`,
        );
        if (Number(done[0]!.n) >= count || Date.now() > giveUp) break;
        await sleep(2000);
      }
      const cpuEscalated = cpuByProcess();
      const { rows } = await notices();
      const perIncident = new Map<string, Array<{ sent: number; recorded: number }>>();
      for (const r of rows) {
        const ms = { sent: Number(r.sent_ms ?? r.recorded_ms), recorded: Number(r.recorded_ms) };
        perIncident.set(r.id, [...(perIncident.get(r.id) ?? []), ms]);
      }
      const first = [...perIncident.values()].map((ms) => ms[0]!);
      const lateness = first.map((m) => m.sent).sort((a, b) => a - b);
      const recorded = first.map((m) => m.recorded).sort((a, b) => a - b);
      const { rows: failed } = await env.pool.query<{ why: string; n: string }>(
        `SELECT regexp_replace(left(coalesce(e->>'message', 'no message'), 160), '[0-9]+', 'N', 'g') AS why, count(*) AS n
           FROM incidents i CROSS JOIN LATERAL jsonb_array_elements(i.timeline) e
          WHERE e->>'type' = 'notification-failed' AND (e->>'level')::int = 2
          GROUP BY 1 ORDER BY 2 DESC LIMIT 5`,
      );
      const trace = await escalationTrace(env.client, `${env.config.idPrefix}incident-bench-${tag}-${count - 1}`);
      return {
        incidents: count,
        ratePerSecond: rate,
        ackTimeoutSeconds,
        openMs,
        openP99Ms: Math.round(percentile(opens, 99)),
        latenessMs: {
          p50: Math.round(percentile(lateness, 50)),
          p90: Math.round(percentile(lateness, 90)),
          p99: Math.round(percentile(lateness, 99)),
          max: Math.round(lateness.at(-1) ?? NaN),
          mean: Math.round(lateness.reduce((a, b) => a + b, 0) / Math.max(1, lateness.length)),
        },
        recordedMs: { p50: Math.round(percentile(recorded, 50)), p99: Math.round(percentile(recorded, 99)) },
        escalated: perIncident.size,
        missed: count - perIncident.size,
        duplicates: [...perIncident.values()].filter((ms) => ms.length > 1).length,
        failures: Object.fromEntries(failed.map((f) => [f.why, Number(f.n)])),
        trace,
        cpuSeconds: { opening: cpuSpent(cpuAtStart, cpuOpened), escalating: cpuSpent(cpuOpened, cpuEscalated) },
        workerRssMb: worker.rssMb(),
        workerPeakRssMb: worker.peakRssMb(),
        apiRssMb: rssMb(),
      };
    } finally {
      await worker.stop();
      await env.stop();
    }
  } finally {
    await stack.stop();
  }
}

/** The benchmark as `npm run bench` runs it: 1,000 then 10,000 incidents, with the targets of each. */
export async function run(
  sizes: Array<{ count: number; rate: number; p99Ms: number }> = DEFAULT_SIZES,
): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  for (const { count, rate, p99Ms } of sizes) {
    const r = await measure(count, rate);
    const ratios: Measure[] = [
      { what: `escalation lateness p99 (ms), ${count} open`, value: r.latenessMs.p99, max: p99Ms },
      { what: `escalations missed, ${count} open`, value: r.missed, max: 0 },
      { what: `notices sent twice, ${count} open`, value: r.duplicates, max: 0 },
    ];
    if (count >= 10_000) ratios.push({ what: 'worker RSS after the run (MB)', value: r.workerRssMb ?? NaN, max: 250 });
    results.push({
      name: `escalation-${count}`,
      ratios,
      rss: { workerMb: r.workerRssMb, apiMb: r.apiRssMb },
      details: { ...r },
    });
  }
  return results;
}

/**
 * 1,000 incidents at the opening rate of the first recorded figures (1,000 in 81 s); 10,000 at 25 a second, so the
 * run stays within half an hour on two cores (7 minutes of opens, the same again until the last deadline).
 */
const DEFAULT_SIZES = [
  { count: 1_000, rate: 12, p99Ms: 1_000 },
  { count: 10_000, rate: 25, p99Ms: 2_000 },
];

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const flag = (name: string) => {
    const at = process.argv.indexOf(name);
    return at > 0 ? Number(process.argv[at + 1]) : undefined;
  };
  const count = flag('--incidents') ?? 1000;
  measure(count, flag('--rate') ?? RATE, flag('--worker-heap-mb'))
    .then((result) => {
      const out = fileURLToPath(new URL('./results/', import.meta.url));
      mkdirSync(out, { recursive: true });
      writeFileSync(join(out, `escalation-${count}.json`), JSON.stringify(result, null, 2));
      console.log(JSON.stringify(result, null, 2));
      process.exit(0);
    })
    .catch((err: unknown) => {
      console.error(err);
      process.exit(1);
    });
}
