import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, beforeEach, describe, it } from 'node:test';
import {
  ALERT_METRICS,
  createAlertActivities,
  isFiring,
  type AlertEvaluation,
} from '../../src/activities/incidents/alerts.js';
import type { Comparison } from '../../src/activities/incidents/alert-metrics.js';
import { dayOf } from '../../src/reports/metrics.js';
import type { Pool } from '../../src/db/pool.js';
import { countApiCall } from '../../src/integrations/api-usage.js';
import { startTestEnv, type TestEnv } from '../harness.js';

/** Rows a case inserts, timed relative to the evaluation's `now`. */
type Seed = (pool: Pool, now: Date) => Promise<void>;

const TABLES = [
  'api_usage',
  'api_usage_minutes',
  'zoho_sync_logs',
  'hl_installations',
  'integration_health_logs',
  'webhook_deliveries',
  'notifications',
];

/** Vendor calls counted in the minute `minutesAgo` before `now`'s minute. */
function calls(integration: string, minutesAgo: number, n: number, errors = 0, rateLimitHits = 0): Seed {
  return async (pool, now) => {
    await pool.query(
      `INSERT INTO api_usage_minutes (integration, minute, calls, errors, rate_limit_hits)
       VALUES ($1, date_trunc('minute', $2::timestamptz) - make_interval(mins => $3), $4, $5, $6)`,
      [integration, now, minutesAgo, n, errors, rateLimitHits],
    );
  };
}

/** A monitor probe: integration, minutes before `now`, status and latency in ms. */
type Probe = [integration: string, minutesAgo: number, status: string, latencyMs: number];

/** Monitor probes of the integrations, each `minutesAgo` before `now`. */
function probes(...list: Probe[]): Seed {
  return async (pool, now) => {
    for (const [integration, minutesAgo, status, latencyMs] of list) {
      await pool.query(
        `INSERT INTO integration_health_logs (integration, status, latency_ms, checked_at)
         VALUES ($1, $2, $3, $4::timestamptz - make_interval(mins => $5))`,
        [integration, status, latencyMs, now, minutesAgo],
      );
    }
  };
}

/** `n` ZOHO sync attempts five minutes ago, `failed` of them failed. */
function syncAttempts(n: number, failed: number): Seed {
  return async (pool, now) => {
    await pool.query(
      `INSERT INTO zoho_sync_logs (entity, record_id, outcome, created_at)
       SELECT 'customers', g, CASE WHEN g <= $2 THEN 'failed' ELSE 'updated' END, $3::timestamptz - interval '5 minutes'
         FROM generate_series(1, $1) AS g`,
      [n, failed, now],
    );
  };
}

/** An active installation expiring in two hours, last refreshed `refreshedHoursAgo` ago. */
function installation(refreshedHoursAgo: number): Seed {
  return async (pool, now) => {
    await pool.query(
      `INSERT INTO hl_installations (company_id, location_id, user_type, expires_at, last_refreshed_at)
       VALUES ('co_1', $1, 'Location', $2::timestamptz + interval '2 hours', $2::timestamptz - make_interval(hours => $3))`,
      [`loc_${randomUUID().slice(0, 8)}`, now, refreshedHoursAgo],
    );
  };
}

/** Today's (UTC) calls of an integration in `api_usage`. */
function callsToday(integration: string, n: number): Seed {
  return async (pool, now) => {
    await pool.query(`INSERT INTO api_usage (integration, day, calls) VALUES ($1, $2::date, $3)`, [
      integration,
      dayOf(now),
      n,
    ]);
  };
}

/** 20 webhook deliveries created five minutes ago, `failed` of them failed. */
function deliveries(failed: number): Seed {
  return async (pool, now) => {
    await pool.query(
      `INSERT INTO webhook_deliveries (target_url, event_type, payload, status, created_at)
       SELECT 'http://127.0.0.1:9/', 'test', '{}', CASE WHEN g <= $1 THEN 'failed' ELSE 'delivered' END,
              $2::timestamptz - interval '5 minutes'
         FROM generate_series(1, 20) AS g`,
      [failed, now],
    );
  };
}

