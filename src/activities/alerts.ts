import type { ActivityDeps } from './deps.js';
import { resolveAutomatically } from './incidents.js';
import { apiUsage, dayOf, pct, syncStats } from './runbooks-metrics.js';
import type { Pool } from '../db/pool.js';

type Metric = (pool: Pool, windowMinutes: number, now: Date) => Promise<number | null>;

/** A rate over fewer events than this is noise (one failure of two is not a 50 % failure rate): no data. */
export const MIN_SAMPLE = 20;

const rateOf = (part: number, whole: number) => (whole < MIN_SAMPLE ? null : pct(part, whole));

/**
 * How each `alert_rules.metric` is measured. Percentages are 0–100; `null` means "no data", which never fires.
 */
export const ALERT_METRICS: Record<string, Metric> = {
  /** Failed API calls as a percentage of all calls, summed over the days the window touches. */
  async api_error_rate(pool, windowMinutes, now) {
    const usage = await apiUsage(pool, dayOf(new Date(now.getTime() - windowMinutes * 60_000)), dayOf(addDay(now)));
    return pct(
      usage.reduce((n, u) => n + u.errors, 0),
      usage.reduce((n, u) => n + u.calls, 0),
    );
  },
  /** Successful ZOHO sync attempts as a percentage of all attempts in the window. */
  async sync_success_rate(pool, windowMinutes, now) {
    const stats = await syncStats(pool, new Date(now.getTime() - windowMinutes * 60_000), now);
    const total = stats.reduce((n, s) => n + s.total, 0);
    return rateOf(
      stats.reduce((n, s) => n + s.succeeded, 0),
      total,
    );
  },
  /**
   * Active HighLevel installations whose access token expires within 24 hours and that no refresh touched in the
   * last 24 hours. HighLevel access tokens live about a day, so every token "expires within 24 h"; the ones that
   * matter are those the refresh cycle missed.
   */
  async tokens_expiring_24h(pool, _windowMinutes, now) {
    const { rows } = await pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM hl_installations
        WHERE status = 'active' AND expires_at IS NOT NULL AND expires_at < $1::timestamptz + interval '24 hours'
          AND (last_refreshed_at IS NULL OR last_refreshed_at < $1::timestamptz - interval '24 hours')`,
      [now],
    );
    return rows[0]!.n;
  },
  /** Today's calls as a percentage of the plan's daily limit, the highest across integrations. */
  async api_quota_pct(pool, _windowMinutes, now) {
    const usage = await apiUsage(pool, dayOf(now), dayOf(addDay(now)));
    const shares = usage.map((u) => u.peakQuotaPct).filter((v): v is number => v !== null);
    return shares.length === 0 ? null : Math.max(...shares);
  },
  /** Failed or abandoned webhook deliveries as a percentage of the deliveries created in the window. */
  async webhook_failure_rate(pool, windowMinutes, now) {
    const { rows } = await pool.query<{ total: number; failed: number }>(
      `SELECT count(*)::int AS total, count(*) FILTER (WHERE status IN ('failed', 'abandoned'))::int AS failed
         FROM webhook_deliveries WHERE created_at >= $1::timestamptz - make_interval(mins => $2) AND created_at < $1`,
      [now, windowMinutes],
    );
    return rateOf(rows[0]!.failed, rows[0]!.total);
  },
  /**
   * Opsflow's own messages created in the window that failed, or that are still pending 10 minutes after they were
   * created (a send that hung or whose worker died). A count, not a rate: one lost page matters.
   */
  async notification_failures(pool, windowMinutes, now) {
    const { rows } = await pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM notifications
        WHERE created_at >= $1::timestamptz - make_interval(mins => $2) AND created_at < $1
          AND (status = 'failed' OR (status = 'pending' AND created_at < $1::timestamptz - interval '10 minutes'))`,
      [now, windowMinutes],
    );
    return rows[0]!.n;
  },
};

function addDay(d: Date): Date {
  return new Date(d.getTime() + 86_400_000);
}

const COMPARE = {
  '>': (a: number, b: number) => a > b,
  '>=': (a: number, b: number) => a >= b,
  '<': (a: number, b: number) => a < b,
  '<=': (a: number, b: number) => a <= b,
} as const;

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
        comparison: keyof typeof COMPARE;
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
        const state = value !== null && COMPARE[rule.comparison](value, threshold) ? 'firing' : 'cleared';
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
