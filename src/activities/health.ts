import type { ActivityDeps } from './deps.js';

export type HealthStatus = 'healthy' | 'degraded' | 'down';

/** The outcome of one integration's health check. */
export interface HealthCheck {
  integration: string;
  status: HealthStatus;
  latencyMs: number;
  details: Record<string, unknown>;
}

async function timed(integration: string, check: () => Promise<Record<string, unknown>>): Promise<HealthCheck> {
  const started = performance.now();
  try {
    const details = await check();
    return { integration, status: 'healthy', latencyMs: Math.round(performance.now() - started), details };
  } catch (err) {
    return {
      integration,
      status: 'down',
      latencyMs: Math.round(performance.now() - started),
      details: { error: (err as Error).message },
    };
  }
}

/**
 * Health checks of Opsflow's own platform (database and Temporal), and the activity that records checks.
 *
 * @example
 * const activities = createHealthActivities({ pool, client, config, log });
 */
export function createHealthActivities({ pool, client }: Pick<ActivityDeps, 'pool' | 'client'>) {
  return {
    /** Runs a query and reports the server version; a failure is a result (status `down`), not an error. */
    async checkDatabaseHealth(): Promise<HealthCheck> {
      return timed('database', async () => {
        const { rows } = await pool.query<{ version: string }>('SELECT current_setting($1) AS version', [
          'server_version',
        ]);
        return { serverVersion: rows[0]?.version };
      });
    },

    /** Asks the Temporal frontend for its system info; a failure is reported as status `down`. */
    async checkTemporalHealth(): Promise<HealthCheck> {
      return timed('temporal', async () => {
        const info = await client.workflowService.getSystemInfo({});
        return { serverVersion: info.serverVersion, namespace: client.options.namespace };
      });
    },

    /** Stores checks in `integration_health_logs`; a retry with the same run id writes nothing twice. */
    async recordHealthChecks(input: { runId: string; checks: HealthCheck[] }): Promise<number> {
      const { runId, checks } = input;
      const { rowCount } = await pool.query(
        `INSERT INTO integration_health_logs (integration, status, latency_ms, details, run_id)
         SELECT * FROM unnest($1::text[], $2::text[], $3::int[], $4::jsonb[], $5::text[])
         ON CONFLICT (run_id, integration) WHERE run_id IS NOT NULL DO NOTHING`,
        [
          checks.map((c) => c.integration),
          checks.map((c) => c.status),
          checks.map((c) => c.latencyMs),
          checks.map((c) => JSON.stringify(c.details)),
          checks.map(() => runId),
        ],
      );
      return rowCount ?? 0;
    },
  };
}