/** One of Opsflow's own messages, created five minutes ago. */
function notification(status: 'sent' | 'failed'): Seed {
  return async (pool, now) => {
    await pool.query(
      `INSERT INTO notifications (idempotency_key, channel, target, subject, status, created_at)
       VALUES ($1, 'email', 'ops@example.test', 'test', $2, $3::timestamptz - interval '5 minutes')`,
      [`test/${randomUUID()}`, status, now],
    );
  };
}

const all =
  (...seeds: Seed[]): Seed =>
  async (pool, now) => {
    for (const seed of seeds) await seed(pool, now);
  };

interface Case {
  why: string;
  seed: Seed;
}

/** For every metric, against its default rule: a case where the rule fires and one where it stays quiet. */
const CASES: Record<string, { fires: Case; quiet: Case }> = {
  api_error_rate: {
    fires: { why: '10 of 40 HighLevel calls failed 10 minutes ago (25 %)', seed: calls('highlevel', 10, 40, 10) },
    quiet: { why: '1 of 40 calls failed (2.5 %)', seed: calls('highlevel', 10, 40, 1) },
  },
  sync_success_rate: {
    fires: { why: '2 of 20 sync attempts failed (90 %)', seed: syncAttempts(20, 2) },
    quiet: { why: '50 attempts, none failed', seed: syncAttempts(50, 0) },
  },
  tokens_expiring_24h: {
    fires: { why: 'a token expiring in 2 h that no refresh touched for 30 h', seed: installation(30) },
    quiet: { why: 'a token expiring in 2 h, refreshed an hour ago', seed: installation(1) },
  },
  api_quota_pct: {
    fires: { why: 'ZOHO at 20,100 of 25,000 calls today (80.4 %)', seed: callsToday('zoho', 20_100) },
    quiet: { why: 'ZOHO at 20,000 of 25,000 calls today (80 %)', seed: callsToday('zoho', 20_000) },
  },
  zoho_minute_quota_pct: {
    fires: { why: '121 ZOHO calls in one minute (80.7 % of 150)', seed: calls('zoho', 2, 121) },
    quiet: {
      why: '120 calls a minute (the budget), and a busier minute before the window',
      seed: all(calls('zoho', 1, 120), calls('zoho', 2, 120), calls('zoho', 10, 150)),
    },
  },
  rate_limit_hits: {
    fires: { why: 'one 429 three minutes ago', seed: calls('zoho', 3, 100, 1, 1) },
    quiet: {
      why: 'calls without 429s, and a 429 before the window',
      seed: all(calls('zoho', 3, 100), calls('zoho', 30, 100, 1, 1)),
    },
  },
  vendor_latency_ms: {
    fires: {
      why: 'ZOHO answering in 2.5 s on average',
      seed: probes(['zoho', 3, 'degraded', 2600], ['zoho', 8, 'degraded', 2400], ['highlevel', 3, 'healthy', 100]),
    },
    quiet: {
      why: 'fast probes; a slow one before the window; a down probe timing out',
      seed: probes(['zoho', 3, 'healthy', 300], ['zoho', 20, 'degraded', 5000], ['database', 3, 'down', 10_000]),
    },
  },
  integrations_down: {
    fires: {
      why: "ZOHO's latest probe is down",
      seed: probes(['zoho', 8, 'healthy', 100], ['zoho', 3, 'down', 10_000]),
    },
    quiet: {
      why: 'ZOHO recovered; HighLevel was down before the window',
      seed: probes(['zoho', 8, 'down', 10_000], ['zoho', 3, 'healthy', 100], ['highlevel', 40, 'down', 10_000]),
    },
  },
  webhook_failure_rate: {
    fires: { why: '3 of 20 deliveries failed (15 %)', seed: deliveries(3) },
    quiet: { why: '2 of 20 deliveries failed (10 %, not above)', seed: deliveries(2) },
  },
  notification_failures: {
    fires: { why: 'a notification failed five minutes ago', seed: notification('failed') },
    quiet: { why: 'a notification sent five minutes ago', seed: notification('sent') },
  },
};

