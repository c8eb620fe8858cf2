import { proxyActivities, startChild, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../../activities/index.js';
import type { ReportInput } from '../../reports/build.js';
import type { Verdict } from '../../reports/types.js';
import { Health, OpsKind } from '../../temporal/search-attributes.js';
import type { deliverReport } from './deliver-report.js';
import type { RunStatus } from '../run-status.js';
import { HANDOFF_STEP } from '../policies.js';

const handoff = proxyActivities<Activities>(HANDOFF_STEP);

/**
 * A report id readable by people and unique to its run: `report-daily-20261123-090000-3f9a1c`. The run id's tail
 * (its random part) keeps two runs started in the same second (a schedule and a manual run) from sharing one report.
 */
export function reportId(kind: string): string {
  const { startTime, runId } = workflowInfo();
  const started = startTime.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `report-${kind}-${started}-${runId.replace(/-/g, '').slice(-6)}`;
}

/**
 * Ends a runbook run: stores its report, sets the `Health` search attribute and starts `deliverReport`, which
 * sends it (HTML email with charts, webhook summary) through the notification outbox.
 *
 * @example
 * await publishReport(state, { kind: 'weekly', health, periodStart, periodEnd, figures });
 */
export async function publishReport(
  state: RunStatus,
  input: Omit<ReportInput, 'id' | 'runId' | 'steps'>,
): Promise<string> {
  const id = await handoff.storeReport({
    ...input,
    id: reportId(input.kind),
    runId: workflowInfo().runId,
    steps: state.steps,
  });
  state.reportId = id;
  upsertSearchAttributes([{ key: Health, value: input.health }]);
  // Delivery is its own workflow, abandoned on purpose: the run is done once its report is stored, and a slow
  // mail server retries there without holding the runbook open.
  await startChild<typeof deliverReport>('deliverReport', {
    workflowId: `${workflowInfo().workflowId}-report`,
    args: [{ reportId: id }],
    parentClosePolicy: 'ABANDON',
    staticSummary: `Send the ${input.kind} report ${id}`,
    typedSearchAttributes: [{ key: OpsKind, value: input.kind }],
  });
  return id;
}

/** Opens (or merges into) the incident of an UNHEALTHY run; one per runbook kind while it stays open. */
export async function openRunbookIncident(kind: string, health: Verdict, state: RunStatus): Promise<string> {
  const failed = state.steps.filter((s) => s.status === 'failed');
  const incident = await handoff.openIncident({
    title: `${kind} runbook is ${health}: ${failed.map((s) => s.name).join(', ')}`,
    severity: 'P2',
    description: failed.map((s) => `${s.name}: ${s.summary}`).join('\n') + `\n\nReport: ${state.reportId ?? '—'}`,
    source: `runbook-${kind}`,
    dedupKey: `runbook-${kind}-unhealthy`,
  });
  return incident.id;
}
