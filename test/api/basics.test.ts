import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { eventually, startTestEnv, type TestEnv } from '../harness.js';

interface ErrorBody {
  error: { code: string; message: string; details?: { fields?: Array<{ field: string }> } };
}

describe('HTTP API basics', () => {
  let env: TestEnv;
  before(async () => {
    env = await startTestEnv({ api: true });
  });
  after(() => env.stop());

  it('answers GET /health without a token, with Temporal and database checks', async () => {
    const res = await env.api!.request<{ status: string; checks: Record<string, { status: string }> }>(
      'GET',
      '/health',
      {
        token: null,
      },
    );
    assert.equal(res.status, 200);
    assert.equal(res.body.status, 'ok');
    assert.equal(res.body.checks.temporal?.status, 'ok');
    assert.equal(res.body.checks.database?.status, 'ok');
  });

  it('refuses a call without a token with 401 in the error format', async () => {
    const res = await env.api!.request<ErrorBody>('POST', '/runbooks/monitor/runs', { token: null });
    assert.equal(res.status, 401);
    assert.equal(res.body.error.code, 'unauthorized');
    assert.match(res.body.error.message, /bearer token/i);
  });

  it('refuses an unknown token with 401', async () => {
    const res = await env.api!.request<ErrorBody>('GET', '/runbooks/runs/x', { token: 'not-a-real-token-at-all' });
    assert.equal(res.status, 401);
    assert.equal(res.body.error.code, 'unauthorized');
  });

  it('lets a viewer read but not mutate', async () => {
    const res = await env.api!.request<ErrorBody>('POST', '/runbooks/monitor/runs', { token: env.api!.viewerToken });
    assert.equal(res.status, 403);
    assert.equal(res.body.error.code, 'forbidden');
  });

  it('answers an unknown route with 404 in the error format', async () => {
    const res = await env.api!.request<ErrorBody>('GET', '/no/such/route');
    assert.equal(res.status, 404);
    assert.equal(res.body.error.code, 'not_found');
  });

  it('names the bad path parameter with a 400', async () => {
    const res = await env.api!.request<ErrorBody>('POST', '/runbooks/yearly/runs');
    assert.equal(res.status, 400);
    assert.equal(res.body.error.code, 'validation_failed');
    assert.deepEqual(
      res.body.error.details?.fields?.map((f) => f.field),
      ['param.kind'],
    );
  });

  it('starts the monitor, reads its state, and audits the call', async () => {
    const started = await env.api!.request<{ id: string; workflowId: string }>('POST', '/runbooks/monitor/runs');
    assert.equal(started.status, 202);
    assert.match(started.body.workflowId, /^runbook-monitor-/);
    const run = await eventually(async () => {
      const res = await env.api!.request<{
        status: string;
        health?: string;
        steps: Array<{ name: string; status: string }>;
      }>('GET', `/runbooks/runs/${started.body.id}`, {
        token: env.api!.viewerToken,
      });
      return res.status === 200 && res.body.status === 'completed' ? res.body : undefined;
    });
    assert.ok(run.health, 'the finished run reports its health');
    for (const name of ['database', 'temporal']) {
      assert.equal(run.steps.find((s) => s.name === name)?.status, 'ok', `${name} step`);
    }
    const { rows } = await env.pool.query('SELECT role, method, path, status FROM api_audit_log WHERE path = $1', [
      '/runbooks/monitor/runs',
    ]);
    assert.ok(rows.some((r) => r.status === 202 && r.role === 'operator' && r.method === 'POST'));
    assert.ok(rows.some((r) => r.status === 403 && r.role === 'viewer'));
  });

  it('returns the same run for a repeated Idempotency-Key', async () => {
    const headers = { 'idempotency-key': `key-${Date.now()}` };
    const first = await env.api!.request<{ id: string }>('POST', '/runbooks/monitor/runs', { headers });
    const second = await env.api!.request<{ id: string }>('POST', '/runbooks/monitor/runs', { headers });
    assert.equal(first.status, 202);
    assert.equal(second.body.id, first.body.id);
  });

  it('answers 404 for a run that does not exist', async () => {
    const res = await env.api!.request<ErrorBody>('GET', '/runbooks/runs/runbook-monitor-nope');
    assert.equal(res.status, 404);
  });

  it('serves an OpenAPI 3 document generated from the schemas', async () => {
    const res = await env.api!.request<{ openapi: string; paths: Record<string, unknown> }>('GET', '/openapi.json', {
      token: null,
    });
    assert.equal(res.status, 200);
    assert.match(res.body.openapi, /^3\./);
    assert.ok(res.body.paths['/runbooks/{kind}/runs']);
    assert.ok(res.body.paths['/health']);
  });
});
