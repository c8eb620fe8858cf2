/**
 * What the runbook tests share: an environment whose level-1 targets are a fresh mailbox and a local webhook
 * receiver, the demo operational history, a target server for webhook deliveries, and a way to run a runbook.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLogger } from '../../src/logger.js';
import { seedOperations } from '../../src/dev/seed/operations.js';
import type { WeeklyFigures } from '../../src/reports/figures.js';
import { buildReport } from '../../src/reports/build.js';
import type { Report, Verdict } from '../../src/reports/types.js';
import { startRun } from '../../src/temporal/start.js';
import type { OpsKindValue } from '../../src/temporal/search-attributes.js';
import type { RunStatus } from '../../src/workflows/run-status.js';
import { startWebhookReceiver, type WebhookReceiver } from '../incident-doubles.js';
import { startTestEnv, type TestEnv } from '../harness.js';

export interface RunbookEnv {
  env: TestEnv;
  opsEmail: string;
  chat: WebhookReceiver;
  stop(): Promise<void>;
}

/** A test environment whose operations level (L1) is a unique mailbox and a local chat webhook. */
export async function startRunbookEnv(options: { api?: boolean } = {}): Promise<RunbookEnv> {
  const chat = await startWebhookReceiver();
  const opsEmail = `ops-${randomUUID().slice(0, 8)}@example.test`;
  const env = await startTestEnv({
    api: options.api,
    highlevelSimulator: true,
    zohoSimulator: true,
    env: { OPSFLOW_ESCALATION_L1_EMAILS: opsEmail, OPSFLOW_ESCALATION_L1_WEBHOOKS: `slack=${chat.url}/chat` },
  });
  return {
    env,
    opsEmail,
    chat,
    async stop() {
      await env.stop();
      await chat.stop();
    },
  };
}

/** The demo operational history (the seeder `npm start` runs). */
export function seedHistory(env: TestEnv): Promise<Record<string, number>> {
  return seedOperations({ pool: env.pool, config: env.config, log: createLogger('warn'), simulators: {} });
}

/** Starts a runbook as the schedule would and waits for it; returns its result and its stored report. */
export async function runRunbook(
  env: TestEnv,
  kind: OpsKindValue,
  workflow: string,
  args: unknown[] = [],
): Promise<{ result: RunStatus; report: Report; workflowId: string }> {
  const workflowId = `runbook-${kind}-test-${randomUUID()}`;
  const { handle } = await startRun(env.client, {
    workflow,
    workflowId,
    taskQueue: env.config.taskQueues.main,
    kind,
    summary: `${kind} runbook test`,
    args,
  });
  const result = (await handle.result()) as RunStatus;
  const { rows } = await env.pool.query<{ data: Report }>('SELECT data FROM runbook_reports WHERE id = $1', [
    result.reportId,
  ]);
  return { result, report: rows[0]!.data, workflowId };
}

export interface DeliveryTarget {
  url: string;
  requests: Array<{ path: string; idempotencyKey: string | undefined }>;
  stop(): Promise<void>;
}

/** A webhook delivery target: `/ok/...` answers 200, `/fail/...` answers 500; every request is recorded. */
export async function startDeliveryTarget(): Promise<DeliveryTarget> {
  const requests: DeliveryTarget['requests'] = [];
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const key = req.headers['idempotency-key'];
      requests.push({ path: req.url ?? '/', idempotencyKey: Array.isArray(key) ? key[0] : key });
      res.writeHead(req.url?.startsWith('/ok') ? 200 : 500).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * The weekly report built from collected figures as the runbook's report step builds it, without a run: for tests
 * that compare report sections with their own queries.
 */
export function weeklyReportOf(
  figures: WeeklyFigures,
  asOf: string,
  health: Verdict,
  id = 'report-weekly-test',
): Report {
  return buildReport(
    {
      id,
      kind: 'weekly',
      runId: 'r',
      health,
      periodStart: figures.thisWeek.from,
      periodEnd: figures.thisWeek.to,
      steps: [],
      figures: figures as unknown as Record<string, unknown>,
    },
    new Date(asOf),
    'https://ops.example.test',
  );
}
