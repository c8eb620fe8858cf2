import type { Pool } from '../db/pool.js';

/** An active maintenance window, as the escalation sees it. */
export interface ActiveMaintenanceWindow {
  id: string;
  endsAt: string;
  reason: string;
}

/** What a maintenance window is matched on: the incident's severity and source. */
export interface HoldScope {
  severity: string;
  source?: string;
}

/**
 * The maintenance window covering an incident of this severity and source right now, if any (the latest-ending one).
 *
 * @example
 * const window = await activeMaintenanceWindow(pool, { severity: 'P1', source: 'monitor' });
 */
export async function activeMaintenanceWindow(pool: Pool, scope: HoldScope): Promise<ActiveMaintenanceWindow | null> {
  const { rows } = await pool.query<{ id: string; ends_at: Date; reason: string }>(
    `SELECT id, ends_at, reason FROM maintenance_windows
     WHERE starts_at <= now() AND ends_at > now()
       AND (severities IS NULL OR $1 = ANY (severities))
       AND (sources IS NULL OR $2::text = ANY (sources))
     ORDER BY ends_at DESC LIMIT 1`,
    [scope.severity, scope.source ?? null],
  );
  const w = rows[0];
  return w ? { id: w.id, endsAt: w.ends_at.toISOString(), reason: w.reason } : null;
}
