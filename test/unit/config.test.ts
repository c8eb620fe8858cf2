import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadCliConfig, loadConfig, taskQueuesFor } from '../../src/config.js';

describe('configuration', () => {
  it('applies the documented defaults to an empty environment', () => {
    const config = loadConfig({});
    assert.equal(config.api.port, 3000);
    assert.equal(config.temporal.address, '127.0.0.1:7233');
    assert.equal(config.temporal.embedded, true);
    assert.equal(config.temporal.uiPort, 8233);
    assert.equal(config.temporal.namespace, 'default');
    assert.equal(config.database.url, undefined);
    assert.equal(config.demo, true);
    assert.equal(config.api.generateToken, true);
    assert.deepEqual(config.taskQueues, { main: 'opsflow', highlevel: 'highlevel', zoho: 'zoho' });
  });

  it('names the variable and what it expects when a value is malformed', () => {
    assert.throws(
      () => loadConfig({ OPSFLOW_PORT: 'abc' }),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        assert.match(err.message, /OPSFLOW_PORT: expected a port number/);
        assert.match(err.message, /"abc"/);
        return true;
      },
    );
  });

  it('reads the vendor call budget and queue limits, refusing values that are not positive numbers', () => {
    const defaults = loadConfig({});
    assert.equal(defaults.zoho.callsPerMinute, 120);
    assert.deepEqual(defaults.queueLimits, { highlevel: 8, zoho: 2 });
    const raised = loadConfig({
      ZOHO_CALLS_PER_MINUTE: '6000',
      ZOHO_QUEUE_ACTIVITIES_PER_SECOND: '1000',
      HIGHLEVEL_QUEUE_ACTIVITIES_PER_SECOND: '50',
    });
    assert.equal(raised.zoho.callsPerMinute, 6000);
    assert.deepEqual(raised.queueLimits, { highlevel: 50, zoho: 1000 });
    assert.throws(
      () => loadConfig({ ZOHO_CALLS_PER_MINUTE: 'fast', ZOHO_QUEUE_ACTIVITIES_PER_SECOND: '0' }),
      (err: Error) => {
        assert.match(err.message, /ZOHO_CALLS_PER_MINUTE: expected a number of calls per minute \(got "fast"\)/);
        assert.match(
          err.message,
          /ZOHO_QUEUE_ACTIVITIES_PER_SECOND: expected a positive number of activities per second/,
        );
        return true;
      },
    );
  });

  it('reports every bad variable at once and never echoes a secret', () => {
    assert.throws(
      () =>
        loadConfig({ OPSFLOW_PORT: '70000', OPSFLOW_TIMEZONE: 'Mars/Base', OPSFLOW_ENCRYPTION_KEY: 'short-secret' }),
      (err: Error) => {
        assert.match(err.message, /OPSFLOW_PORT/);
        assert.match(err.message, /OPSFLOW_TIMEZONE: expected an IANA time zone/);
        assert.match(err.message, /OPSFLOW_ENCRYPTION_KEY: expected 32 bytes/);
        assert.doesNotMatch(err.message, /short-secret/);
        return true;
      },
    );
  });

  it('uses a given Temporal cluster and database instead of starting its own', () => {
    const config = loadConfig({
      TEMPORAL_ADDRESS: 'temporal.internal:7233',
      TEMPORAL_NAMESPACE: 'ops',
      TEMPORAL_API_KEY: 'k',
      DATABASE_URL: 'postgres://u:p@db:5432/opsflow',
    });
    assert.equal(config.temporal.embedded, false);
    assert.equal(config.temporal.address, 'temporal.internal:7233');
    assert.equal(config.temporal.namespace, 'ops');
    assert.equal(config.temporal.connect.connectionOptions.apiKey, 'k');
    assert.equal(config.database.url, 'postgres://u:p@db:5432/opsflow');
  });

  it('rejects a database URL that is not PostgreSQL', () => {
    assert.throws(
      () => loadConfig({ DATABASE_URL: 'mysql://x@y/z' }),
      /DATABASE_URL: expected a postgres:\/\/ connection URL/,
    );
  });

  it('leaves the log format to the logger unless OPSFLOW_LOG_FORMAT names one', () => {
    assert.equal(loadConfig({}).logFormat, undefined);
    assert.equal(loadConfig({ OPSFLOW_LOG_FORMAT: 'json' }).logFormat, 'json');
    assert.throws(() => loadConfig({ OPSFLOW_LOG_FORMAT: 'text' }), /OPSFLOW_LOG_FORMAT: expected json or pretty/);
  });

  it('serves the SDK metrics in demo mode, so GET /metrics carries them; otherwise only where configured', () => {
    assert.deepEqual(loadConfig({}).metrics, {
      sdkBind: '127.0.0.1:9464',
      sdkUrl: 'http://127.0.0.1:9464/metrics',
    });
    const production = {
      HIGHLEVEL_CLIENT_ID: 'hl',
      HIGHLEVEL_CLIENT_SECRET: 'hl-secret',
      ZOHO_CLIENT_ID: 'zoho',
      ZOHO_CLIENT_SECRET: 'zoho-secret',
      ZOHO_REFRESH_TOKEN: 'zoho-refresh',
      ZOHO_ORGANIZATION_ID: '1',
      OPSFLOW_API_TOKEN: 'operator-token-0123456789',
    };
    assert.deepEqual(loadConfig(production).metrics, { sdkBind: undefined, sdkUrl: undefined });
    assert.deepEqual(loadConfig({ ...production, OPSFLOW_SDK_METRICS_BIND: '0.0.0.0:9470' }).metrics, {
      sdkBind: '0.0.0.0:9470',
      sdkUrl: 'http://127.0.0.1:9470/metrics',
    });
  });

  it('derives task queues from the prefix', () => {
    assert.deepEqual(taskQueuesFor('t-1-'), { main: 't-1-opsflow', highlevel: 't-1-highlevel', zoho: 't-1-zoho' });
  });

  it('gives the operator CLI the API address and token, and names a malformed address', () => {
    const cli = loadCliConfig({ OPSFLOW_API_URL: 'https://ops.example.com/', OPSFLOW_API_TOKEN: 't0ken' });
    assert.equal(cli.apiUrl, 'https://ops.example.com');
    assert.equal(cli.token, 't0ken');
    const demo = loadCliConfig({ OPSFLOW_DATA_DIR: 'demo-data' });
    assert.equal(demo.apiUrl, 'http://127.0.0.1:3000');
    assert.equal(demo.token, undefined);
    assert.match(demo.tokenFile, /demo-data[\\/]api-token$/);
    assert.throws(
      () => loadCliConfig({ OPSFLOW_API_URL: 'localhost:3000' }),
      (err: Error) => err instanceof ConfigError && /OPSFLOW_API_URL/.test(err.message),
    );
  });
});
