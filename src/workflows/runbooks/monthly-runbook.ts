import { proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../../activities/index.js';
import { type RunStatus, runStatusQuery } from '../run-status.js';
import { publishReport } from './handoffs.js';
import { kpiReview } from './kpis.js';
import { FIGURES_STEP } from '../policies.js';
import { RETENTION_POLICY_NAMES, runRetention } from './retention.js';
import { reconcileEveryEntity } from './seams.js';
import { runSteps, showFinal, verdictOf } from './steps.js';

const figures = proxyActivities<Activities>(FIGURES_STEP);

/** Current state of a monthly run. */
export const monthlyRunbookStatusQuery = runStatusQuery;

export interface MonthlyRunbookInput {
  /** Rows deleted per retention batch (one activity call each). */
  retentionBatchSize?: number;
  /**
   * Retention periods in days by policy name (`RETENTION_POLICIES` in src/runbooks/targets.ts), overriding the
   * declared ones for this run; a policy's protection window (webhook replay) is never cut short.
   */
  retentionMaxAgeDays?: Partial<Record<string, number>>;
}

const TITLE = 'Monthly runbook';

/**
 * The monthly runbook (first Monday): reconciliation of every entity, KPI review against targets, API usage
 * against plan limits, retention clean-ups in bounded batches and the credential age review.
 *
 * Queries: `status`. Side effects: expired rows deleted per the retention policies, a report row, an email and
 * a webhook summary.
 */
export async function monthlyRunbook(input: MonthlyRunbookInput = {}): Promise<RunStatus> {
  const state: RunStatus = { status: 'running', steps: [] };
  setHandler(monthlyRunbookStatusQuery, () => state);
  const asOf = workflowInfo().startTime.toISOString();
  const batchSize = input.retentionBatchSize ?? 1000;

  const {
    reconciliation,
    'kpi review': kpi,
    retention,
    'credential age': credentials,
  } = await runSteps(TITLE, state, [
    ['reconciliation', async () => reconcileEveryEntity(await figures.countReconcilableRecords())],
    ['kpi review', async () => kpiReview(await figures.collectMonthlyFigures({ asOf }))],
    ['retention', () => runRetention(asOf, batchSize, input.retentionMaxAgeDays)],
    [
      'credential age',
      async () => {
        const c = await figures.reviewCredentialAges({ asOf });
        return {
          status: c.overdue.length > 0 ? 'warning' : 'ok',
          summary: `${c.overdue.length} installation(s) with credentials older than 90 days`,
          data: c,
        };
      },
    ],
  ]);
  state.health = verdictOf(state.steps);
  await publishReport(state, {
    kind: 'monthly',
    health: state.health,
    periodStart: kpi?.figures.thisMonth.from ?? asOf,
    periodEnd: kpi?.figures.thisMonth.to ?? asOf,
    figures: {
      ...kpi?.figures,
      kpis: kpi?.kpis,
      reconciliation,
      retention,
      retentionPolicies: RETENTION_POLICY_NAMES,
      credentials,
    },
  });
  state.status = 'completed';
  showFinal(TITLE, state);
  return state;
}
