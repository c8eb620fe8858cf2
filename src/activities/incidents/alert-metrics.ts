import { apiUsage, pct, PLAN_MINUTE_LIMITS, syncStats } from '../../reports/metrics.js';
import type { Pool } from '../../db/pool.js';

/** One alert metric: its value over the `windowMinutes` before `now`, or `null` for "no data" (never fires). */
export type AlertMetric = (pool: Pool, windowMinutes: number, now: Date) => Promise<number | null>;

const COMPARE = {
  '>': (a: number, b: number) => a > b,
  '>=': (a: number, b: number) => a >= b,
  '<': (a: number, b: number) => a < b,
  '<=': (a: number, b: number) => a <= b,
} as const;

/** `alert_rules.comparison`: how a metric's value is compared with the rule's threshold. */
export type Comparison = keyof typeof COMPARE;

/**
 * Whether a rule fires for a metric's value: the comparison holds, and there is a value ("no data" never fires).
 *
 * @example
 * isFiring(7.5, '>', 5); // true
 */
export const isFiring = (value: number | null, comparison: Comparison, threshold: number) =>
  value !== null && COMPARE[comparison](value, threshold);

/** A rate over fewer events than this is noise (one failure of two is not a 50 % failure rate): no data. */
export const MIN_SAMPLE = 20;

const rateOf = (part: number, whole: number) => (whole < MIN_SAMPLE ? null : pct(part, whole));
const maxOf = (values: Array<number | null>) => {
  const known = values.filter((v): v is number => v !== null);
  return known.length === 0 ? null : Math.max(...known);
};
const minutesBefore = (now: Date, minutes: number) => new Date(now.getTime() - minutes * 60_000);
const addDay = (d: Date) => new Date(d.getTime() + 86_400_000);

interface MinuteUsage {
  integration: string;
  calls: number;
  errors: number;
  hits: number;
  /** The busiest minute's calls. */
  peak: number;
}

/** Vendor calls per integration from `api_usage_minutes`, for the minutes that started in the window. */
async function minuteUsage(pool: Pool, windowMinutes: number, now: Date): Promise<MinuteUsage[]> {
  const { rows } = await pool.query<MinuteUsage>(
    `SELECT integration, sum(calls)::int AS calls, sum(errors)::int AS errors, sum(rate_limit_hits)::int AS hits,
            max(calls)::int AS peak
       FROM api_usage_minutes WHERE minute >= $1::timestamptz - make_interval(mins => $2) AND minute <= $1
      GROUP BY integration`,
    [now, windowMinutes],
  );
  return rows;
}

/**
 * How each `alert_rules.metric` is measured. Percentages are 0–100; `null` means "no data", which never fires.
 */
export const ALERT_METRICS: Record<string, AlertMetric> = {
  /**
   * Failed vendor calls as a percentage of calls in the window (`api_usage_minutes`), per integration; the worst
   * integration's rate. An integration with fewer than MIN_SAMPLE calls has no rate.
   */
  async api_error_rate(pool, windowMinutes, now) {
    const usage = await minuteUsage(pool, windowMinutes, now);
    return maxOf(usage.map((u) => rateOf(u.errors, u.calls)));
  },
  /** Successful ZOHO sync attempts as a percentage of all attempts in the window (`zoho_sync_logs`). */
  async sync_success_rate(pool, windowMinutes, now) {
    const stats = await syncStats(pool, minutesBefore(now, windowMinutes), now);
    const total = stats.reduce((n, s) => n + s.total, 0);
    return rateOf(
      stats.reduce((n, s) => n + s.succeeded, 0),
      total,
    );
  },
  /**
   * Active HighLevel installations (`hl_installations`) whose access token expires within 24 hours and that no
   * refresh touched in the last 24 hours. HighLevel access tokens live about a day, so every token "expires within
   * 24 h"; the ones that matter are those the refresh cycle missed.
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
  /** Today's calls (`api_usage`) as a percentage of the plan's daily limit, the highest across integrations. */
  async api_quota_pct(pool, _windowMinutes, now) {
    const usage = await apiUsage(pool, now, addDay(now));
    return maxOf(usage.map((u) => u.peakQuotaPct));
  },
  /** The busiest minute's ZOHO calls in the window (`api_usage_minutes`) as a percentage of the plan's 150/min. */
  async zoho_minute_quota_pct(pool, windowMinutes, now) {
    const zoho = (await minuteUsage(pool, windowMinutes, now)).find((u) => u.integration === 'zoho');
    return zoho ? pct(zoho.peak, PLAN_MINUTE_LIMITS.zoho!) : null;
  },
  /** Vendor answers of HTTP 429 in the window (`api_usage_minutes`), all integrations: the budget should prevent them. */
  async rate_limit_hits(pool, windowMinutes, now) {
    const usage = await minuteUsage(pool, windowMinutes, now);
    return usage.length === 0 ? null : usage.reduce((n, u) => n + u.hits, 0);
  },
  /**
   * The slowest integration's average probe latency in ms over the window (`integration_health_logs`). Probes that
   * found the integration down are left out: their latency is the probe's timeout, and integrations_down pages them.
   */
  async vendor_latency_ms(pool, windowMinutes, now) {
    const { rows } = await pool.query<{ avg: string }>(
      `SELECT avg(latency_ms) AS avg FROM integration_health_logs
        WHERE checked_at >= $1::timestamptz - make_interval(mins => $2) AND checked_at <= $1
          AND status <> 'down' AND latency_ms IS NOT NULL
        GROUP BY integration`,
      [now, windowMinutes],
    );
    return maxOf(rows.map((r) => Math.round(Number(r.avg))));
  },
  /** Integrations whose latest probe in the window (`integration_health_logs`) found them down. */
  async integrations_down(pool, windowMinutes, now) {
    const { rows } = await pool.query<{ checked: number; down: number }>(
      `SELECT count(*)::int AS checked, count(*) FILTER (WHERE status = 'down')::int AS down
         FROM (SELECT DISTINCT ON (integration) status FROM integration_health_logs
                WHERE checked_at >= $1::timestamptz - make_interval(mins => $2) AND checked_at <= $1
                ORDER BY integration, checked_at DESC, id DESC) AS latest`,
      [now, windowMinutes],
    );
    return rows[0]!.checked === 0 ? null : rows[0]!.down;
  },
  /** Failed or abandoned webhook deliveries as a percentage of the deliveries created in the window (`webhook_deliveries`). */
  async webhook_failure_rate(pool, windowMinutes, now) {
    const { rows } = await pool.query<{ total: number; failed: number }>(
      `SELECT count(*)::int AS total, count(*) FILTER (WHERE status IN ('failed', 'abandoned'))::int AS failed
         FROM webhook_deliveries WHERE created_at >= $1::timestamptz - make_interval(mins => $2) AND created_at < $1`,
      [now, windowMinutes],
    );
    return rateOf(rows[0]!.failed, rows[0]!.total);
  },
  /**
   * Opsflow's own messages (`notifications`) created in the window that failed, or that are still pending 10 minutes
   * after they were created (a send that hung or whose worker died). A count, not a rate: one lost page matters.
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
