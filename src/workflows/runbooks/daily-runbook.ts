import { executeChild, patched, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../../activities/index.js';
import type { WebhookRetryOptions } from '../../activities/runbooks/daily.js';
import type { monitorIntegrations } from '../integrations/monitor-integrations.js';
import { type RunStatus, runStatusQuery } from '../run-status.js';
import { openRunbookIncident, publishReport } from './handoffs.js';
import { FIGURES_STEP } from '../policies.js';
import { stuckWork, webhookRetries } from './deliveries.js';
import { retryFailedSyncs } from './seams.js';
import { runSteps, showFinal, verdictOf, type StepResult } from './steps.js';
import { refreshTokensStep } from './tokens.js';

const figures = proxyActivities<Activities>(FIGURES_STEP);

/** Current state of a daily run: steps as they finish, the verdict and the report id. */
export const dailyRunbookStatusQuery = runStatusQuery;

export interface DailyRunbookInput {
  webhookRetry?: Partial<WebhookRetryOptions>;
}

/** Patch id of the backup-age step: runs recorded before it existed replay without it. */
export const DAILY_BACKUP_PATCH = 'daily-backup-age';

const WEBHOOK_RETRY: WebhookRetryOptions = { maxAttempts: 5, baseDelaySeconds: 60, limit: 200, timeoutMs: 10_000 };
const TITLE = 'Daily runbook';

async function integrationHealth(): Promise<StepResult> {
  const result = await executeChild<typeof monitorIntegrations>('monitorIntegrations', {
    workflowId: `${workflowInfo().workflowId}-health`,
    args: [],
    staticSummary: 'Daily runbook: integration health',
  });
  const down = result.steps.filter((s) => s.status === 'failed').map((s) => s.name);
  const degraded = result.steps.filter((s) => s.status === 'warning').map((s) => s.name);
  return {
    status: down.length > 0 ? 'failed' : degraded.length > 0 ? 'warning' : 'ok',
    summary:
      down.length + degraded.length === 0
        ? `${result.steps.length} integrations healthy`
        : [down.length ? `down: ${down.join(', ')}` : '', degraded.length ? `degraded: ${degraded.join(', ')}` : '']
            .filter(Boolean)
            .join('; '),
    data: Object.fromEntries(result.steps.map((s) => [s.name, s.status])),
  };
}

/**
 * The daily runbook (09:00 in the configured time zone): integration health, token refresh, failed syncs of the
 * last 24 h, webhook delivery retries, stuck work and the age of the newest verified backup, as parallel steps. Verdict HEALTHY / DEGRADED /
 * UNHEALTHY; the report is stored and sent; UNHEALTHY opens an incident.
 *
 * Queries: `status`. Side effects: webhook deliveries re-sent and updated, a report row, an email and a webhook
 * summary, an incident when unhealthy.
 */
export async function dailyRunbook(input: DailyRunbookInput = {}): Promise<RunStatus> {
  const state: RunStatus = { status: 'running', steps: [] };
  setHandler(dailyRunbookStatusQuery, () => state);
  // The run's window, from workflow time: the same on every replay and on every worker.
  const asOf = workflowInfo().startTime.toISOString();
  const dayBefore = new Date(Date.parse(asOf) - 86_400_000).toISOString();
  let failedRecords: Awaited<ReturnType<Activities['listFailedSyncs']>> | undefined;

  const checks = [
    ['integration health', integrationHealth],
    ['token refresh', () => refreshTokensStep(asOf)],
    [
      'failed syncs',
      async () => {
        const counts = await figures.countFailedSyncs({ asOf });
        // Listed before the retry below starts, so the report names the records as they failed.
        if (patched('daily-report-failed-records')) failedRecords = await figures.listFailedSyncs({ asOf });
        return retryFailedSyncs(counts, { since: dayBefore, until: asOf });
      },
    ],
    ['webhook retries', () => webhookRetries({ ...WEBHOOK_RETRY, ...input.webhookRetry })],
    ['stuck work', () => stuckWork(asOf)],
  ] as const;
  const backupAge = ['backups', () => figures.backupFreshness({ asOf })] as const;
  const {
    'integration health': health,
    'token refresh': tokens,
    'failed syncs': failedSyncs,
    'webhook retries': webhooks,
    'stuck work': stuck,
    backups,
  } = await runSteps(TITLE, state, patched(DAILY_BACKUP_PATCH) ? ([...checks, backupAge] as const) : checks);
  const verdict = verdictOf(state.steps);
  state.health = verdict;
  await publishReport(state, {
    kind: 'daily',
    health: verdict,
    periodStart: dayBefore,
    periodEnd: asOf,
    figures: { failedSyncs, failedRecords, webhooks, stuck, tokens, health, backups },
  });
  if (verdict === 'UNHEALTHY') await openRunbookIncident('daily', verdict, state);
  state.status = 'completed';
  showFinal(TITLE, state);
  return state;
}
