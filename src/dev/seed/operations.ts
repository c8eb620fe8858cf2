import type { Seeder } from './types.js';

/** A small deterministic generator (mulberry32), so the demo history is the same for a given scale. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ENTITIES = ['customers', 'subscriptions', 'invoices', 'payments'];
const DAY = 86_400_000;

/**
 * Operational history for the runbooks and the monitor to work on: 35 days of ZOHO sync attempts, 70 days of API
 * usage, health checks (some past retention), a few alert events and resolved incidents, and sessions and OTP
 * codes of which some have expired. Times are relative to now, so the daily, weekly and monthly windows always
 * have data. Runs last: it reads nothing the others write.
 *
 * @example
 * const counts = await seedOperations({ pool, config, log, simulators: {} });
 */
export const seedOperations: Seeder = async ({ pool, config }) => {
  const rnd = random(20261122 + config.demoScale);
  const scale = config.demoScale;
  const now = Date.now();
  const at = (msAgo: number) => new Date(now - msAgo).toISOString();

  const sync: Array<[string, number, string, string | null, number, string]> = [];
  for (let day = 0; day < 35; day++) {
    for (const entity of ENTITIES) {
      const attempts = Math.round((10 + rnd() * 10) * scale);
      for (let i = 0; i < attempts; i++) {
        const failed = rnd() < (day < 7 ? 0.03 : 0.015);
        sync.push([
          entity,
          1 + Math.floor(rnd() * 500 * scale),
          failed ? 'failed' : rnd() < 0.7 ? 'created' : 'updated',
          failed ? (rnd() < 0.5 ? 'rate_limited' : 'validation') : null,
          Math.round(150 + rnd() * (failed ? 6000 : 2500)),
          at(day * DAY + Math.floor(rnd() * DAY)),
        ]);
      }
    }
  }
  await pool.query(
    `INSERT INTO zoho_sync_logs (entity, record_id, outcome, error_class, duration_ms, created_at, run_id)
     SELECT e, r, o, c, d, t, 'demo-seed' FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::int[], $6::timestamptz[])
       AS x(e, r, o, c, d, t)`,
    [0, 1, 2, 3, 4, 5].map((k) => sync.map((row) => row[k])),
  );

  let usage = 0;
  for (let day = 0; day < 70; day++) {
    for (const [integration, base] of [
      ['highlevel', 4000],
      ['zoho', 1800],
    ] as const) {
      const calls = Math.round(base * scale * (0.8 + rnd() * 0.4));
      const { rowCount } = await pool.query(
        `INSERT INTO api_usage (integration, day, calls, errors, rate_limit_hits)
         VALUES ($1, (now() - make_interval(days => $2))::date, $3, $4, $5) ON CONFLICT DO NOTHING`,
        [integration, day, calls, Math.round(calls * rnd() * 0.02), rnd() < 0.1 ? Math.ceil(rnd() * 5) : 0],
      );
      usage += rowCount ?? 0;
    }
  }

  const health: Array<[string, string, number, string]> = [];
  for (const hoursAgo of [...Array.from({ length: 72 }, (_, h) => h + 1), 24 * 40, 24 * 45, 24 * 60]) {
    for (const integration of ['database', 'temporal', 'highlevel', 'zoho']) {
      const status = rnd() < 0.97 ? 'healthy' : rnd() < 0.5 ? 'degraded' : 'down';
      health.push([integration, status, Math.round(5 + rnd() * 300), at(hoursAgo * 3_600_000)]);
    }
  }
  await pool.query(
    `INSERT INTO integration_health_logs (integration, status, latency_ms, checked_at)
     SELECT * FROM unnest($1::text[], $2::text[], $3::int[], $4::timestamptz[])`,
    [0, 1, 2, 3].map((k) => health.map((row) => row[k])),
  );

  const alerts: Array<[string, string, number, string]> = [
    ['sync-success-rate', 'firing', 96.4, at(9 * DAY)],
    ['sync-success-rate', 'cleared', 99.1, at(9 * DAY - 3_600_000)],
    ['webhook-failure-rate', 'firing', 14.2, at(3 * DAY)],
    ['webhook-failure-rate', 'cleared', 4.0, at(3 * DAY - 7_200_000)],
    ['api-error-rate', 'firing', 6.3, at(2 * DAY)],
    ['api-error-rate', 'cleared', 1.2, at(2 * DAY - 5_400_000)],
  ];
  await pool.query(
    `INSERT INTO alert_events (rule_id, state, value, created_at)
     SELECT * FROM unnest($1::text[], $2::text[], $3::numeric[], $4::timestamptz[])`,
    [0, 1, 2, 3].map((k) => alerts.map((row) => row[k])),
  );

  const incidents = [
    ['demo-sync-rate', 'ZOHO sync success rate below 98 %', 'P2', 9 * DAY, 'sync-success-rate'],
    ['demo-webhooks', 'Webhook delivery failure rate above 10 %', 'P3', 3 * DAY, 'webhook-failure-rate'],
    ['demo-api-errors', 'API error rate above 5 %', 'P2', 2 * DAY, 'api-error-rate'],
  ] as const;
  for (const [id, title, severity, ago, rule] of incidents) {
    await pool.query(
      `INSERT INTO incidents (id, workflow_id, dedup_key, title, source, severity, status, opened_at, acknowledged_at,
                              resolved_at, last_seen_at, timeline)
       VALUES ($1, $2, $3, $4, 'monitor', $5, 'resolved', $6, $7, $8, $6, '[]') ON CONFLICT DO NOTHING`,
      [id, `incident-${id}`, rule, title, severity, at(ago), at(ago - 600_000), at(ago - 3_600_000)],
    );
  }

  const sessions: Array<[string, string, string, string]> = [];
  const otps: Array<[string, string, string, string]> = [];
  for (let i = 0; i < 40 * scale; i++) {
    const expired = i % 3 !== 0;
    const created = expired ? (2 + rnd() * 60) * DAY : rnd() * DAY;
    sessions.push([`demo-session-${i}`, `user-${i % 17}`, at(expired ? created - DAY : -7 * DAY), at(created)]);
    // Every other code is older than the 7-day retention of OTP codes.
    const otpAge = (i % 2 ? 8 + rnd() * 30 : rnd()) * DAY;
    otps.push([`user-${i % 17}`, `demo-hash-${i}`, at(otpAge - 600_000), at(otpAge)]);
  }
  await pool.query(
    `INSERT INTO user_sessions (id, user_id, expires_at, created_at)
     SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::timestamptz[]) ON CONFLICT DO NOTHING`,
    [0, 1, 2, 3].map((k) => sessions.map((row) => row[k])),
  );
  await pool.query(
    `INSERT INTO otp_codes (user_id, code_hash, expires_at, created_at)
     SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::timestamptz[])`,
    [0, 1, 2, 3].map((k) => otps.map((row) => row[k])),
  );

  return {
    syncLogs: sync.length,
    apiUsageDays: usage,
    healthChecks: health.length,
    alertEvents: alerts.length,
    incidents: incidents.length,
    sessions: sessions.length,
    otpCodes: otps.length,
  };
};
