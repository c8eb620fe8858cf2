import { setTimeout as sleep } from 'node:timers/promises';
import { WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import type { Pool } from '../../db/pool.js';
import { activeMaintenanceWindow, type ActiveMaintenanceWindow, type HoldScope } from '../../incidents/maintenance.js';
import { openIncident, type OpenIncidentResult } from '../../incidents/open.js';
import type { IncidentState, IncidentTrigger } from '../../incidents/types.js';
import type { ActivityDeps } from '../deps.js';
import { resolveUpdate } from '../../incidents/messages.js';

/** How long an internal open waits for the new incident's row, and how often it looks. */
const MIRROR_WAIT = { totalMs: 20_000, everyMs: 50 } as const;

/** The postmortem an automatic resolution writes (the `resolve` update's fields). */
export interface AutomaticResolution {
  by: string;
  rootCause: string;
  resolution: string;
  prevention: string;
  customerImpact: string;
}

/**
 * Resolves an incident that Opsflow opened by itself (a cleared alert rule, a recovered integration) through the
 * incident's own `resolve` update, so its timeline and postmortem say why. An incident already resolved (by a
 * person, or by a racing run) is left as it is: answers false.
 *
 * @example
 * await resolveAutomatically(pool, client, incidentId, { by: 'monitor', rootCause, resolution, prevention, customerImpact });
 */
export async function resolveAutomatically(
  pool: Pool,
  client: Client,
  incidentId: string,
  postmortem: AutomaticResolution,
): Promise<boolean> {
  const { rows } = await pool.query<{ workflow_id: string; status: string }>(
    'SELECT workflow_id, status FROM incidents WHERE id = $1',
    [incidentId],
  );
  const incident = rows[0];
  if (!incident || incident.status === 'resolved') return false;
  try {
    await client.workflow.getHandle(incident.workflow_id).executeUpdate(resolveUpdate, { args: [postmortem] });
    return true;
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError) return false;
    throw err;
  }
}

/**
 * Incident activities: the `incidents` mirror, maintenance-window checks, and opening incidents from other
 * workflows (monitor alerts, runbook verdicts).
 *
 * @example
 * const activities = createIncidentActivities({ pool, client, config });
 */
export function createIncidentActivities({ pool, client, config }: Pick<ActivityDeps, 'pool' | 'client' | 'config'>) {
  return {
    /**
     * Mirrors the incident into `incidents` for reporting. Idempotent, and ordered by the state's version, so a
     * late retry of an older write never overwrites a newer one.
     */
    async recordIncident(s: IncidentState): Promise<void> {
      await pool.query(
        `INSERT INTO incidents (id, workflow_id, dedup_key, title, description, source, severity, status, level,
           trigger_count, opened_at, acknowledged_at, resolved_at, last_seen_at, postmortem, timeline, assignee,
           mirror_version, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, now())
         ON CONFLICT (id) DO UPDATE SET status = excluded.status, level = excluded.level,
           trigger_count = excluded.trigger_count, acknowledged_at = excluded.acknowledged_at,
           resolved_at = excluded.resolved_at, last_seen_at = excluded.last_seen_at, postmortem = excluded.postmortem,
           timeline = excluded.timeline, assignee = excluded.assignee, mirror_version = excluded.mirror_version,
           updated_at = now()
         WHERE incidents.mirror_version < excluded.mirror_version`,
        [
          s.id,
          s.workflowId,
          s.dedupKey ?? null,
          s.title,
          s.description ?? null,
          s.source ?? null,
          s.severity,
          s.status,
          s.level,
          s.triggerCount,
          s.openedAt,
          s.acknowledgedAt ?? null,
          s.resolvedAt ?? null,
          s.lastSeenAt,
          s.postmortem ? JSON.stringify(s.postmortem) : null,
          JSON.stringify(s.timeline),
          s.assignee ?? null,
          s.version,
        ],
      );
    },

    /** The maintenance window covering this incident right now, if any (the latest-ending one). */
    activeMaintenanceWindow(input: HoldScope): Promise<ActiveMaintenanceWindow | null> {
      return activeMaintenanceWindow(pool, input);
    },

    /**
     * Opens an incident, or merges into the open one with the same dedup key (see `openIncident`). A new incident's
     * `incidents` row is written by its workflow's first task, just after the start is accepted; this waits for
     * it (a second at most, as a rule), so the workflow that opened it, and whatever reads the table after that
     * workflow, finds the incident there. The API's `POST /incidents` answers without waiting.
     */
    async openIncident(trigger: IncidentTrigger): Promise<OpenIncidentResult> {
      const opened = await openIncident(client, config, trigger);
      if (opened.deduplicated) return opened;
      for (let waited = 0; waited < MIRROR_WAIT.totalMs; waited += MIRROR_WAIT.everyMs) {
        const { rowCount } = await pool.query('SELECT 1 FROM incidents WHERE id = $1', [opened.id]);
        if (rowCount) return opened;
        await sleep(MIRROR_WAIT.everyMs);
      }
      // Still not written (no worker picked the task up): the incident is open all the same; its row follows.
      return opened;
    },
  };
}
