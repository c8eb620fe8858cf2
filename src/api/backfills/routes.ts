import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { randomBytes } from 'node:crypto';
import { Integration } from '../../temporal/search-attributes.js';
import { idTimestamp, startRun } from '../../temporal/start.js';
import type { backfill, BackfillInput, BackfillStatus } from '../../workflows/backfill/backfill.js';
import {
  backfillStatusQuery,
  cancelBackfillUpdate,
  pauseBackfillUpdate,
  resumeBackfillUpdate,
} from '../../workflows/backfill/messages.js';
import { FINAL_STATE_MEMO } from '../../workflows/backfill/state.js';
import type { ApiDeps } from '../deps.js';
import { readRunState, runReadResponses } from '../run-state.js';
import { actionRequest, actionResponses, COMMON_ERRORS, creationRequest, jsonResponse } from '../schemas.js';
import { BackfillSchema, BackfillStarted, ControlBody, StartBackfillBody } from './schemas.js';
import { sendUpdate } from './updates.js';

const Id = z.object({ id: z.string().min(1).max(300).openapi({ example: 'backfill-zoho-20261122-091500-a1b2c3' }) });

const startRoute = createRoute({
  method: 'post',
  path: '/backfills',
  summary: 'Start a backfill (or price one with dryRun)',
  tags: ['backfills'],
  request: creationRequest(StartBackfillBody),
  responses: { 201: jsonResponse(BackfillStarted, 'Started'), ...COMMON_ERRORS },
});

const getRoute = createRoute({
  method: 'get',
  path: '/backfills/{id}',
  summary: 'Read a backfill: status, progress, counts by entity and error class, estimated API calls',
  tags: ['backfills'],
  request: { params: Id },
  responses: runReadResponses(BackfillSchema, 'The backfill'),
});

const controlRoute = (action: 'pause' | 'resume' | 'cancel', summary: string) =>
  createRoute({
    method: 'post',
    path: `/backfills/{id}/${action}`,
    summary,
    tags: ['backfills'],
    request: actionRequest(Id, ControlBody, false),
    responses: actionResponses(BackfillSchema),
  });

/** The API's view of the workflow's `status` query. */
function present(id: string, s: BackfillStatus): z.infer<typeof BackfillSchema> {
  return {
    id,
    status: s.status,
    integration: s.integration,
    mode: s.mode,
    dryRun: s.dryRun,
    progress: s.progress,
    byEntity: s.byEntity,
    errorsByClass: s.errorsByClass,
    estimatedApiCalls: s.estimatedApiCalls,
    apiCalls: s.apiCalls,
    batchSize: s.batchSize,
    runs: s.runs,
    wouldSend: s.wouldSend,
    waitingForQuotaMs: s.waitingForQuotaMs,
    error: s.error,
  };
}

/**
 * Backfills: `POST /backfills` starts one (`backfill-<integration>-<time>`, or `backfill-<integration>-<key>`
 * with an Idempotency-Key), `GET /backfills/:id` reads its `status` query (a finished run: the final state it
 * left in its memo, so no worker is needed; 503 when a running one has no worker), and `pause` / `resume` / `cancel`
 * are the workflow's updates (409 when the run is not in a state that allows them).
 *
 * @example
 * app.route('/', backfillRoutes(deps));
 */
export function backfillRoutes({ client, config }: Pick<ApiDeps, 'client' | 'config'>) {
  const app = new OpenAPIHono()
    .openapi(startRoute, async (c) => {
      const body = c.req.valid('json');
      const key = c.req.valid('header')['idempotency-key'];
      const workflowId = key
        ? `backfill-${body.integration}-${key}`
        : `backfill-${body.integration}-${idTimestamp(new Date())}-${randomBytes(3).toString('hex')}`;
      const input: BackfillInput = { ...body };
      const what = body.dryRun ? 'Dry run' : 'Backfill';
      const { handle } = await startRun<typeof backfill>(client, {
        workflow: 'backfill',
        workflowId,
        taskQueue: config.taskQueues.main,
        kind: 'backfill',
        summary: `${what}: ${body.integration} ${body.entities.join(', ')} (${body.mode})`,
        args: [input],
        searchAttributes: [{ key: Integration, value: body.integration }],
        reuseExisting: Boolean(key),
      });
      const state = await handle
        .query(backfillStatusQuery)
        .then((s) => s.status)
        .catch(() => 'running' as const);
      return c.json({ id: handle.workflowId, workflowId: handle.workflowId, status: state }, 201);
    })
    .openapi(getRoute, async (c) => {
      const { id } = c.req.valid('param');
      // A finished run left its final state in its memo; a running one answers its `status` query.
      const status = await readRunState(
        client,
        id,
        'backfill',
        backfillStatusQuery,
        (d) => d.memo?.[FINAL_STATE_MEMO] as BackfillStatus | undefined,
      );
      return c.json(present(id, status), 200);
    });
  for (const [action, update, summary] of [
    ['pause', pauseBackfillUpdate, 'Pause at the next page boundary (answers once no request is in flight)'],
    ['resume', resumeBackfillUpdate, 'Resume a paused backfill from where it stopped'],
    ['cancel', cancelBackfillUpdate, 'Stop at the next page boundary, keeping the progress made'],
  ] as const) {
    app.openapi(controlRoute(action, summary), async (c) => {
      const { id } = c.req.valid('param');
      const { by } = (c.req.valid('json') as z.infer<typeof ControlBody> | undefined) ?? {};
      const state = await sendUpdate(client, id, update, { by }, 'backfill');
      return c.json(present(id, state), 200);
    });
  }
  return app;
}
