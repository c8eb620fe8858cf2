import {
  ScheduleNotFoundError,
  ScheduleOverlapPolicy,
  type Client,
  type ScheduleDescription,
  type ScheduleOptions,
  type ScheduleSpec,
} from '@temporalio/client';
import { createHash } from 'node:crypto';
import type { Config } from './config.js';
import { OpsKind, type OpsKindValue } from './temporal/search-attributes.js';
import type { BackupInput } from './workflows/backups/backup.js';
import type { DeliveryChecksInput } from './workflows/integrations/delivery-checks.js';
import type { MonitorInput } from './workflows/integrations/monitor-integrations.js';
import type { RefreshExpiringTokensInput } from './workflows/integrations/refresh-expiring-tokens.js';
import type { MonthlyRunbookInput } from './workflows/runbooks/monthly-runbook.js';

/**
 * One schedule Opsflow keeps on the cluster. Policies, chosen per runbook (docs/runbooks.md explains them):
 * - overlap `SKIP` for the monitor (a late probe is worthless once the next is due) and `BUFFER_ONE` for the
 *   runbooks (a long run delays the next one instead of losing it, and never stacks more than one);
 * - catch-up window: how long after an outage a missed run is still worth starting — 5 minutes for the monitor,
 *   6 hours for the daily runbook (a morning check is still useful at noon, not the next day), 2 days for the
 *   weekly and 5 days for the monthly one;
 * - pause on failure off: each run reports and alerts on its own, and a paused schedule would silently stop the
 *   checks that notice the failure.
 * Calendar times are in `config.timeZone`: 09:00 stays 09:00 local across DST changes. Only the nightly backup
 * falls in the 02:00–03:00 shift window; a night on which 02:00 does not exist locally may go without a backup,
 * which the daily runbook's backup-age check (26 h) reports, and a repeated 02:00 makes a second backup that
 * retention counts as the same day.
 */
export interface DeclaredSchedule {
  id: string;
  kind: OpsKindValue;
  workflowType: string;
  /** The workflow's arguments (none: its defaults). */
  args?: unknown[];
  /** Workflow ids are this prefix plus the scheduled time, e.g. `runbook-daily-2026-11-23T09:00:00Z`. */
  workflowIdPrefix: string;
  summary: string;
  spec: ScheduleSpec;
  overlap: ScheduleOverlapPolicy;
  catchupWindow: string;
  pauseOnFailure: boolean;
}

/** The prefix of the task queues (empty in production) also prefixes schedule ids, so test runs never collide. */
function prefixOf(config: Config): string {
  return config.taskQueues.main.slice(0, -'opsflow'.length);
}

/**
 * The schedules declared in code: the 5-minute monitor, the alert rules every 2 minutes, the hourly token refresh,
 * webhook retries every 15 minutes and the delivery SLA check every 5, the nightly backup at 02:00,
 * the daily runbook at 09:00, the weekly runbook on Mondays at 09:30 and the monthly runbook on the first Monday of
 * the month at 10:00, in `config.timeZone`.
 *
 * @example
 * for (const s of declaredSchedules(config)) console.log(s.id);
 */
