import { ParentClosePolicy, startChild, workflowInfo } from '@temporalio/workflow';
import { ZOHO_ENTITIES, type ZohoEntity } from '../../backfill/entities.js';
import type { backfill } from '../backfill/backfill.js';
import type { reconcile } from '../reconcile/reconcile.js';
import type { StepResult } from './steps.js';

/**
 * Where the runbooks hand work to the backfill and reconciliation workflows: each step starts its child and
 * reports it. The children outlive the runbook (ParentClosePolicy ABANDON): a backfill may wait for ZOHO's daily
 * quota and a reconciliation for an operator's approval, and neither should hold up the morning report.
 */

/**
 * The daily runbook's "retry failed syncs" step: starts a ZOHO backfill in `failed` mode (child
 * `<runbook id>-retry-failed`) over the entities that have failed records, and reports them per entity.
 * The backfill takes only the records whose failure falls in `window` (the runbook's last 24 h, the same window
 * the counts cover): older failures are the weekly runbook's to abandon, not the morning's to retry.
 */
export async function retryFailedSyncs(
  failed: Record<string, { records: number; attempts: number }>,
  window: { since: string; until: string },
): Promise<StepResult<Record<string, { records: number; attempts: number }>>> {
  const records = Object.values(failed).reduce((n, f) => n + f.records, 0);
  const byEntity = Object.entries(failed)
    .filter(([, f]) => f.records > 0)
    .map(([e, f]) => `${e} ${f.records}`)
    .join(', ');
  const entities = ZOHO_ENTITIES.filter((e) => (failed[e]?.records ?? 0) > 0);
  let started = '';
  if (entities.length > 0) {
    const child = await startChild<typeof backfill>('backfill', {
      workflowId: `${workflowInfo().workflowId}-retry-failed`,
      args: [{ integration: 'zoho', entities, mode: 'failed', failedSince: window.since, failedUntil: window.until }],
      parentClosePolicy: ParentClosePolicy.ABANDON,
    });
    started = `; retrying in backfill ${child.workflowId}`;
  }
  return {
    // At or above the KPI (fewer than 5 failed syncs a day) the day is unhealthy; below it, worth a look.
    status: records >= 5 ? 'failed' : records > 0 ? 'warning' : 'ok',
    summary:
      records === 0
        ? 'no failed syncs in the last 24 h'
        : `${records} failed record(s) in the last 24 h to retry (${byEntity})${started}`,
    data: failed,
  };
}

/**
 * The monthly runbook's "reconcile every entity" step: starts a reconciliation of every entity with ZOHO (child
 * `<runbook id>-reconcile`, repair on an operator's approval) and reports the local records it compares.
 */
export async function reconcileEveryEntity(
  counts: Record<string, Record<string, number>>,
): Promise<StepResult<Record<string, Record<string, number>>>> {
  const total = Object.values(counts).reduce((n, c) => n + Object.values(c).reduce((a, b) => a + b, 0), 0);
  const unsynced = Object.values(counts).reduce((n, c) => n + (c.failed ?? 0) + (c.pending ?? 0), 0);
  const entities = ZOHO_ENTITIES.filter((e: ZohoEntity) => e in counts);
  const child = await startChild<typeof reconcile>('reconcile', {
    workflowId: `${workflowInfo().workflowId}-reconcile`,
    args: [{ integration: 'zoho', entities: entities.length > 0 ? entities : [...ZOHO_ENTITIES], repair: 'approval' }],
    parentClosePolicy: ParentClosePolicy.ABANDON,
  });
  return {
    status: unsynced > 0 ? 'warning' : 'ok',
    summary: `${total} local record(s) across ${Object.keys(counts).length} entities; reconciliation ${child.workflowId} started; ${unsynced} not in sync`,
    data: counts,
  };
}
