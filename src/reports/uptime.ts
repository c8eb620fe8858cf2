import type { Pool } from '../db/pool.js';

/** One integration's availability over a period, from the monitor's checks (`integration_health_logs`). */
export interface UptimeStats {
  integration: string;
  /** Checks made in the period. */
  checks: number;
  /** Minutes the period was covered by a check's verdict, and of those the minutes it said `down`. */
  coveredMinutes: number;
  downMinutes: number;
  /** 100 × (1 − down / covered), two decimals; null when no check covers the period. */
  uptimePct: number | null;
  /** Probe latency in ms of the checks that reached the integration (not `down`); null without such checks. */
  p50Ms: number | null;
  p95Ms: number | null;
}

const round2 = (v: number) => Math.round(v * 100) / 100;

/**
 * Uptime per integration over `[from, to)`: each check's verdict holds until the next check (the last one until
 * `to`), and the last check before `from` covers the start of the period, so down time is counted between checks
 * rather than per check. Latency percentiles are over the probes that got an answer.
 *
 * @example
 * const uptime = await uptimeStats(pool, weekStart, weekEnd);
 */
export async function uptimeStats(pool: Pool, from: Date, to: Date): Promise<UptimeStats[]> {
  const { rows } = await pool.query<{
    integration: string;
    checks: number;
    covered: number | null;
    down: number | null;
    p50: number | null;
    p95: number | null;
  }>(
    `WITH checks AS (
       SELECT integration, status, checked_at AS since, true AS counted, latency_ms FROM integration_health_logs
        WHERE checked_at >= $1 AND checked_at < $2
       UNION ALL
       (SELECT DISTINCT ON (integration) integration, status, $1::timestamptz, false, NULL FROM integration_health_logs
         WHERE checked_at < $1 ORDER BY integration, checked_at DESC)
     ), spans AS (
       SELECT integration, status, counted, latency_ms, since,
              coalesce(lead(since) OVER (PARTITION BY integration ORDER BY since, counted), $2::timestamptz) AS until
         FROM checks
     )
     SELECT integration, count(*) FILTER (WHERE counted)::int AS checks,
            extract(epoch FROM sum(until - since))::float8 / 60 AS covered,
            coalesce(extract(epoch FROM sum(until - since) FILTER (WHERE status = 'down')), 0)::float8 / 60 AS down,
            percentile_cont(0.5) WITHIN GROUP (ORDER BY latency_ms) FILTER (WHERE counted AND status <> 'down') AS p50,
            percentile_cont(0.95) WITHIN GROUP (ORDER BY latency_ms) FILTER (WHERE counted AND status <> 'down') AS p95
       FROM spans GROUP BY integration ORDER BY integration`,
    [from, to],
  );
  return rows.map((r) => {
    const covered = r.covered ?? 0;
    const down = r.down ?? 0;
    return {
      integration: r.integration,
      checks: r.checks,
      coveredMinutes: round2(covered),
      downMinutes: round2(down),
      uptimePct: covered > 0 ? round2(100 * (1 - down / covered)) : null,
      p50Ms: r.p50 === null ? null : Math.round(r.p50),
      p95Ms: r.p95 === null ? null : Math.round(r.p95),
    };
  });
}

/** Uptime over all integrations together: covered minutes weighted, null when nothing was checked. */
export function overallUptime(stats: UptimeStats[]): number | null {
  const covered = stats.reduce((n, s) => n + s.coveredMinutes, 0);
  const down = stats.reduce((n, s) => n + s.downMinutes, 0);
  return covered > 0 ? round2(100 * (1 - down / covered)) : null;
}
