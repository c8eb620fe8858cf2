/**
 * The worker split as deployed, on the production Temporal server (`npm run test:topology`): two worker processes
 * poll the `opsflow` queue, one each the `highlevel` and `zoho` queues (OPSFLOW_WORKER_QUEUES), and the API runs in
 * a process of its own; all are the production entry points. An incident opened through the API escalates and is
 * listed through SQL visibility by its search attributes; a backfill survives `kill -9` of the worker process that
 * runs its workflow: the other one finishes it and nothing is created twice.
 */
import type { Client } from '@temporalio/client';
import proto from '@temporalio/proto';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { startWorkerProcess, type WorkerProcess } from '../../bench/processes.js';
import { freePort } from '../../src/dev/ports.js';
import type { BackfillStatus } from '../../src/workflows/backfill/backfill.js';
import { seedBilling, syncStates, type SimStats } from '../backfill-env.js';
import { eventually, startTestEnv, testStack, type TestEnv } from '../harness.js';
import { mailTo } from '../incident-doubles.js';

const { TaskQueueType } = proto.temporal.api.enums.v1;
const CUSTOMERS = 40;
const run = randomUUID().slice(0, 8);
const ops = `ops-${run}@example.test`;
const eng = `eng-${run}@example.test`;

interface ApiProcess {
  child: ChildProcess;
  url: string;
  stop(): Promise<void>;
}

