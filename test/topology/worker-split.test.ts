/**
 * The worker split as deployed, on the production Temporal server (`npm run test:topology`): the harness runs a test
 * file's workers as two processes on the `opsflow` queue and one each on `highlevel` and `zoho`
 * (OPSFLOW_WORKER_QUEUES), and its API in a process of its own, all production entry points (test/topology/
 * deployment.ts). This file checks the split itself: each queue is polled by the processes deployed for it; an
 * incident opened through the API escalates and is listed through SQL visibility by its search attributes; a
 * backfill survives `kill -9` of the worker process that runs its workflow: the other one finishes it and nothing is
 * created twice.
 */
import type { Client } from '@temporalio/client';
import proto from '@temporalio/proto';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { BackfillStatus } from '../../src/workflows/backfill/backfill.js';
import { seedBilling, syncStates, type SimStats } from '../backfill-env.js';
import { eventually, startTestEnv, testStack, type TestEnv } from '../harness.js';
import { mailTo } from '../incident-doubles.js';
import { DEPLOYED_WORKERS } from './deployment.js';

const { TaskQueueType } = proto.temporal.api.enums.v1;
const CUSTOMERS = 40;
const run = randomUUID().slice(0, 8);
const ops = `ops-${run}@example.test`;
const eng = `eng-${run}@example.test`;

/** The pids of the worker processes that completed workflow tasks of `workflowId`, in history order. */
async function workflowTaskPids(client: Client, workflowId: string): Promise<number[]> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  return (history.events ?? [])
    .map((e) => e.workflowTaskCompletedEventAttributes?.identity)
    .filter((identity): identity is string => Boolean(identity))
    .map((identity) => Number(identity.split('@')[0]));
}

