/**
 * Records a history per replay case (test/replay/cases.ts) into test/fixtures/histories/<workflow>-<case>.json:
 * starts a private test stack (Temporal dev server, embedded PostgreSQL, SMTP capture), runs each case to its end
 * on today's code, and writes the history. `npx tsx scripts/record-histories.ts [substring]`.
 */
import proto from '@temporalio/proto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startRun } from '../src/temporal/start.js';
import { REPLAY_CASES } from '../test/replay/cases.js';
import { startPrivateTestStack } from './test-stack.js';

const ROOT = new URL('..', import.meta.url).pathname;
const OUT = join(ROOT, 'test', 'fixtures', 'histories');

async function run(): Promise<void> {
  const filter = process.argv[2] ?? '';
  const stack = await startPrivateTestStack();
  try {
    // The same per-run environment the tests use: real workers, own database and task queues.
    const { startTestEnv } = await import('../test/harness.js');
    const env = await startTestEnv({ zohoSimulator: true, highlevelSimulator: true });
    try {
      mkdirSync(OUT, { recursive: true });
      for (const c of REPLAY_CASES.filter((c) => `${c.workflow}-${c.name}`.includes(filter))) {
        const { handle } = await startRun(env.client, {
          workflow: c.workflow,
          // The replayer runs each fixture under `<workflow>-<name>`; ids derived from it (children) must agree.
          workflowId: `${c.workflow}-${c.name}`,
          taskQueue: env.config.taskQueues.main,
          kind: c.kind,
          summary: `Replay fixture ${c.workflow} ${c.name}`,
          args: c.args,
        });
        await handle.result();
        const file = join(OUT, `${c.workflow}-${c.name}.json`);
        // Plain JSON (enum names, base64 bytes, string int64s) that History.fromObject reads back as it was.
        const { History } = proto.temporal.api.history.v1;
        const history = History.toObject(History.fromObject(await handle.fetchHistory()), {
          enums: String,
          bytes: String,
          longs: String,
        });
        // Stack traces name files of the recording machine; replay does not read them.
        const scrubbed = JSON.stringify(history, (key, value: unknown) => (key === 'stackTrace' ? '' : value), 1);
        writeFileSync(file, `${scrubbed}\n`);
        console.log(`recorded ${file}`);
      }
    } finally {
      await env.stop();
    }
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
