/**
 * Escalation lateness: with many incidents waiting at once, how late does each escalation notice go out after
 * its deadline? Opens N P1 incidents (default 1,000) with a short time to acknowledge, lets each escalate from
 * level 1 to level 2, and measures, per incident, the level-2 deadline → the notice being sent (p50 / p99 / max).
 *
 * Runs alone (`npx tsx bench/escalation.ts [--incidents 1000] [--ack-timeout 120]`) on its own private stack (test/stack.ts);
 * writes bench/results/escalation.json. `run()` is what `npm run bench` calls.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../src/config.js';
import { openIncident } from '../src/incidents/open.js';
import { createLogger } from '../src/logger.js';
import { activityDepsFor, openServices } from '../src/services.js';
import { createWorkers, installRuntimeLogger } from '../src/worker.js';
import type { TimelineEvent } from '../src/workflows/incident/types.js';
import { createTestDatabase } from '../test/harness.js';
import { startPrivateStack } from '../test/stack.js';

export interface EscalationBenchResult {
  incidents: number;
  ackTimeoutSeconds: number;
  /** Time to open them all through update-with-start. */
  openMs: number;
  /** Level-2 deadline → level-2 notice sent, in ms. */
  latenessMs: { p50: number; p90: number; p99: number; max: number; mean: number };
  /** Incidents whose level-2 notice went out (should be all). */
  escalated: number;
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

async function inParallel<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

/** Starts a private stack, opens `incidents` incidents at once and measures how late their escalations fire. */
export async function run(
  options: { incidents?: number; ackTimeoutSeconds?: number } = {},
): Promise<EscalationBenchResult> {
  const count = options.incidents ?? 1000;
  // Every incident must be open before the first deadline, or the opening load is measured as lateness.
  const ackTimeoutSeconds = options.ackTimeoutSeconds ?? Math.max(20, Math.ceil(count / 10));
  const log = createLogger('warn');
  // Its own stack even under bench/run.ts: the lateness measured is of this load alone.
  const stack = await startPrivateStack({ name: 'bench-escalation', activate: true });
  try {
    const databaseUrl = await createTestDatabase();
    const config = loadConfig({
      TEMPORAL_ADDRESS: stack.stack.temporalAddress,
      DATABASE_URL: databaseUrl,
      SMTP_URL: stack.stack.smtpUrl,
      OPSFLOW_API_TOKEN: `bench-${randomUUID()}`,
      OPSFLOW_DATA_DIR: stack.stack.runDir,
      // two levels, by email only, no repeats: each incident sends exactly two notices
      OPSFLOW_ESCALATION_L1_EMAILS: 'ops@example.test',
      OPSFLOW_ESCALATION_L2_EMAILS: 'engineering@example.test',
      OPSFLOW_INCIDENT_POLICY: '{"P1": {"repeats": 0}}',
    });
    installRuntimeLogger(log, 'warn');
    const services = await openServices(config, databaseUrl, log);
    const workers = await createWorkers({
      config,
      connection: services.workerConnection,
      deps: activityDepsFor(config, services, log),
    });
    const running = workers.map((w) => w.run());

    const started = performance.now();
    const keys = Array.from({ length: count }, (_, i) => `bench-${i}-${randomUUID().slice(0, 6)}`);
    await inParallel(keys, 20, async (dedupKey) => {
      const trigger = { title: `Bench ${dedupKey}`, severity: 'P1' as const, dedupKey, ackTimeoutSeconds };
      // the same update id makes a retried open (after an RPC timeout under load) count once
      for (let attempt = 0; ; attempt++) {
        try {
          await openIncident(services.client, config, trigger, { updateId: dedupKey });
          return;
        } catch (err) {
          if (attempt >= 3) throw err;
        }
      }
    });
    const openMs = Math.round(performance.now() - started);

    // Wait (bounded) until every incident's mirror shows its level-2 notice.
    const deadline = Date.now() + (ackTimeoutSeconds + 120) * 1000;
    let lateness: number[] = [];
    for (;;) {
      const { rows } = await services.pool.query<{ timeline: TimelineEvent[] }>(
        `SELECT timeline FROM incidents WHERE level = 2`,
      );
      lateness = rows.flatMap((r) => {
        const notice = r.timeline.find((e) => e.type === 'notified' && e.level === 2);
        return notice?.dueAt ? [Date.parse(notice.at) - Date.parse(notice.dueAt)] : [];
      });
      if (lateness.length >= count || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 1000));
    }
    for (const w of workers) w.shutdown();
    await Promise.allSettled(running);
    await services.close();

    const sorted = [...lateness].sort((a, b) => a - b);
    return {
      incidents: count,
      ackTimeoutSeconds,
      openMs,
      latenessMs: {
        p50: percentile(sorted, 50),
        p90: percentile(sorted, 90),
        p99: percentile(sorted, 99),
        max: sorted.at(-1) ?? NaN,
        mean: Math.round(sorted.reduce((a, b) => a + b, 0) / Math.max(1, sorted.length)),
      },
      escalated: sorted.length,
    };
  } finally {
    await stack.stop();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const flag = (name: string) => {
    const at = process.argv.indexOf(name);
    return at > 0 ? Number(process.argv[at + 1]) : undefined;
  };
  run({ incidents: flag('--incidents'), ackTimeoutSeconds: flag('--ack-timeout') })
    .then((result) => {
      const out = fileURLToPath(new URL('./results/', import.meta.url));
      mkdirSync(out, { recursive: true });
      writeFileSync(join(out, 'escalation.json'), JSON.stringify({ at: new Date().toISOString(), ...result }, null, 2));
      const l = result.latenessMs;
      console.log(
        `escalation lateness over ${result.escalated}/${result.incidents} concurrent incidents (opened in ${result.openMs} ms): ` +
          `p50 ${l.p50} ms, p90 ${l.p90} ms, p99 ${l.p99} ms, max ${l.max} ms`,
      );
      process.exit(0);
    })
    .catch((err: unknown) => {
      console.error(err);
      process.exit(1);
    });
}
