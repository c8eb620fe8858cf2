import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { randomBytes } from 'node:crypto';
import { monthlyRunbookInput } from '../../schedules.js';
import { idTimestamp, startRun } from '../../temporal/start.js';
import { runStatusQuery } from '../../workflows/run-status.js';
import type { ApiDeps } from '../deps.js';
import { COMMON_ERRORS, IdempotencyHeaders, jsonResponse, NOT_FOUND } from '../schemas.js';
import { mapTemporalError } from '../temporal-errors.js';

/** Runbooks the API can start, with their workflow and what the Web UI shows for them. */
const RUNBOOKS = {
  daily: { workflow: 'dailyRunbook', summary: 'Daily runbook: morning checklist (started by API)' },
  weekly: { workflow: 'weeklyRunbook', summary: 'Weekly runbook: operations report (started by API)' },
  monthly: { workflow: 'monthlyRunbook', summary: 'Monthly runbook: reconciliation, KPIs, retention (started by API)' },
  monitor: { workflow: 'monitorIntegrations', summary: 'Monitor: integration health and alert rules' },
} as const;

const Kind = z.enum(Object.keys(RUNBOOKS) as [keyof typeof RUNBOOKS]).openapi({ example: 'daily' });

const Started = z.object({ id: z.string(), workflowId: z.string() }).openapi('RunStarted');
const Step = z.object({
  name: z.string(),
  status: z.enum(['pending', 'running', 'ok', 'warning', 'failed']),
  durationMs: z.number(),
  summary: z.string(),
});
const RunSchema = z
  .object({
    id: z.string(),
    status: z.enum(['running', 'completed', 'failed']),
    health: z.string().optional(),
    steps: z.array(Step),
    reportId: z.string().optional(),
  })
  .openapi('RunbookRun');

const startRoute = createRoute({
  method: 'post',
  path: '/runbooks/{kind}/runs',
  summary: 'Start a run of a runbook now',
  tags: ['runbooks'],
  request: { params: z.object({ kind: Kind }), headers: IdempotencyHeaders },
  responses: {
    202: jsonResponse(Started, 'Started'),
    ...COMMON_ERRORS,
  },
});

const getRoute = createRoute({
  method: 'get',
  path: '/runbooks/runs/{id}',
  summary: 'Read a run: status, health, steps and report id',
  tags: ['runbooks'],
  request: { params: z.object({ id: z.string().min(1).max(300) }) },
  responses: { 200: jsonResponse(RunSchema, 'The run'), ...COMMON_ERRORS, ...NOT_FOUND },
});

/**
 * Runbook runs: `POST /runbooks/:kind/runs` starts one, `GET /runbooks/runs/:id` reads its `status` query.
 *
 * @example
 * app.route('/', runbookRoutes(deps));
 */
export function runbookRoutes({ client, config }: Pick<ApiDeps, 'client' | 'config'>) {
  return new OpenAPIHono()
    .openapi(startRoute, async (c) => {
      const { kind } = c.req.valid('param');
      const key = c.req.valid('header')['idempotency-key'];
      const runbook = RUNBOOKS[kind];
      const workflowId = key
        ? `runbook-${kind}-${key}`
        : `runbook-${kind}-${idTimestamp(new Date())}-${randomBytes(3).toString('hex')}`;
      const { handle } = await startRun(client, {
        workflow: runbook.workflow,
        workflowId,
        taskQueue: config.taskQueues.main,
        kind,
        summary: runbook.summary,
        args: kind === 'monthly' ? [monthlyRunbookInput(config)] : [],
        reuseExisting: Boolean(key),
      });
      return c.json({ id: handle.workflowId, workflowId: handle.workflowId }, 202);
    })
    .openapi(getRoute, async (c) => {
      const { id } = c.req.valid('param');
      const status = await client.workflow
        .getHandle(id)
        .query(runStatusQuery)
        .catch((err: unknown) => mapTemporalError(err, `run ${id}`));
      return c.json({ id, ...status }, 200);
    });
}
