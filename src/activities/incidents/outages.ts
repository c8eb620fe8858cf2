import {
  observe,
  outageSeverity,
  PAGED_INTEGRATIONS,
  verdictFor,
  type OutageDecision,
  type OutageKind,
} from '../../incidents/outages.js';
import type { Severity } from '../../incidents/policy.js';
import type { ActivityDeps } from '../deps.js';
import type { HealthCheck } from '../integrations/health.js';
import { resolveAutomatically } from './incidents.js';

/** A decision of this monitor run about one integration's outage, with what the workflow needs to act on it. */
export type OutagePage = OutageDecision & {
  integration: string;
  kind: OutageKind;
  severity: Severity;
  /** The failing check's error, for the incident's description. */
  error?: string;
};

const KINDS: OutageKind[] = ['down', 'degraded'];

interface Row {
  integration: string;
  kind: OutageKind;
  consecutive_bad: number;
  consecutive_good: number;
  incident_id: string | null;
  last_run_id: string | null;
  last_decision: OutagePage | null;
}

/**
 * Outage paging's state (`integration_outages`): each monitor run's checks advance it, under row locks, and say
 * which incidents to open, grow or resolve (rules in src/incidents/outages.ts).
 *
 * @example
 * const activities = createOutageActivities({ pool, client, config });
 */
export function createOutageActivities({ pool, client, config }: Pick<ActivityDeps, 'pool' | 'client' | 'config'>) {
  return {
    /**
     * Counts this run's checks into each paged integration's trackers and answers the decisions. A retry with the
     * same run id counts nothing again and answers the same decisions.
     */
    async trackOutages(input: { runId: string; checks: HealthCheck[] }): Promise<OutagePage[]> {
      const checks = input.checks.filter((c) => (PAGED_INTEGRATIONS as readonly string[]).includes(c.integration));
      if (checks.length === 0) return [];
      const db = await pool.connect();
      try {
        await db.query('BEGIN');
        await db.query(
          `INSERT INTO integration_outages (integration, kind)
           SELECT i, k FROM unnest($1::text[]) i CROSS JOIN unnest($2::text[]) k ON CONFLICT DO NOTHING`,
          [checks.map((c) => c.integration), KINDS],
        );
        const { rows } = await db.query<Row>(
          `SELECT * FROM integration_outages WHERE integration = ANY($1) ORDER BY integration, kind FOR UPDATE`,
          [checks.map((c) => c.integration)],
        );
        const pages: OutagePage[] = [];
        for (const row of rows) {
          if (row.last_run_id === input.runId) {
            if (row.last_decision) pages.push(row.last_decision);
            continue;
          }
          const check = checks.find((c) => c.integration === row.integration)!;
          const { tracker, decision } = observe(
            {
              consecutiveBad: row.consecutive_bad,
              consecutiveGood: row.consecutive_good,
              incidentId: row.incident_id ?? undefined,
            },
            verdictFor(row.kind, check.status),
            { openAfter: config.outages.openAfter, resolveAfter: config.outages.resolveAfter },
          );
          const page: OutagePage | null = decision
            ? {
                ...decision,
                integration: row.integration,
                kind: row.kind,
                severity: outageSeverity(config.outages.severity, row.integration, row.kind),
                ...(typeof check.details.error === 'string' ? { error: check.details.error } : {}),
              }
            : null;
          if (page) pages.push(page);
          await db.query(
            `UPDATE integration_outages SET consecutive_bad = $3, consecutive_good = $4, incident_id = $5,
               last_run_id = $6, last_decision = $7, updated_at = now()
             WHERE integration = $1 AND kind = $2`,
            [
              row.integration,
              row.kind,
              tracker.consecutiveBad,
              tracker.consecutiveGood,
              tracker.incidentId ?? null,
              input.runId,
              page ? JSON.stringify(page) : null,
            ],
          );
        }
        await db.query('COMMIT');
        return pages;
      } catch (err) {
        await db.query('ROLLBACK').catch(() => undefined);
        throw err;
      } finally {
        db.release();
      }
    },

    /** Records the incident an outage opened (or, after a person resolved it, re-opened). */
    async linkOutageIncident(input: { integration: string; kind: OutageKind; incidentId: string }): Promise<void> {
      await pool.query(
        'UPDATE integration_outages SET incident_id = $3, updated_at = now() WHERE integration = $1 AND kind = $2',
        [input.integration, input.kind, input.incidentId],
      );
    },

    /** Resolves an outage's incident after the healthy checks in a row; one a person resolved is left as it is. */
    async resolveOutageIncident(input: {
      incidentId: string;
      integration: string;
      kind: OutageKind;
      healthyChecks: number;
    }): Promise<boolean> {
      const { integration, kind, healthyChecks } = input;
      return resolveAutomatically(pool, client, input.incidentId, {
        by: 'monitor',
        rootCause: `${integration} was ${kind} (monitor checks failed in a row)`,
        resolution: `${integration} passed ${healthyChecks} monitor checks in a row; resolved automatically`,
        prevention: `Review ${integration}'s health log and vendor status for the outage window`,
        customerImpact: 'Not assessed (automatic resolution)',
      });
    },
  };
}