/** The production API entry point (`src/main/api.ts`) in its own process; resolves once it listens. */
async function startApiProcess(env: Record<string, string>): Promise<ApiProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main/api.ts'], {
    env: { ...process.env, ...env, OPSFLOW_HOST: '127.0.0.1', OPSFLOW_PORT: String(port), OPSFLOW_LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = once(child, 'exit').then(([code]) => {
    throw new Error(`the API process exited (${String(code)}) before it listened`);
  });
  const listening = (async () => {
    for await (const line of createInterface({ input: child.stdout! })) if (line.includes('API listening')) return;
  })();
  await Promise.race([listening, exited]);
  exited.catch(() => undefined);
  child.stdout!.resume();
  return {
    child,
    url: `http://127.0.0.1:${port}`,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const gone = once(child, 'exit');
      child.kill('SIGTERM');
      await gone;
    },
  };
}

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
  let api: ApiProcess;
  const workers: WorkerProcess[] = [];
  let mainWorkers: WorkerProcess[] = [];
  const token = `operator-${randomUUID()}`;

  const request = async <T>(method: string, path: string, body?: unknown) => {
    const res = await fetch(`${api.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as T };
  };

  before(async () => {
    env = await startTestEnv({
      workers: false,
      zohoSimulator: { limits: { perMinute: 1_000_000, perDay: 10_000_000, concurrent: 1000, tokensPerWindow: 1000 } },
    });
    const sim = env.zohoSimulator!;
    const shared = {
      ZOHO_API_BASE_URL: sim.apiBaseUrl,
      ZOHO_ACCOUNTS_URL: sim.url,
      ZOHO_CALLS_PER_MINUTE: '600000',
      ZOHO_QUEUE_ACTIVITIES_PER_SECOND: '1000',
      OPSFLOW_ESCALATION_L1_EMAILS: ops,
      OPSFLOW_ESCALATION_L2_EMAILS: eng,
      OPSFLOW_INCIDENT_POLICY: '{"P1": {"repeats": 0}}',
      OPSFLOW_SHUTDOWN_GRACE: '0s',
    };
    const start = async (queues: string) =>
      startWorkerProcess({
        databaseUrl: env.databaseUrl,
        idPrefix: env.config.idPrefix,
        apiToken: token,
        // Each process serves its SDK metrics on a port of its own (demo mode would bind them all to 9464).
        env: { ...shared, OPSFLOW_WORKER_QUEUES: queues, OPSFLOW_SDK_METRICS_BIND: `127.0.0.1:${await freePort()}` },
      });
    // The two `opsflow` workers start together, as two replicas of one deployment do.
    mainWorkers = await Promise.all([start('main'), start('main')]);
    workers.push(...mainWorkers, await start('highlevel'), await start('zoho'));
    api = await startApiProcess({
      ...shared,
      TEMPORAL_ADDRESS: testStack().temporalAddress,
      DATABASE_URL: env.databaseUrl,
      SMTP_URL: testStack().smtpUrl,
      OPSFLOW_TASK_QUEUE_PREFIX: env.config.idPrefix,
      OPSFLOW_API_TOKEN: token,
    });
  });
  after(async () => {
    await api?.stop();
    await Promise.allSettled(workers.map((w) => w.stop()));
    await env?.stop();
  });

  it('polls each queue from the processes deployed for it, and only from those', async () => {
    const { main, highlevel, zoho } = env.config.taskQueues;
    const [first, second, hl, zo] = workers.map((w) => w.child.pid);
    const expected = { [main]: [first, second].sort(), [highlevel]: [hl], [zoho]: [zo] };
    const pollers = async () => {
      const seen: Record<string, Array<number | undefined>> = {};
      for (const queue of [main, highlevel, zoho]) {
        const { pollers: found } = await env.client.workflowService.describeTaskQueue({
          namespace: env.config.temporal.namespace,
          taskQueue: { name: queue },
          // Workflow tasks on the main queue, activity tasks on the vendors'.
          taskQueueType:
            queue === main ? TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW : TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
        });
        seen[queue] = [...new Set((found ?? []).map((p) => Number(p.identity?.split('@')[0])))].sort();
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
    const title = `Split workers ${run}`;
    const opened = await request<{ id: string; workflowId: string }>('POST', '/incidents', {
      title,
      severity: 'P1',
      ackTimeoutSeconds: 3,
    });
    assert.equal(opened.status, 201);
    await eventually(
      async () => (await mailTo(eng)).some((m) => m.subject.includes(title)),
      30_000,
      'the level-2 notice',
    );
    const listed = async (status: string) =>
      (await request<{ incidents: Array<{ id: string }> }>('GET', `/incidents?status=${status}`)).body.incidents;
    await eventually(
      async () => (await listed('open')).some((i) => i.id === opened.body.id),
      20_000,
      'the open incident in the list',
    );
    const acked = await request('POST', `/incidents/${opened.body.id}/acknowledge`, { by: 'oncall' });
    assert.equal(acked.status, 200);
    await eventually(
      async () => (await listed('acknowledged')).some((i) => i.id === opened.body.id),
      20_000,
      'the acknowledged incident in the list',
    );
  });

  it('finishes a backfill after kill -9 of the worker running its workflow, with zero duplicates', async () => {
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
    const started = await request<{ id: string; workflowId: string }>('POST', '/backfills', {
      integration: 'zoho',
      entities: ['customers', 'subscriptions', 'invoices', 'payments'],
      mode: 'unsynced',
    });
    assert.equal(started.status, 201);
    const synced = async () => (await syncStates(env)).states.synced ?? 0;
    await eventually(async () => (await synced()) >= 20, 60_000, 'the backfill to be under way');

    const pids = await workflowTaskPids(env.client, started.body.workflowId);
    const holder = mainWorkers.find((w) => w.child.pid === pids.at(-1));
    assert.ok(holder, `an opsflow worker process ran the workflow (${pids.join(', ')})`);
    const survivor = mainWorkers.find((w) => w !== holder)!;
    const dead = once(holder.child, 'exit');
    holder.child.kill('SIGKILL');
    await dead;
    assert.ok((await synced()) < CUSTOMERS * 4, 'the backfill was still running when the worker was killed');

    const done = await eventually(
      async () => {
        const { body } = await request<BackfillStatus>('GET', `/backfills/${started.body.id}`);
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
    assert.equal(after.at(-1), survivor.child.pid, 'the other opsflow worker finished the workflow');
  });
});
