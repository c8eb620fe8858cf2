import {
  patched,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities, HealthCheck, HealthStatus } from '../../activities/index.js';
import { Health } from '../../temporal/search-attributes.js';
import { DATABASE_STEP, PROBE_STEP } from '../policies.js';
import { errorClassOf, failureMessage } from '../failures.js';
import { vendorActivities } from '../queues.js';
import { type RunStatus, runStatusQuery, type RunStep } from '../run-status.js';
import { evaluateAlerts } from '../runbooks/alerting.js';
import { pageOutages } from '../runbooks/outages.js';
import { timedStep } from '../runbooks/steps.js';

/** The patch that added outage paging to the monitor. */
export const OUTAGE_PAGING_PATCH = 'monitor-outage-paging';

const probes = proxyActivities<Activities>(PROBE_STEP);
const db = proxyActivities<Activities>(DATABASE_STEP);

/** Current state of a monitor run, for the API and the Web UI. */
export const monitorStatusQuery = runStatusQuery;

/** The worst status among the checks: any `down` is `down`, any `degraded` is `degraded`. */
export function overallHealth(checks: HealthCheck[]): HealthStatus {
  if (checks.some((c) => c.status === 'down')) return 'down';
  if (checks.some((c) => c.status === 'degraded')) return 'degraded';
  return 'healthy';
}

const STEP_STATUS = { healthy: 'ok', degraded: 'warning', down: 'failed' } as const;

function toStep(check: HealthCheck): RunStep {
  const error = typeof check.details.error === 'string' ? `: ${check.details.error}` : '';
  return {
    name: check.integration,
    status: STEP_STATUS[check.status],
    durationMs: check.latencyMs,
    summary: `${check.integration} ${check.status}${error}`,
  };
}

/** A vendor probe that still failed after its retries (a classified error): recorded as `down` with its class. */
function failedProbe(integration: string, err: unknown): HealthCheck {
  const errorClass = errorClassOf(err);
  return {
    integration,
    status: 'down',
    latencyMs: 0,
    details: { error: failureMessage(err), ...(errorClass ? { errorClass } : {}) },
  };
}

/** What a monitor run does; both by default (the API's runs, the daily runbook's health step). */
export interface MonitorInput {
  /** Probe the integrations and channels, record them and page outages (the 5-minute schedule). */
  probes?: boolean;
  /** Evaluate the alert rules (the 2-minute schedule). */
  alertRules?: boolean;
}

/** Probes the integrations and Opsflow's own alert channels in parallel, records the checks, pages outages. */
async function probeAndPage(state: RunStatus): Promise<HealthCheck[]> {
  setCurrentDetails('Probing the integrations');
  // The HighLevel probe calls the vendor, so it runs on its rate-limited queue (no eager dispatch around the limit).
  const highlevelProbes = vendorActivities('highlevel', { ...PROBE_STEP, allowEagerDispatch: false });
  // ZOHO likewise; its probe throws classified failures (a 429 is retried after Retry-After), caught here as `down`.
  const zohoProbes = vendorActivities('zoho', { ...PROBE_STEP, allowEagerDispatch: false });
  // Outage paging, and the probes of Opsflow's own alert channels it watches, came with a patch: runs recorded
  // before it replay unchanged.
  const paging = patched(OUTAGE_PAGING_PATCH);
  const checks = await Promise.all([
    probes.checkDatabaseHealth(),
    probes.checkTemporalHealth(),
    highlevelProbes.checkHighLevelHealth(),
    zohoProbes.checkZohoHealth().catch((err: unknown) => failedProbe('zoho', err)),
    ...(paging ? [probes.checkSmtpHealth(), probes.checkSmsHealth()] : []),
  ]);
  state.steps = checks.map(toStep);
  await db.recordHealthChecks({ runId: workflowInfo().runId, checks });
  // Outages page someone: N failed checks in a row open an incident per integration.
  if (paging) state.steps.push(await timedStep('outages', () => pageOutages(checks)));
  return checks;
}

/**
 * The monitor: probes each integration and Opsflow's own alert channels (SMTP, SMS) in parallel, records the
 * results in `integration_health_logs`, pages outages (src/workflows/runbooks/outages.ts), evaluates the alert
 * rules and sets the `Health` search attribute. The schedules split it: probes every 5 minutes, alert rules every 2.
 *
 * Queries: `status` (steps per integration and the overall health). Side effects: one row per integration per run.
 */
export async function monitorIntegrations(input: MonitorInput = {}): Promise<RunStatus> {
  const state: RunStatus = { status: 'running', steps: [] };
  setHandler(monitorStatusQuery, () => state);
  if (input.probes !== false) state.health = overallHealth(await probeAndPage(state));
  // Alert rules from the database: a firing rule opens (or merges into) its incident; see runbooks/alerting.ts.
  if (input.alertRules !== false) state.steps.push(await timedStep('alert rules', evaluateAlerts));

  state.status = 'completed';
  if (state.health) upsertSearchAttributes([{ key: Health, value: state.health }]);
  setCurrentDetails(
    `**${state.health ?? 'alert rules'}**\n\n${state.steps.map((s) => `- ${s.summary} (${s.durationMs} ms)`).join('\n')}`,
  );
  return state;
}
