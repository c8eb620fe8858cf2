import type { ActivityDeps } from '../deps.js';
import { ALERT_METRICS, isFiring, type Comparison } from './alert-metrics.js';
import { resolveAutomatically } from './incidents.js';

export { ALERT_METRICS, isFiring, MIN_SAMPLE } from './alert-metrics.js';

/** One rule's evaluation in one monitor run. */
export interface AlertEvaluation {
  ruleId: string;
  name: string;
  severity: 'P1' | 'P2' | 'P3' | 'P4';
  autoResolve: boolean;
  state: 'firing' | 'cleared';
  value: number | null;
  threshold: number;
  comparison: string;
  /** True when the state differs from the rule's previous recorded state (cleared when never recorded). */
  changed: boolean;
  /** The incident linked to the rule's latest firing, if any. */
  incidentId?: string;
}

/**
 * Alert rule evaluation for the monitor: measures each enabled rule, records state changes in `alert_events`
 * (once per run, so a retried activity records nothing twice) and links incidents to the firing events.
 *
 * @example
 * const { evaluateAlertRules } = createAlertActivities({ pool });
 */
export function createAlertActivities({ pool, client }: Pick<ActivityDeps, 'pool' | 'client'>) {
  return {
    /** Evaluates every enabled rule; the workflow opens or resolves incidents from the answer. */
    async evaluateAlertRules(input: { runId: string }): Promise<AlertEvaluation[]> {
      const now = new Date();
      const { rows: rules } = await pool.query<{
        id: string;
        name: string;
        metric: string;
        comparison: Comparison;
        threshold: string;
        window_minutes: number;
        severity: AlertEvaluation['severity'];
        auto_resolve: boolean;
      }>('SELECT * FROM alert_rules WHERE enabled ORDER BY id');
      const out: AlertEvaluation[] = [];
      for (const rule of rules) {
        const metric = ALERT_METRICS[rule.metric];
        const value = metric ? await metric(pool, rule.window_minutes, now) : null;
        const threshold = Number(rule.threshold);
        const state = isFiring(value, rule.comparison, threshold) ? 'firing' : 'cleared';
        // The previous state is the last one recorded by another run, so a retry sees what the first try saw.
        const { rows: prev } = await pool.query<{ state: string }>(
          `SELECT state FROM alert_events WHERE rule_id = $1 AND run_id IS DISTINCT FROM $2 ORDER BY id DESC LIMIT 1`,
          [rule.id, input.runId],
        );
        const { rows: linked } = await pool.query<{ incident_id: string }>(
          `SELECT incident_id FROM alert_events WHERE rule_id = $1 AND state = 'firing' AND incident_id IS NOT NULL
            ORDER BY id DESC LIMIT 1`,
          [rule.id],
        );
        const changed = (prev[0]?.state ?? 'cleared') !== state;
        if (changed) {
          await pool.query(
            `INSERT INTO alert_events (rule_id, state, value, run_id) VALUES ($1, $2, $3, $4)
             ON CONFLICT (rule_id, run_id) WHERE run_id IS NOT NULL DO NOTHING`,
            [rule.id, state, value, input.runId],
          );
        }
        out.push({
          ruleId: rule.id,
          name: rule.name,
          severity: rule.severity,
          autoResolve: rule.auto_resolve,
          state,
          value,
          threshold,
          comparison: rule.comparison,
          changed,
          incidentId: linked[0]?.incident_id,
        });
      }
      return out;
    },

    /**
     * Resolves the incident a cleared rule had opened, through the incident's own `resolve` update (so its
     * timeline and postmortem say why). An incident already resolved by a person is left as it is.
     */
    async resolveAlertIncident(input: { incidentId: string; ruleId: string }): Promise<boolean> {
      return resolveAutomatically(pool, client, input.incidentId, {
        by: 'monitor',
        rootCause: `Alert rule ${input.ruleId} fired`,
        resolution: `Alert rule ${input.ruleId} cleared; resolved automatically (auto_resolve)`,
        prevention: 'Review the rule and the figures behind it in the weekly report',
        customerImpact: 'Not assessed (automatic resolution)',
      });
    },

    /** Records which incident a rule's latest firing opened or merged into. */
    async linkAlertIncident(input: { ruleId: string; incidentId: string }): Promise<void> {
      await pool.query(
        `UPDATE alert_events SET incident_id = $2
          WHERE id = (SELECT max(id) FROM alert_events WHERE rule_id = $1 AND state = 'firing')`,
        [input.ruleId, input.incidentId],
      );
    },
  };
}