export function declaredSchedules(config: Config): DeclaredSchedule[] {
  const p = prefixOf(config);
  const tz = config.timeZone;
  return [
    {
      id: `${p}opsflow-monitor`,
      kind: 'monitor',
      workflowType: 'monitorIntegrations',
      // The alert rules have a schedule of their own, every 2 minutes.
      args: [{ alertRules: false } satisfies MonitorInput],
      workflowIdPrefix: `${p}monitor`,
      summary: 'Monitor: integration and alert-channel health, outage paging (every 5 minutes)',
      spec: { intervals: [{ every: '5 minutes' }] },
      overlap: ScheduleOverlapPolicy.SKIP,
      catchupWindow: '5 minutes',
      pauseOnFailure: false,
    },
    {
      id: `${p}opsflow-alert-rules`,
      kind: 'monitor',
      workflowType: 'monitorIntegrations',
      args: [{ probes: false } satisfies MonitorInput],
      workflowIdPrefix: `${p}alert-rules`,
      summary: 'Alert rules: evaluate, open and resolve their incidents (every 2 minutes)',
      spec: { intervals: [{ every: '2 minutes' }] },
      overlap: ScheduleOverlapPolicy.SKIP,
      catchupWindow: '2 minutes',
      pauseOnFailure: false,
    },
    {
      id: `${p}opsflow-token-refresh`,
      kind: 'token-refresh',
      workflowType: 'refreshExpiringTokens',
      // Two hours ahead, every hour: each token gets at least one more try before it lapses, however late a
      // daily run starts (HighLevel access tokens live about a day).
      args: [{ withinSeconds: 2 * 3600 } satisfies RefreshExpiringTokensInput],
      workflowIdPrefix: `${p}token-refresh`,
      summary: 'Token refresh: HighLevel and ZOHO tokens expiring within 2 hours (hourly)',
      spec: { intervals: [{ every: '1 hour' }] },
      overlap: ScheduleOverlapPolicy.SKIP,
      catchupWindow: '1 hour',
      pauseOnFailure: false,
    },
    {
      id: `${p}opsflow-webhook-retries`,
      kind: 'monitor',
      workflowType: 'deliveryChecks',
      args: [{ sla: false } satisfies DeliveryChecksInput],
      workflowIdPrefix: `${p}webhook-retries`,
      summary: 'Webhook retries: failed deliveries re-sent with backoff (every 15 minutes)',
      spec: { intervals: [{ every: '15 minutes' }] },
      overlap: ScheduleOverlapPolicy.SKIP,
      catchupWindow: '15 minutes',
      pauseOnFailure: false,
    },
    {
      id: `${p}opsflow-delivery-sla`,
      kind: 'monitor',
      workflowType: 'deliveryChecks',
      args: [{ webhookRetries: false } satisfies DeliveryChecksInput],
      workflowIdPrefix: `${p}delivery-sla`,
      summary: 'Delivery SLA: stuck syncs, deliveries and runs, paged (every 5 minutes)',
      spec: { intervals: [{ every: '5 minutes' }] },
      overlap: ScheduleOverlapPolicy.SKIP,
      catchupWindow: '5 minutes',
      pauseOnFailure: false,
    },
    {
      id: `${p}opsflow-backup`,
      kind: 'backup',
      workflowType: 'backupDatabase',
      args: [{ trigger: 'schedule' } satisfies BackupInput],
      workflowIdPrefix: `${p}backup`,
      summary: 'Backup: pg_dump of the Opsflow database, restore test, retention (02:00)',
      // A backup still running a day later is stuck, not slow: skip rather than stack a second dump on it. A night
      // missed during an outage is still worth a backup until 08:00, before the daily runbook checks its age.
      spec: { calendars: [{ hour: 2, minute: 0, comment: 'every night at 02:00' }], timezone: tz },
      overlap: ScheduleOverlapPolicy.SKIP,
      catchupWindow: '6 hours',
      pauseOnFailure: false,
    },
    {
      id: `${p}opsflow-daily-runbook`,
      kind: 'daily',
      workflowType: 'dailyRunbook',
      workflowIdPrefix: `${p}runbook-daily`,
      summary: 'Daily runbook: morning checklist (09:00)',
      spec: { calendars: [{ hour: 9, minute: 0, comment: 'every day at 09:00' }], timezone: tz },
      overlap: ScheduleOverlapPolicy.BUFFER_ONE,
      catchupWindow: '6 hours',
      pauseOnFailure: false,
    },
    {
      id: `${p}opsflow-weekly-runbook`,
      kind: 'weekly',
      workflowType: 'weeklyRunbook',
      workflowIdPrefix: `${p}runbook-weekly`,
      summary: 'Weekly runbook: operations report (Monday 09:30)',
      spec: { calendars: [{ dayOfWeek: 'MONDAY', hour: 9, minute: 30, comment: 'Mondays at 09:30' }], timezone: tz },
      overlap: ScheduleOverlapPolicy.BUFFER_ONE,
      catchupWindow: '2 days',
      pauseOnFailure: false,
    },
    {
      id: `${p}opsflow-monthly-runbook`,
      kind: 'monthly',
      workflowType: 'monthlyRunbook',
      workflowIdPrefix: `${p}runbook-monthly`,
      args: [monthlyRunbookInput(config)],
      summary: 'Monthly runbook: reconciliation, KPIs, retention (first Monday 10:00)',
      // Calendar fields must all match: a Monday that is also one of the first seven days is the first Monday.
      spec: {
        calendars: [
          { dayOfWeek: 'MONDAY', dayOfMonth: { start: 1, end: 7 }, hour: 10, minute: 0, comment: 'first Monday' },
        ],
        timezone: tz,
      },
      overlap: ScheduleOverlapPolicy.BUFFER_ONE,
      catchupWindow: '5 days',
      pauseOnFailure: false,
    },
  ];
}

