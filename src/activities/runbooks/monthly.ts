import { heartbeat } from '@temporalio/activity';
import { CREDENTIAL_MAX_AGE_DAYS, RETENTION_POLICIES } from '../../runbooks/targets.js';
import type { ActivityDeps } from '../deps.js';
import { DAY_MS, ENTITIES, apiUsage, countBy, syncStats } from '../../reports/metrics.js';
import type { MonthPeriod, MonthlyFigures } from '../../reports/figures.js';

/**
 * The monthly runbook's figures, retention deletes and reviews.
 *
 * @example
 * const { deleteExpiredBatch } = createMonthlyRunbookActivities({ pool });
 */
export function createMonthlyRunbookActivities({ pool }: Pick<ActivityDeps, 'pool'>) {
  async function period(from: Date, to: Date): Promise<MonthPeriod> {
    const [sync, api] = await Promise.all([syncStats(pool, from, to), apiUsage(pool, from, to)]);
    const days = (to.getTime() - from.getTime()) / DAY_MS;
    const failed = sync.reduce((n, s) => n + s.failed, 0);
    return {
      from: from.toISOString(),
      to: to.toISOString(),
      sync,
      api,
      failedSyncsPerDay: Math.round((failed / days) * 100) / 100,
    };
  }

  return {
    /** The 30 whole UTC days before `asOf`'s day, and the 30 before those (month over month). */
    async collectMonthlyFigures(input: { asOf: string }): Promise<MonthlyFigures> {
      const end = new Date(`${input.asOf.slice(0, 10)}T00:00:00.000Z`);
      const [thisMonth, previousMonth] = await Promise.all([
        period(new Date(end.getTime() - 30 * DAY_MS), end),
        period(new Date(end.getTime() - 60 * DAY_MS), new Date(end.getTime() - 30 * DAY_MS)),
      ]);
      return { thisMonth, previousMonth };
    },

    /** Local records per entity by sync state: what a reconciliation against ZOHO would compare. */
    async countReconcilableRecords(): Promise<Record<string, Record<string, number>>> {
      const out: Record<string, Record<string, number>> = {};
      for (const entity of ENTITIES) {
        out[entity] = await countBy(
          pool,
          `SELECT sync_state::text AS key, count(*) AS n FROM ${entity} GROUP BY sync_state`,
          [],
        );
      }
      return out;
    },

    /**
     * Deletes at most `batchSize` rows the policy says have expired before `cutoff`. Safe to retry: a repeated
     * call deletes the next expired rows or none. The caller loops until a batch comes back short. A cutoff
     * inside the policy's protection window is moved back to its edge (checked here against the clock, too).
     */
    async deleteExpiredBatch(input: { policy: string; cutoff: string; batchSize: number }): Promise<number> {
      const policy = RETENTION_POLICIES.find((p) => p.name === input.policy);
      if (!policy) throw new Error(`unknown retention policy ${input.policy}`);
      heartbeat({ policy: policy.name });
      const cutoff = new Date(Math.min(Date.parse(input.cutoff), Date.now() - (policy.keepAtLeastMs ?? 0)));
      const { rowCount } = await pool.query(
        `DELETE FROM ${policy.table} WHERE ctid IN (
           SELECT ctid FROM ${policy.table} WHERE ${policy.ageColumn} < $1 LIMIT $2)`,
        [cutoff, input.batchSize],
      );
      return rowCount ?? 0;
    },

    /** HighLevel installations by age of their credentials (last refresh, else install), oldest flagged. */
    async reviewCredentialAges(input: { asOf: string }): Promise<{
      buckets: Record<string, number>;
      overdue: Array<{ installationId: number; ageDays: number }>;
    }> {
      const age = `extract(epoch FROM ($1::timestamptz - coalesce(last_refreshed_at, installed_at))) / 86400`;
      const buckets = await countBy(
        pool,
        `SELECT CASE WHEN ${age} < 30 THEN 'under 30 days' WHEN ${age} < $2 THEN '30 to ${CREDENTIAL_MAX_AGE_DAYS} days'
                     ELSE 'over ${CREDENTIAL_MAX_AGE_DAYS} days' END AS key, count(*) AS n
           FROM hl_installations WHERE status = 'active' GROUP BY 1`,
        [input.asOf, CREDENTIAL_MAX_AGE_DAYS],
      );
      const { rows } = await pool.query<{ installationId: number; ageDays: number }>(
        `SELECT id AS "installationId", floor(${age})::int AS "ageDays" FROM hl_installations
          WHERE status = 'active' AND ${age} >= $2 ORDER BY 2 DESC, 1 LIMIT 50`,
        [input.asOf, CREDENTIAL_MAX_AGE_DAYS],
      );
      return { buckets, overdue: rows };
    },
  };
}
