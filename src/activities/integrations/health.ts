import type { Config } from '../../config.js';
import { smtpUrlOf, verifySmsAccount, verifySmtp } from '../../notifications/index.js';
import type { ActivityDeps } from '../deps.js';

export type HealthStatus = 'healthy' | 'degraded' | 'down';

/** The outcome of one integration's health check. */
export interface HealthCheck {
  integration: string;
  status: HealthStatus;
  latencyMs: number;
  details: Record<string, unknown>;
}

/** How long a notification channel's probe waits, so a dead mail server or SMS API cannot hold up the monitor. */
export const CHANNEL_PROBE_TIMEOUT_MS = 5_000;

/**
 * Whether pages can go out by SMS at all: a provider account is configured, or some escalation level lists SMS
 * numbers (then the texts go to the configured API, the simulator in demo mode, which had better answer).
 */
function smsInUse(config: Config): boolean {
  const levels = Object.values(config.notifications.escalation);
  return !config.notifications.sms.simulated || levels.some((targets) => targets.sms.length > 0);
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
 * Health checks of Opsflow's own platform (database, Temporal, and the SMTP server and SMS API its pages go out
 * through), and the activity that records checks.
 *
 * @example
 * const activities = createHealthActivities({ pool, client, config });
 */
export function createHealthActivities({ pool, client, config }: Pick<ActivityDeps, 'pool' | 'client' | 'config'>) {
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

    /**
     * Connects to the SMTP server Opsflow sends mail through and logs in (when configured), sending nothing;
     * `down` with the error when it cannot within a few seconds. Details name the server as host:port only.
     */
    async checkSmtpHealth(): Promise<HealthCheck> {
      return timed('smtp', () => verifySmtp(smtpUrlOf(config), CHANNEL_PROBE_TIMEOUT_MS));
    },

    /**
     * Checks that the SMS API answers and accepts the account's credentials, sending nothing (see
     * `verifySmsAccount`); `down` with the error otherwise. Without an SMS account and with no SMS numbers at any
     * escalation level, SMS is not in use: `healthy` with `{configured: false}` and no request.
     */
    async checkSmsHealth(): Promise<HealthCheck> {
      if (!smsInUse(config))
        return { integration: 'sms', status: 'healthy', latencyMs: 0, details: { configured: false } };
      return timed('sms', async () => ({
        configured: true,
        simulated: config.notifications.sms.simulated,
        ...(await verifySmsAccount(config.notifications.sms, CHANNEL_PROBE_TIMEOUT_MS)),
      }));
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