/**
 * The monthly runbook's input from configuration, for the schedule and for runs started through the API alike:
 * the retention periods that are settings (`OPSFLOW_VENDOR_CALLS_RETENTION_DAYS` for the `vendor-calls` policy).
 *
 * @example
 * await client.workflow.start('monthlyRunbook', { args: [monthlyRunbookInput(config)], taskQueue, workflowId });
 */
export function monthlyRunbookInput(config: Config): MonthlyRunbookInput {
  return { retentionMaxAgeDays: { 'vendor-calls': config.reports.vendorCallsRetentionDays } };
}

/** A fingerprint of everything a declaration sets, kept in the action's memo to tell "unchanged" from "changed". */
function fingerprint(s: DeclaredSchedule, taskQueue: string): string {
  return createHash('sha256')
    .update(JSON.stringify([s, taskQueue]))
    .digest('hex')
    .slice(0, 16);
}

function options(s: DeclaredSchedule, config: Config): ScheduleOptions {
  return {
    scheduleId: s.id,
    spec: s.spec,
    action: {
      type: 'startWorkflow',
      workflowType: s.workflowType,
      workflowId: s.workflowIdPrefix,
      taskQueue: config.taskQueues.main,
      args: s.args ?? [],
      typedSearchAttributes: [{ key: OpsKind, value: s.kind }],
      staticSummary: s.summary,
      memo: { scheduleDefinition: fingerprint(s, config.taskQueues.main) },
    },
    policies: { overlap: s.overlap, catchupWindow: s.catchupWindow, pauseOnFailure: s.pauseOnFailure },
    state: { note: s.summary },
  };
}

export type ApplyOutcome = 'created' | 'updated' | 'unchanged';

/**
 * Creates each declared schedule that is missing and updates each one whose declaration changed; leaves the
 * others (and their paused state) alone. Safe to call at every start, from any number of processes.
 *
 * @example
 * const outcomes = await applySchedules(client, config); // { 'opsflow-monitor': 'unchanged', ... }
 */
export async function applySchedules(client: Client, config: Config): Promise<Record<string, ApplyOutcome>> {
  const outcomes: Record<string, ApplyOutcome> = {};
  for (const declared of declaredSchedules(config)) {
    const wanted = options(declared, config);
    const handle = client.schedule.getHandle(declared.id);
    let current: ScheduleDescription | undefined;
    try {
      current = await handle.describe();
    } catch (err) {
      if (!(err instanceof ScheduleNotFoundError)) throw err;
    }
    if (!current) {
      try {
        await client.schedule.create(wanted);
        outcomes[declared.id] = 'created';
        continue;
      } catch (err) {
        // Another process created it between our describe and create: fall through and compare.
        if ((err as Error).name !== 'ScheduleAlreadyRunning') throw err;
        current = await handle.describe();
      }
    }
    const memo = current.action.type === 'startWorkflow' ? current.action.memo : undefined;
    if (memo?.scheduleDefinition === fingerprint(declared, config.taskQueues.main)) {
      outcomes[declared.id] = 'unchanged';
      continue;
    }
    await handle.update((prev) => ({
      ...prev,
      spec: wanted.spec,
      action: wanted.action,
      policies: { ...prev.policies, ...wanted.policies },
    }));
    outcomes[declared.id] = 'updated';
  }
  return outcomes;
}