describe('alert metrics', () => {
  let env: TestEnv;
  before(async () => {
    env = await startTestEnv({ workers: false });
  });
  after(() => env.stop());
  beforeEach(async () => {
    await env.pool.query(`TRUNCATE ${TABLES.join(', ')} CASCADE`);
  });

  /** The default rule of a metric (seeded by the migrations). */
  async function ruleOf(metric: string) {
    const { rows } = await env.pool.query<{ comparison: Comparison; threshold: string; window_minutes: number }>(
      'SELECT comparison, threshold, window_minutes FROM alert_rules WHERE metric = $1',
      [metric],
    );
    assert.equal(rows.length, 1, `one seeded rule measures ${metric}`);
    return { ...rows[0]!, threshold: Number(rows[0]!.threshold) };
  }

  /** The metric's value under its default rule's window, after `seed`, and whether the rule fires. */
  async function measure(metric: string, seed: Seed): Promise<{ value: number | null; firing: boolean }> {
    const rule = await ruleOf(metric);
    const now = new Date();
    await seed(env.pool, now);
    const value = await ALERT_METRICS[metric]!(env.pool, rule.window_minutes, now);
    return { value, firing: isFiring(value, rule.comparison, rule.threshold) };
  }

  it('has a firing and a quiet case, and a default rule, for every metric', async () => {
    assert.deepEqual(Object.keys(CASES).sort(), Object.keys(ALERT_METRICS).sort());
    for (const metric of Object.keys(ALERT_METRICS)) await ruleOf(metric);
  });

  for (const [metric, { fires, quiet }] of Object.entries(CASES)) {
    describe(metric, () => {
      it(`fires: ${fires.why}`, async () => {
        const { value, firing } = await measure(metric, fires.seed);
        assert.ok(firing, `${metric} = ${value} should fire`);
      });
      it(`stays quiet: ${quiet.why}`, async () => {
        const { value, firing } = await measure(metric, quiet.seed);
        assert.ok(!firing, `${metric} = ${value} should stay quiet`);
      });
    });
  }

  describe('API error rate: the last hour, per integration', () => {
    it('is the error-rate rule of the last 60 minutes, above 5 %, P2', async () => {
      const { rows } = await env.pool.query(
        `SELECT metric, comparison, threshold::int AS threshold, window_minutes, severity FROM alert_rules
          WHERE id = 'api-error-rate'`,
      );
      assert.deepEqual(rows, [
        { metric: 'api_error_rate', comparison: '>', threshold: 5, window_minutes: 60, severity: 'P2' },
      ]);
    });

    it('has no rate below the 20-call minimum, even when all 19 calls failed', async () => {
      const { value, firing } = await measure('api_error_rate', calls('zoho', 5, 19, 19));
      assert.deepEqual([value, firing], [null, false]);
    });

    it('counts 20 calls spread over the hour', async () => {
      const { value, firing } = await measure('api_error_rate', all(calls('zoho', 50, 10, 5), calls('zoho', 5, 10, 0)));
      assert.deepEqual([value, firing], [25, true]);
    });

    it('leaves out failures older than the window', async () => {
      const { value, firing } = await measure(
        'api_error_rate',
        all(calls('zoho', 90, 100, 50), calls('zoho', 10, 40, 0)),
      );
      assert.deepEqual([value, firing], [0, false]);
    });

    it("fires for one integration's rate however many successes another has", async () => {
      const { value, firing } = await measure(
        'api_error_rate',
        all(calls('zoho', 10, 30, 6), calls('highlevel', 10, 10_000, 0)),
      );
      assert.deepEqual([value, firing], [20, true]);
    });

    it('reads the calls the vendor clients count', async () => {
      for (let i = 0; i < 20; i++) {
        await countApiCall(env.pool, env.log, 'highlevel', { calls: 1, rateLimitHits: 0, errors: i < 2 ? 1 : 0 });
      }
      const value = await ALERT_METRICS.api_error_rate!(env.pool, 60, new Date(Date.now() + 1000));
      assert.equal(value, 10);
    });
  });

  it('fires through the monitor activity with the default rules', async () => {
    await calls('highlevel', 10, 40, 10)(env.pool, new Date());
    const evaluations: AlertEvaluation[] = await createAlertActivities(env).evaluateAlertRules({
      runId: `test-${randomUUID()}`,
    });
    const byRule = Object.fromEntries(evaluations.map((e) => [e.ruleId, e]));
    assert.deepEqual([byRule['api-error-rate']?.state, byRule['api-error-rate']?.value], ['firing', 25]);
    assert.equal(byRule['rate-limit-hits']?.state, 'cleared');
  });
});
