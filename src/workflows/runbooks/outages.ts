import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities, HealthCheck } from '../../activities/index.js';
import { outageDedupKey } from '../../incidents/outages.js';
import { DATABASE_STEP, HANDOFF_STEP } from '../policies.js';
import type { StepResult } from './steps.js';

const db = proxyActivities<Activities>(DATABASE_STEP);
const handoff = proxyActivities<Activities>(HANDOFF_STEP);

/**
 * The monitor's paging step: this run's checks advance each integration's outage state, and the decisions are
 * carried out — an outage opens one incident (`integration-down:zoho`), grows it each failed check while it lasts,
 * and resolves it after the healthy checks in a row (src/incidents/outages.ts has the rules).
 */
export async function pageOutages(checks: HealthCheck[]): Promise<StepResult> {
  const pages = await db.trackOutages({ runId: workflowInfo().runId, checks });
  for (const page of pages) {
    if (page.action === 'resolve') {
      await handoff.resolveOutageIncident({
        incidentId: page.incidentId,
        integration: page.integration,
        kind: page.kind,
        healthyChecks: page.healthyChecks,
      });
      continue;
    }
    const incident = await handoff.openIncident({
      title: `${page.integration} is ${page.kind}`,
      severity: page.severity,
      description:
        `${page.failedChecks} monitor checks in a row found ${page.integration} ${page.kind}` +
        (page.error ? `: ${page.error}` : ''),
      source: 'monitor',
      dedupKey: outageDedupKey(page.integration, page.kind),
    });
    // Linked every time: a person may have resolved the previous incident, and the outage then re-opened one.
    await db.linkOutageIncident({ integration: page.integration, kind: page.kind, incidentId: incident.id });
  }
  const open = pages.filter((p) => p.action !== 'resolve');
  return {
    status: open.length > 0 ? 'failed' : 'ok',
    summary:
      pages.length === 0
        ? 'no outage to page'
        : pages.map((p) => `${p.integration} ${p.kind}: ${p.action === 'resolve' ? 'resolved' : p.action}`).join(', '),
  };
}
