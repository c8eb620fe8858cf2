import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../../activities/index.js';
import { DATABASE_STEP, HANDOFF_STEP } from '../policies.js';
import type { StepResult } from './steps.js';

const db = proxyActivities<Activities>(DATABASE_STEP);
const handoff = proxyActivities<Activities>(HANDOFF_STEP);

/**
 * The monitor's alerting step: evaluates the alert rules, opens (or merges into) an incident for each rule that
 * starts firing — the rule id is the dedup key, so a rule has at most one open incident however often it fires —
 * and resolves it when the rule clears and says `auto_resolve`.
 */
export async function evaluateAlerts(): Promise<StepResult> {
  const evaluations = await db.evaluateAlertRules({ runId: workflowInfo().runId });
  const firing = evaluations.filter((e) => e.state === 'firing');
  for (const e of firing) {
    // A rule still firing with its incident linked needs nothing; a new firing (or an unlinked one) does.
    if (!e.changed && e.incidentId) continue;
    const incident = await handoff.openIncident({
      title: e.name,
      severity: e.severity,
      description: `Alert rule ${e.ruleId}: value ${e.value} ${e.comparison} threshold ${e.threshold}`,
      source: 'monitor',
      dedupKey: e.ruleId,
    });
    await db.linkAlertIncident({ ruleId: e.ruleId, incidentId: incident.id });
  }
  for (const e of evaluations) {
    if (e.state === 'cleared' && e.changed && e.autoResolve && e.incidentId) {
      await handoff.resolveAlertIncident({ incidentId: e.incidentId, ruleId: e.ruleId });
    }
  }
  return {
    status: firing.length > 0 ? 'warning' : 'ok',
    summary:
      firing.length === 0
        ? `${evaluations.length} alert rules clear`
        : `firing: ${firing.map((e) => `${e.ruleId} (${e.value})`).join(', ')}`,
  };
}
