import type { StepResult } from './steps.js';

/**
 * Where the runbooks hand work to the backfill and reconciliation workflows. Until those exist, each step
 * reports what it would hand over, from the database; the child workflow start goes in the function named here.
 */

/**
 * The daily runbook's "retry failed syncs" step. The backfill in `failed` mode will be started here as a child
 * (`executeChild('backfillZoho', { args: [{ mode: 'failed', entities, since }] })`); for now it reports the
 * failed records per entity that the backfill would retry.
 */
export async function retryFailedSyncs(
  failed: Record<string, { records: number; attempts: number }>,
): Promise<StepResult<Record<string, { records: number; attempts: number }>>> {
  const records = Object.values(failed).reduce((n, f) => n + f.records, 0);
  const byEntity = Object.entries(failed)
    .filter(([, f]) => f.records > 0)
    .map(([e, f]) => `${e} ${f.records}`)
    .join(', ');
  return {
    // At or above the KPI (fewer than 5 failed syncs a day) the day is unhealthy; below it, worth a look.
    status: records >= 5 ? 'failed' : records > 0 ? 'warning' : 'ok',
    summary:
      records === 0
        ? 'no failed syncs in the last 24 h'
        : `${records} failed record(s) in the last 24 h to retry (${byEntity})`,
    data: failed,
  };
}

/**
 * The monthly runbook's "reconcile every entity" step. The reconciliation workflow will be started here as a
 * child per entity; for now it reports the local records per entity and sync state that it would compare.
 */
export async function reconcileEveryEntity(
  counts: Record<string, Record<string, number>>,
): Promise<StepResult<Record<string, Record<string, number>>>> {
  const total = Object.values(counts).reduce((n, c) => n + Object.values(c).reduce((a, b) => a + b, 0), 0);
  const unsynced = Object.values(counts).reduce((n, c) => n + (c.failed ?? 0) + (c.pending ?? 0), 0);
  return {
    status: unsynced > 0 ? 'warning' : 'ok',
    summary: `${total} local record(s) across ${Object.keys(counts).length} entities to reconcile; ${unsynced} not in sync`,
    data: counts,
  };
}