describe('the deployed worker split on the Temporal server', () => {
  let env: TestEnv;

  before(async () => {
    assert.ok(testStack().topology, 'runs in topology mode (npm run test:topology)');
    env = await startTestEnv({
      api: true,
      zohoSimulator: { limits: { perMinute: 1_000_000, perDay: 10_000_000, concurrent: 1000, tokensPerWindow: 1000 } },
      env: {
        ZOHO_QUEUE_ACTIVITIES_PER_SECOND: '1000',
        OPSFLOW_ESCALATION_L1_EMAILS: ops,
        OPSFLOW_ESCALATION_L2_EMAILS: eng,
        OPSFLOW_INCIDENT_POLICY: '{"P1": {"repeats": 0}}',
      },
    });
  });
  after(() => env?.stop());

  const mainWorkers = () => env.workers.processes().filter((p) => p.queue === 'main');

  it('polls each queue from the processes deployed for it, and only from those', async () => {
    const processes = env.workers.processes();
    assert.deepEqual(
      DEPLOYED_WORKERS.map(({ queue }) => [queue, processes.filter((p) => p.queue === queue).length]),
      DEPLOYED_WORKERS.map(({ queue, replicas }) => [queue, replicas]),
      'the harness started the deployed processes',
    );
    // As the image runs them: the compiled entry point under plain node, no TypeScript loader.
    for (const p of processes) {
      const argv = readFileSync(`/proc/${p.pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
      assert.match(argv.at(-1)!, /src\/main\/worker\.js$/, `${p.name} runs ${argv.join(' ')}`);
      assert.ok(!argv.includes('tsx'), `${p.name} runs ${argv.join(' ')}`);
    }
    const queues = env.config.taskQueues;
    const expected = Object.fromEntries(
      DEPLOYED_WORKERS.map(({ queue }) => [
        queues[queue],
        processes
          .filter((p) => p.queue === queue)
          .map((p) => p.pid)
          .sort(),
      ]),
    );
    const pollers = async () => {
      const seen: Record<string, number[]> = {};
      for (const { queue } of DEPLOYED_WORKERS) {
        const { pollers: found } = await env.client.workflowService.describeTaskQueue({
          namespace: env.config.temporal.namespace,
          taskQueue: { name: queues[queue] },
          // Workflow tasks on the main queue, activity tasks on the vendors'.
          taskQueueType:
            queue === 'main' ? TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW : TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
        });
        seen[queues[queue]] = [...new Set((found ?? []).map((p) => Number(p.identity?.split('@')[0])))].sort();
      }
      return seen;
    };
    await eventually(
      async () => JSON.stringify(await pollers()) === JSON.stringify(expected),
      20_000,
      `pollers ${JSON.stringify(expected)}`,
    ).catch(async (err: unknown) => {
      throw new Error(`${String(err)}; found ${JSON.stringify(await pollers())}`);
    });
  });

  it('escalates an incident opened through the API and lists it by its search attributes', async () => {
    const api = env.api!;
    const title = `Split workers ${run}`;
    const opened = await api.request<{ id: string; workflowId: string }>('POST', '/incidents', {
      body: { title, severity: 'P1', ackTimeoutSeconds: 3 },
    });
    assert.equal(opened.status, 201);
    await eventually(
      async () => (await mailTo(eng)).some((m) => m.subject.includes(title)),
      30_000,
      'the level-2 notice',
    );
    const listed = async (status: string) =>
      (await api.request<{ incidents: Array<{ id: string }> }>('GET', `/incidents?status=${status}`)).body.incidents;
    await eventually(
      async () => (await listed('open')).some((i) => i.id === opened.body.id),
      20_000,
      'the open incident in the list',
    );
    const acked = await api.request('POST', `/incidents/${opened.body.id}/acknowledge`, { body: { by: 'oncall' } });
    assert.equal(acked.status, 200);
    await eventually(
      async () => (await listed('acknowledged')).some((i) => i.id === opened.body.id),
      20_000,
      'the acknowledged incident in the list',
    );
  });

  it('finishes a backfill after kill -9 of the worker running its workflow, with zero duplicates', async () => {
    const api = env.api!;
    const sim = env.zohoSimulator!;
    const simControl = (path: string, body?: unknown) =>
      fetch(`${sim.url}/__sim/${path}`, {
        method: body === undefined ? 'GET' : 'POST',
        headers: { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      }).then((res) => res.json() as Promise<unknown>);
    await seedBilling(env, CUSTOMERS);
    // Slow calls keep the backfill under way when the worker dies.
    await simControl('faults', { latencyMs: 30 });
    const started = await api.request<{ id: string; workflowId: string }>('POST', '/backfills', {
      body: {
        integration: 'zoho',
        entities: ['customers', 'subscriptions', 'invoices', 'payments'],
        mode: 'unsynced',
      },
    });
    assert.equal(started.status, 201);
    const synced = async () => (await syncStates(env)).states.synced ?? 0;
    await eventually(async () => (await synced()) >= 20, 60_000, 'the backfill to be under way');

    const pids = await workflowTaskPids(env.client, started.body.workflowId);
    const holder = mainWorkers().find((w) => w.pid === pids.at(-1));
    assert.ok(holder, `an opsflow worker process ran the workflow (${pids.join(', ')})`);
    const survivor = mainWorkers().find((w) => w !== holder)!;
    await holder.kill();
    assert.ok((await synced()) < CUSTOMERS * 4, 'the backfill was still running when the worker was killed');

    const done = await eventually(
      async () => {
        const { body } = await api.request<BackfillStatus>('GET', `/backfills/${started.body.id}`);
        return body.status === 'completed' || body.status === 'failed' ? body : undefined;
      },
      120_000,
      'the backfill to finish',
    );
    assert.equal(done.status, 'completed');
    assert.deepEqual((await syncStates(env)).states, { synced: CUSTOMERS * 4 });
    const stats = (await simControl('stats')) as SimStats;
    assert.equal(stats.duplicateCreates.total, 0, 'no record was created twice');
    assert.deepEqual(stats.records, {
      customers: CUSTOMERS,
      subscriptions: CUSTOMERS,
      invoices: CUSTOMERS,
      payments: CUSTOMERS,
    });
    const after = await workflowTaskPids(env.client, started.body.workflowId);
    assert.equal(after.at(-1), survivor.pid, 'the other opsflow worker finished the workflow');
    assert.ok(!env.workers.running(), 'the killed worker is gone, as the harness reports');
  });
});
