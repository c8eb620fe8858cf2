/**
 * Records the histories of the replay cases (test/replay/cases.ts) into test/fixtures/histories: starts a
 * private test stack (Temporal dev server, embedded PostgreSQL, SMTP capture), runs each case to its end on
 * today's code in a fresh environment of its own (database, HighLevel and ZOHO simulators, workers), and writes
 * `<workflow>-<case>.json` — plus `<workflow>-<case>.run<N>.json` for each later run of a continue-as-new chain,
 * and the fixtures of the children the case names.
 *
 * `npx tsx scripts/record-histories.ts [substring ...]` records only the fixtures whose name contains one of the
 * substrings. Never re-record a fixture that is already committed (docs/changing-workflows.md).
 */
import type { Client } from '@temporalio/client';
import proto from '@temporalio/proto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startRun } from '../src/temporal/start.js';
import { fixturesOf, REPLAY_CASES, type ReplayCase } from '../test/replay/cases.js';
import { startPrivateStack } from '../test/stack.js';

const ROOT = new URL('..', import.meta.url).pathname;
const OUT = join(ROOT, 'test', 'fixtures', 'histories');
const { History } = proto.temporal.api.history.v1;

/** Escalation targets on every level (the stack's SMTP capture), so incidents and reports really send. */
const RECORDING_ENV = {
  OPSFLOW_PUBLIC_URL: 'https://opsflow.example.test',
  OPSFLOW_ESCALATION_L1_EMAILS: 'ops@example.test',
  OPSFLOW_ESCALATION_L2_EMAILS: 'engineering@example.test',
  OPSFLOW_ESCALATION_L3_EMAILS: 'management@example.test',
};

/** Writes one run's history as plain JSON (enum names, base64 bytes, string int64s) that History.fromObject reads. */
function write(name: string, history: unknown): void {
  const plain = History.toObject(History.fromObject(history as object), {
    enums: String,
    bytes: String,
    longs: String,
  });
  // Stack traces name files of the recording machine; replay does not read them.
  const scrubbed = JSON.stringify(plain, (key, value: unknown) => (key === 'stackTrace' ? '' : value), 1);
  const file = join(OUT, `${name}.json`);
  writeFileSync(file, `${scrubbed}\n`);
  console.log(`recorded ${file}`);
}

/** Every run of a workflow id's continue-as-new chain, first run first, each written as a fixture. */
async function recordChain(client: Client, workflowId: string, name: string): Promise<void> {
  await client.workflow.getHandle(workflowId).result();
  const { runId: first } = await client.workflow.getHandle(workflowId).describe();
  // describe() answers the latest run; walk back to the first through each run's parent in the chain.
  const runs = [first];
  for (;;) {
    const history = await client.workflow.getHandle(workflowId, runs[0]).fetchHistory();
    const started = history.events?.[0]?.workflowExecutionStartedEventAttributes;
    if (!started?.continuedExecutionRunId) break;
    runs.unshift(started.continuedExecutionRunId);
  }
  for (const [i, runId] of runs.entries()) {
    const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
    write(i === 0 ? name : `${name}.run${i + 1}`, history);
  }
}

async function recordCase(c: ReplayCase): Promise<void> {
  const { startTestEnv } = await import('../test/harness.js');
  const env = await startTestEnv({ zohoSimulator: true, highlevelSimulator: true, env: RECORDING_ENV });
  try {
    await c.setup?.(env);
    // The replayer runs each fixture under `<workflow>-<name>`; ids derived from it (children) must agree.
    const workflowId = `${c.workflow}-${c.name}`;
    const { handle } = await startRun(env.client, {
      workflow: c.workflow,
      workflowId,
      taskQueue: env.config.taskQueues.main,
      kind: c.kind,
      summary: `Replay fixture ${workflowId}`,
      args: c.args,
    });
    await c.drive?.(handle, env);
    await recordChain(env.client, workflowId, workflowId);
    for (const [name, suffix] of Object.entries(c.children ?? {})) {
      await recordChain(env.client, `${workflowId}${suffix}`, name);
    }
  } finally {
    await env.stop();
  }
}

async function run(): Promise<void> {
  const filters = process.argv.slice(2);
  const cases = REPLAY_CASES.filter(
    (c) => filters.length === 0 || fixturesOf(c).some((f) => filters.some((s) => f.includes(s))),
  );
  const stack = await startPrivateStack({ name: 'record', activate: true });
  try {
    mkdirSync(OUT, { recursive: true });
    for (const c of cases) await recordCase(c);
  } finally {
    await stack.stop();
  }
}

run().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
