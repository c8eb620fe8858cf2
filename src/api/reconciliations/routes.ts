import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { randomBytes } from 'node:crypto';
import { ZOHO_ENTITIES } from '../../backfill/entities.js';
import { Integration } from '../../temporal/search-attributes.js';
import { idTimestamp, startRun } from '../../temporal/start.js';
import type { reconcile } from '../../workflows/reconcile/reconcile.js';
import {
  approveRepairUpdate,
  reconcileStatusQuery,
  rejectRepairUpdate,
  type ReconcileInput,
  type ReconcileStatus,
} from '../../workflows/reconcile/messages.js';
import { sendUpdate } from '../backfills/updates.js';
import type { Pool } from '../../db/pool.js';
import type { ApiDeps } from '../deps.js';
import { readRunState, runReadResponses } from '../run-state.js';
import { actionRequest, actionResponses, COMMON_ERRORS, creationRequest, jsonResponse } from '../schemas.js';

const Id = z.object({ id: z.string().min(1).max(300) });
const Start = z
  .object({
    integration: z.literal('zoho'),
    entities: z.array(z.enum(ZOHO_ENTITIES)).min(1),
    repair: z.enum(['none', 'approval', 'auto']),
    approvalTimeoutSeconds: z.number().int().min(1).max(2_592_000).optional(),
  })
  .openapi('StartReconciliation');
const Summary = z.object({
  local: z.number().int(),
  remote: z.number().int(),
  matched: z.number().int(),
  missingRemote: z.number().int(),
  missingLocal: z.number().int(),
  different: z.number().int(),
  unsynced: z
    .number()
    .int()
    .optional()
    .openapi({ description: 'Local records never synced (pending or failed) and not in ZOHO: left to a backfill' }),
  localAmount: z.string().optional(),
  remoteAmount: z.string().optional(),
});
const Reconciliation = z
  .object({
    id: z.string(),
    status: z.enum(['running', 'awaiting-approval', 'repairing', 'completed', 'failed']),
    repair: z.enum(['none', 'approval', 'auto']),
    summary: z.record(z.string(), Summary),
    decision: z.string().optional(),
    decidedBy: z.string().optional(),
    repairWorkflowId: z.string().optional(),
  })
  .openapi('Reconciliation');
const Decision = z.object({ by: z.string().min(1).max(200) }).openapi('ReconciliationDecision');

const startRoute = createRoute({
  method: 'post',
  path: '/reconciliations',
  summary: 'Start a reconciliation of local records with ZOHO',
  tags: ['reconciliations'],
  request: creationRequest(Start),
  responses: {
    201: jsonResponse(z.object({ id: z.string(), workflowId: z.string(), status: z.string() }), 'Started'),
    ...COMMON_ERRORS,
  },
});
const getRoute = createRoute({
  method: 'get',
  path: '/reconciliations/{id}',
  summary: 'Read a reconciliation: status and per-entity summary',
  tags: ['reconciliations'],
  request: { params: Id },
  responses: runReadResponses(Reconciliation, 'The reconciliation'),
});
const decideRoute = (action: 'approve' | 'reject') =>
  createRoute({
    method: 'post',
    path: `/reconciliations/{id}/${action}`,
    summary: action === 'approve' ? 'Approve the repair' : 'Reject the repair',
    tags: ['reconciliations'],
    request: actionRequest(Id, Decision),
    responses: actionResponses(Reconciliation),
  });

/**
 * A closed reconciliation as its `reconciliations` row stored it. A run that closed without finishing (failed,
 * terminated, timed out) is `failed`, whatever the row last said.
 */
async function storedReconciliation(pool: Pool, id: string, closedAs: string): Promise<ReconcileStatus | undefined> {
  const { rows } = await pool.query<{
    status: ReconcileStatus['status'];
    repair: ReconcileStatus['repair'];
    summary: ReconcileStatus['summary'];
    decision: ReconcileStatus['decision'] | null;
    decided_by: string | null;
    repair_workflow_id: string | null;
  }>(`SELECT status, repair, summary, decision, decided_by, repair_workflow_id FROM reconciliations WHERE id = $1`, [
    id,
  ]);
  const row = rows[0];
  if (!row) return undefined;
  return {
    status: closedAs === 'COMPLETED' ? row.status : 'failed',
    repair: row.repair,
    summary: row.summary,
    decision: row.decision ?? undefined,
    decidedBy: row.decided_by ?? undefined,
    repairWorkflowId: row.repair_workflow_id ?? undefined,
  };
}

/**
 * Reconciliations: start one, read its summary (a closed run from its `reconciliations` row, so no worker is
 * needed; 503 when a running one has no worker), approve or reject its repair (409 unless it awaits approval).
 *
 * @example
 * app.route('/', reconciliationRoutes(deps));
 */
export function reconciliationRoutes({ client, config, pool }: Pick<ApiDeps, 'client' | 'config' | 'pool'>) {
  const app = new OpenAPIHono()
    .openapi(startRoute, async (c) => {
      const body = c.req.valid('json');
      const key = c.req.valid('header')['idempotency-key'];
      const workflowId = key
        ? `reconciliation-zoho-${key}`
        : `reconciliation-zoho-${idTimestamp(new Date())}-${randomBytes(3).toString('hex')}`;
      const input: ReconcileInput = body;
      const { handle } = await startRun<typeof reconcile>(client, {
        workflow: 'reconcile',
        workflowId,
        taskQueue: config.taskQueues.main,
        kind: 'reconciliation',
        summary: `Reconciliation: zoho ${body.entities.join(', ')} (repair ${body.repair})`,
        args: [input],
        searchAttributes: [{ key: Integration, value: 'zoho' }],
        reuseExisting: Boolean(key),
      });
      return c.json({ id: handle.workflowId, workflowId: handle.workflowId, status: 'running' }, 201);
    })
    .openapi(getRoute, async (c) => {
      const { id } = c.req.valid('param');
      const status = await readRunState(client, id, 'reconciliation', reconcileStatusQuery, (d) =>
        storedReconciliation(pool, id, d.status.name),
      );
      return c.json({ id, ...status }, 200);
    });
  for (const [action, update] of [
    ['approve', approveRepairUpdate],
    ['reject', rejectRepairUpdate],
  ] as const) {
    app.openapi(decideRoute(action), async (c) => {
      const { id } = c.req.valid('param');
      const state = await sendUpdate(client, id, update, c.req.valid('json'), 'reconciliation');
      return c.json({ id, ...state }, 200);
    });
  }
  return app;
}
