import type { Pool } from '../db/pool.js';

/** A resolved incident and what its postmortem says. */
export interface ResolvedIncident {
  id: string;
  title: string;
  severity: string;
  openedAt: string;
  resolvedAt: string;
  minutesToResolve: number;
  rootCause: string;
  resolution: string;
  prevention: string;
  customerImpact: string;
  resolvedBy: string;
}

/** Incidents over a period (`incidents`): each count by the time of its own event. */
export interface IncidentActivity {
  opened: number;
  acknowledged: number;
  resolved: number;
  openedBySeverity: Record<string, number>;
  /** Mean minutes from opening to acknowledgement of the incidents acknowledged in the period; null when none. */
  mttaMinutes: number | null;
  /** Mean minutes from opening to resolution of the incidents resolved in the period; null when none. */
  mttrMinutes: number | null;
  resolvedList: ResolvedIncident[];
}

/** Alert rules over a period (`alert_events`). */
export interface AlertActivity {
  fired: number;
  /** Firings of the period that a `cleared` event of the same rule followed before the period ended. */
  resolvedFirings: number;
  /** resolvedFirings / fired in percent; null when nothing fired. */
  resolutionRatePct: number | null;
}

/** An alert rule still firing at a moment, and since when. */
export interface OpenAlert {
  ruleId: string;
  name: string;
  severity: string;
  since: string;
  firingHours: number;
  incidentId: string | null;
}

const minutes = (v: number | null) => (v === null ? null : Math.round(v * 10) / 10);

/** The most resolved incidents a report lists with their postmortems. */
export const RESOLVED_LISTED = 50;

/**
 * Incidents opened, acknowledged and resolved in `[from, to)`, MTTA and MTTR, and each resolved incident's
 * postmortem.
 *
 * @example
 * const incidents = await incidentActivity(pool, weekStart, weekEnd);
 */
export async function incidentActivity(pool: Pool, from: Date, to: Date): Promise<IncidentActivity> {
  const range = [from, to];
  const [totals, bySeverity, resolved] = await Promise.all([
    pool.query<{ opened: number; acked: number; resolved: number; mtta: number | null; mttr: number | null }>(
      `SELECT count(*) FILTER (WHERE opened_at >= $1 AND opened_at < $2)::int AS opened,
              count(*) FILTER (WHERE acknowledged_at >= $1 AND acknowledged_at < $2)::int AS acked,
              count(*) FILTER (WHERE resolved_at >= $1 AND resolved_at < $2)::int AS resolved,
              (avg(extract(epoch FROM acknowledged_at - opened_at))
                 FILTER (WHERE acknowledged_at >= $1 AND acknowledged_at < $2) / 60)::float8 AS mtta,
              (avg(extract(epoch FROM resolved_at - opened_at))
                 FILTER (WHERE resolved_at >= $1 AND resolved_at < $2) / 60)::float8 AS mttr
         FROM incidents`,
      range,
    ),
    pool.query<{ severity: string; n: number }>(
      `SELECT severity, count(*)::int AS n FROM incidents WHERE opened_at >= $1 AND opened_at < $2 GROUP BY 1`,
      range,
    ),
    pool.query<{
      id: string;
      title: string;
      severity: string;
      opened_at: Date;
      resolved_at: Date;
      postmortem: Record<string, string> | null;
    }>(
      `SELECT id, title, severity, opened_at, resolved_at, postmortem FROM incidents
        WHERE resolved_at >= $1 AND resolved_at < $2 ORDER BY resolved_at, id LIMIT ${RESOLVED_LISTED}`,
      range,
    ),
  ]);
  const t = totals.rows[0]!;
  return {
    opened: t.opened,
    acknowledged: t.acked,
    resolved: t.resolved,
    openedBySeverity: Object.fromEntries(bySeverity.rows.map((r) => [r.severity, r.n])),
    mttaMinutes: minutes(t.mtta),
    mttrMinutes: minutes(t.mttr),
    resolvedList: resolved.rows.map((r) => ({
      id: r.id,
      title: r.title,
      severity: r.severity,
      openedAt: r.opened_at.toISOString(),
      resolvedAt: r.resolved_at.toISOString(),
      minutesToResolve: minutes((r.resolved_at.getTime() - r.opened_at.getTime()) / 60_000)!,
      rootCause: r.postmortem?.rootCause ?? '',
      resolution: r.postmortem?.resolution ?? '',
      prevention: r.postmortem?.prevention ?? '',
      customerImpact: r.postmortem?.customerImpact ?? '',
      resolvedBy: r.postmortem?.resolvedBy ?? '',
    })),
  };
}

/**
 * Alert firings in `[from, to)` and how many of them cleared before `to`.
 *
 * @example
 * const alerts = await alertActivity(pool, weekStart, weekEnd);
 */
export async function alertActivity(pool: Pool, from: Date, to: Date): Promise<AlertActivity> {
  const { rows } = await pool.query<{ fired: number; cleared: number }>(
    `SELECT count(*)::int AS fired,
            count(*) FILTER (WHERE EXISTS (
              SELECT 1 FROM alert_events c WHERE c.rule_id = f.rule_id AND c.state = 'cleared'
                 AND (c.created_at, c.id) > (f.created_at, f.id) AND c.created_at < $2))::int AS cleared
       FROM alert_events f WHERE f.state = 'firing' AND f.created_at >= $1 AND f.created_at < $2`,
    [from, to],
  );
  const { fired, cleared } = rows[0]!;
  return {
    fired,
    resolvedFirings: cleared,
    resolutionRatePct: fired === 0 ? null : Math.round((cleared / fired) * 10000) / 100,
  };
}

/**
 * Alert rules whose latest event at `asOf` is a firing, and how long they have been firing.
 *
 * @example
 * const open = await openAlerts(pool, new Date());
 */
export async function openAlerts(pool: Pool, asOf: Date): Promise<OpenAlert[]> {
  const { rows } = await pool.query<{
    rule_id: string;
    name: string;
    severity: string;
    created_at: Date;
    incident_id: string | null;
  }>(
    `SELECT e.rule_id, r.name, r.severity, e.created_at, e.incident_id FROM (
       SELECT DISTINCT ON (rule_id) rule_id, state, created_at, incident_id FROM alert_events
        WHERE created_at <= $1 ORDER BY rule_id, created_at DESC, id DESC) e
       JOIN alert_rules r ON r.id = e.rule_id
      WHERE e.state = 'firing' ORDER BY e.created_at, e.rule_id`,
    [asOf],
  );
  return rows.map((r) => ({
    ruleId: r.rule_id,
    name: r.name,
    severity: r.severity,
    since: r.created_at.toISOString(),
    firingHours: Math.round(((asOf.getTime() - r.created_at.getTime()) / 3_600_000) * 10) / 10,
    incidentId: r.incident_id,
  }));
}
