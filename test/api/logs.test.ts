import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { createInstallationWithTokens } from '../../src/dev/seed/installations.js';
import { loadKeyring } from '../../src/integrations/crypto.js';
import { createTokenStore } from '../../src/integrations/token-store.js';
import { createLogger } from '../../src/logger.js';
import { startRun } from '../../src/temporal/start.js';
import { installRuntimeLogger } from '../../src/worker.js';
import { startTestEnv, type TestEnv } from '../harness.js';

/** Every line the process logs, at debug level, SDK and workflow logs included. */
const lines: string[] = [];
const log = createLogger('debug', { write: (line: string) => void lines.push(line) });
installRuntimeLogger(log, 'debug');

describe('structured logs', () => {
  let env: TestEnv;
  const encryptionKey = randomBytes(32).toString('base64');
  before(async () => {
    env = await startTestEnv({
      api: true,
      highlevelSimulator: true,
      log,
      env: { OPSFLOW_ENCRYPTION_KEY: encryptionKey },
    });
  });
  after(() => env.stop());

  it('carries workflow and activity context and never a token, key or secret', async () => {
    const keyring = loadKeyring(env.config, env.log);
    const tokenStore = createTokenStore({ pool: env.pool, keyring, log: env.log });
    const company = `co-${randomUUID().slice(0, 8)}`;
    const create = (n: number, expiresInSeconds: number, revokedAtVendor = false) =>
      createInstallationWithTokens({
        pool: env.pool,
        tokenStore,
        simulatorUrl: env.highlevelSimulator!.url,
        fixture: {
          companyId: company,
          locationId: `${company}-loc-${n}`,
          userType: 'Location',
          expiresInSeconds,
          revokedAtVendor,
        },
      });
    await create(1, 3600);
    const revoked = await create(2, 1800, true);
    const tokens = async () => {
      const { rows } = await env.pool.query('SELECT * FROM hl_installations');
      return rows.flatMap((r) =>
        (['access', 'refresh'] as const).flatMap((field) => {
          const enc = r[`${field}_token_enc`];
          return enc ? [keyring.decrypt(enc, r.token_key_id, `hl_installations:${r.id}:${field}`)] : [];
        }),
      );
    };
    const before = await tokens();

    const workflowId = `token-refresh-logs-${randomUUID()}`;
    const { handle } = await startRun(env.client, {
      workflow: 'refreshExpiringTokens',
      workflowId,
      taskQueue: env.config.taskQueues.main,
      kind: 'token-refresh',
      summary: 'Token refresh, logs test',
      args: [{ withinSeconds: 24 * 3600 }],
    });
    await handle.result();
    // API calls with good, read-only and wrong tokens, one refused for bad input.
    const api = env.api!;
    await api.request('GET', '/health', { token: null });
    await api.request('POST', '/runbooks/monitor/runs', { token: api.viewerToken });
    await api.request('GET', '/runbooks/runs/nope', { token: 'wrong-token-that-is-long-enough' });
    await api.request('POST', '/runbooks/yearly/runs', { headers: { 'idempotency-key': 'k1' } });

    const secrets = [
      ...new Set([...before, ...(await tokens())]),
      api.operatorToken,
      api.viewerToken,
      'wrong-token-that-is-long-enough',
      encryptionKey,
      env.config.highlevel.clientSecret,
    ];
    const output = lines.join('');
    assert.ok(lines.length > 20, `expected a busy debug log, got ${lines.length} lines`);
    for (const secret of secrets) {
      assert.equal(output.includes(secret), false, `a secret (${secret.slice(0, 4)}…) appears in the log output`);
    }

    const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.ok(
      parsed.every((l) => typeof l.level === 'number' && typeof l.msg === 'string'),
      'every line is JSON',
    );
    const failure = parsed.find((l) => l.msg === 'HighLevel token refresh failed' && l.installationId === revoked);
    assert.ok(failure, 'the failed refresh is logged');
    assert.equal(failure.workflowType, 'refreshExpiringTokens');
    assert.equal(typeof failure.activityType, 'string');
    assert.ok(String(failure.workflowId).length > 0, 'an activity log line names its workflow');
    const request = parsed.find((l) => l.msg === 'request' && l.route === '/runbooks/:kind/runs' && l.status === '403');
    assert.ok(request, 'API requests are logged by route template and status');
  });
});
