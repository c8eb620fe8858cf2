import { proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../../activities/index.js';
import { type RunStatus, runStatusQuery } from '../run-status.js';
import { publishReport } from './handoffs.js';
import { BATCH_STEP, FIGURES_STEP } from '../policies.js';
import { runSteps, showFinal, verdictOf } from './steps.js';

const figures = proxyActivities<Activities>(FIGURES_STEP);
const batch = proxyActivities<Activities>(BATCH_STEP);

/** Current state of a weekly run. */
export const weeklyRunbookStatusQuery = runStatusQuery;

/** Failures untouched this long become `abandoned` (they need a person, not another retry). */
const STALE_AFTER_DAYS = 7;
const SYNC_TARGET = 98;
const TITLE = 'Weekly runbook';

/**
 * The weekly runbook (Mondays): the weekly operations report with trends against the previous week, stale
 * failures marked `abandoned`, failed-login and token-abuse patterns flagged, and `ANALYZE` on the hot tables.
 *
 * Queries: `status`. Side effects: sync states and webhook deliveries updated, a report row, an email with
 * charts and a webhook summary.
 */
export async function weeklyRunbook(): Promise<RunStatus> {
  const state: RunStatus = { status: 'running', steps: [] };
  setHandler(weeklyRunbookStatusQuery, () => state);
  const asOf = workflowInfo().startTime.toISOString();

  const {
    'weekly figures': weekly,
    'stale failures': abandoned,
    'security patterns': security,
  } = await runSteps(TITLE, state, [
    [
      'weekly figures',
      async () => {
        const f = await figures.collectWeeklyFigures({ asOf });
        const below = f.thisWeek.sync.filter((s) => s.successRate !== null && s.successRate < SYNC_TARGET);
        const hits = f.thisWeek.api.reduce((n, u) => n + u.rateLimitHits, 0);
        return {
          status: below.length > 0 || hits > 0 ? 'warning' : 'ok',
          summary:
            `${below.length} entit(ies) below the ${SYNC_TARGET} % sync target` +
            (below.length ? ` (${below.map((s) => s.entity).join(', ')})` : '') +
            `; ${hits} rate-limit hit(s)`,
          data: f,
        };
      },
    ],
    [
      'stale failures',
      async () => {
        const abandoned = await batch.abandonStaleFailures({ asOf, olderThanDays: STALE_AFTER_DAYS });
        const n = Object.values(abandoned).reduce((a, b) => a + b, 0);
        return {
          status: 'ok',
          summary: `${n} failure(s) older than ${STALE_AFTER_DAYS} days marked abandoned`,
          data: abandoned,
        };
      },
    ],
    [
      'security patterns',
      async () => {
        const flags = await figures.flagSecurityPatterns({ asOf });
        const n = flags.failedLogins.length + flags.tokenAbuse.length;
        return {
          status: n > 0 ? 'warning' : 'ok',
          summary: `${flags.failedLogins.length} source(s) with repeated failed logins, ${flags.tokenAbuse.length} installation(s) with repeated failed refreshes`,
          data: flags,
        };
      },
    ],
    [
      'analyze',
      async () => {
        const tables = await batch.analyzeHotTables();
        return { status: 'ok', summary: `statistics refreshed on ${tables.length} tables` };
      },
    ],
  ]);
  state.health = verdictOf(state.steps);
  await publishReport(state, {
    kind: 'weekly',
    health: state.health,
    periodStart: weekly?.thisWeek.from ?? asOf,
    periodEnd: weekly?.thisWeek.to ?? asOf,
    figures: { ...weekly, abandoned, security },
  });
  state.status = 'completed';
  showFinal(TITLE, state);
  return state;
}
