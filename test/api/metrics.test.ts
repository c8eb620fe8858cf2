import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { freePort } from '../../src/dev/ports.js';
import { createLogger } from '../../src/logger.js';
import { installRuntimeLogger } from '../../src/worker.js';
import { eventually, startTestEnv, type TestEnv } from '../harness.js';

describe('GET /metrics', () => {
  let env: TestEnv;
  before(async () => {
    // This process's SDK runtime serves its metrics on a free port; the API merges them into /metrics.
    const port = await freePort();
    installRuntimeLogger(createLogger('warn'), 'warn', `127.0.0.1:${port}`);
    env = await startTestEnv({ api: true, env: { OPSFLOW_SDK_METRICS_URL: `http://127.0.0.1:${port}/metrics` } });
  });
  after(() => env.stop());

  const scrape = async () => {
    const res = await env.api!.request<string>('GET', '/metrics', { token: env.api!.viewerToken });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /text\/plain/);
    return res.body;
  };

  it('counts requests, latency and errors by route template and status', async () => {
    const api = env.api!;
    await api.request('GET', '/health', { token: null });
    await api.request('POST', '/runbooks/monitor/runs');
    await api.request('GET', '/runbooks/runs/runbook-monitor-none');
    await api.request('GET', '/runbooks/runs/x', { token: null });
    const text = await scrape();
    assert.match(text, /opsflow_api_requests_total\{method="GET",route="\/health",status="200"\} 1/);
    assert.match(text, /opsflow_api_requests_total\{method="POST",route="\/runbooks\/:kind\/runs",status="202"\} 1/);
    assert.match(text, /opsflow_api_errors_total\{method="GET",route="\/runbooks\/runs\/:id",status="404"\} 1/);
    assert.match(text, /opsflow_api_errors_total\{method="GET",route="\/runbooks\/runs\/:id",status="401"\} 1/);
    assert.match(
      text,
      /opsflow_api_request_duration_seconds_bucket\{le="0.1",method="GET",route="\/health",status="200"\}/,
    );
    assert.match(text, /opsflow_api_process_resident_memory_bytes/);
    assert.doesNotMatch(text, /runbook-monitor-none/, 'raw ids never become labels');
  });

  it('includes the Temporal SDK runtime metrics of the worker', async () => {
    const text = await eventually(async () => {
      const t = await scrape();
      return /^temporal_\w+/m.test(t) ? t : undefined;
    });
    assert.match(text, /opsflow_sdk_metrics_up 1/);
    assert.match(text, /temporal_worker_task_slots_available|temporal_num_pollers|temporal_request/);
  });

  it('needs a token', async () => {
    const res = await env.api!.request('GET', '/metrics', { token: null });
    assert.equal(res.status, 401);
  });
});
