import type { Pool } from 'pg';
import type { HighLevelClient } from '../../integrations/highlevel/client.js';
import type { HealthCheck } from './health.js';

/** Below this share of active installations holding a valid token, HighLevel is reported `degraded`. */
const VALID_TOKEN_SHARE_TARGET = 0.9;

/**
 * HighLevel health activities (run on the `highlevel` task queue, since they call the API).
 *
 * @example
 * const activities = createHighLevelActivities({ pool, highlevel });
 */
export function createHighLevelActivities({ pool, highlevel }: { pool: Pool; highlevel: HighLevelClient }) {
  return {
    /**
     * Whether the API answers and which share of active installations hold an unexpired token. A failure is a
     * result (status `down`), not an error, like the other health checks.
     */
    async checkHighLevelHealth(): Promise<HealthCheck> {
      const started = performance.now();
      const latency = () => Math.round(performance.now() - started);
      const { rows } = await pool.query<{ active: number; valid: number; errored: number }>(
        `SELECT count(*) FILTER (WHERE status = 'active')::int AS active,
                count(*) FILTER (WHERE status = 'active' AND expires_at > now())::int AS valid,
                count(*) FILTER (WHERE status = 'error')::int AS errored
           FROM hl_installations`,
      );
      const { active, valid, errored } = rows[0]!;
      const validTokenShare = active === 0 ? 1 : valid / active;
      const details = {
        activeInstallations: active,
        validTokens: valid,
        installationsInError: errored,
        validTokenShare,
      };
      try {
        const ping = await highlevel.ping();
        const status = validTokenShare < VALID_TOKEN_SHARE_TARGET ? 'degraded' : 'healthy';
        return {
          integration: 'highlevel',
          status,
          latencyMs: latency(),
          details: { ...details, apiStatus: ping.status },
        };
      } catch (err) {
        return {
          integration: 'highlevel',
          status: 'down',
          latencyMs: latency(),
          details: { ...details, error: (err as Error).message },
        };
      }
    },
  };
}
