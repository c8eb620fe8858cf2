import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Report } from '../../src/reports/types.js';
import { eventually } from '../harness.js';
import { seedHistory, startRunbookEnv, type RunbookEnv } from '../workflow/runbook-fixtures.js';

interface Run {
  id: string;
  status: string;
  health?: string;
  steps: Array<{ name: string; status: string; durationMs: number; summary: string }>;
  reportId?: string;
}

describe('runbook and report API', () => {
  let r: RunbookEnv;
  before(async () => {
    r = await startRunbookEnv({ api: true });
    await seedHistory(r.env);
  });
  after(() => r.stop());

  it('starts a daily run, reads its steps and verdict, and serves its report as JSON, HTML and Markdown', async () => {
    const api = r.env.api!;
    const started = await api.request<{ id: string; workflowId: string }>('POST', '/runbooks/daily/runs', {
      headers: { 'idempotency-key': `daily-api-${Date.now()}` },
    });
    assert.equal(started.status, 202);
    assert.match(started.body.workflowId, /^runbook-daily-/);

    const run = await eventually(async () => {
      const res = await api.request<Run>('GET', `/runbooks/runs/${started.body.id}`, { token: api.viewerToken });
      return res.body.status === 'completed' ? res.body : undefined;
    }, 30_000);
    assert.match(run.health ?? '', /^(HEALTHY|DEGRADED|UNHEALTHY)$/);
    assert.equal(run.steps.length, 6);
    assert.ok(run.reportId);

    const list = await api.request<{ reports: Array<{ id: string; kind: string; health: string }> }>(
      'GET',
      '/reports?kind=daily',
    );
    assert.equal(list.status, 200);
    assert.deepEqual(
      list.body.reports.map((x) => [x.id, x.kind, x.health]),
      [[run.reportId, 'daily', run.health]],
    );
    const weekly = await api.request<{ reports: unknown[] }>('GET', '/reports?kind=weekly');
    assert.deepEqual(weekly.body.reports, []);

    const json = await api.request<Report>('GET', `/reports/${run.reportId}`, {
      headers: { accept: 'application/json' },
    });
    assert.equal(json.body.id, run.reportId);
    assert.equal(json.body.health, run.health);
    assert.deepEqual(
      json.body.steps.map((s) => s.name),
      run.steps.map((s) => s.name),
    );
    const html = await api.request<string>('GET', `/reports/${run.reportId}`, { headers: { accept: 'text/html' } });
    assert.match(html.headers.get('content-type') ?? '', /text\/html/);
    assert.match(html.body, /^<!doctype html>/);
    assert.match(html.body, new RegExp(`Verdict: <b[^>]*>${run.health}</b>`));
    const md = await api.request<string>('GET', `/reports/${run.reportId}`, {
      headers: { accept: 'text/markdown, text/html;q=0.5' },
    });
    assert.match(md.headers.get('content-type') ?? '', /text\/markdown/);
    assert.match(md.body, new RegExp(`\\*\\*Verdict: ${run.health}\\*\\*`));

    // The same Idempotency-Key answers the same run instead of starting another.
    const again = await api.request<{ id: string }>('POST', '/runbooks/daily/runs', {
      headers: { 'idempotency-key': started.body.id.replace('runbook-daily-', '') },
    });
    assert.equal(again.body.id, started.body.id);
  });

  it('answers 404 for an unknown report and 400 naming a bad kind', async () => {
    const api = r.env.api!;
    const missing = await api.request<{ error: { code: string } }>('GET', '/reports/report-daily-none');
    assert.equal(missing.status, 404);
    assert.equal(missing.body.error.code, 'not_found');
    const bad = await api.request<{ error: { message: string } }>('GET', '/reports?kind=yearly');
    assert.equal(bad.status, 400);
    assert.match(bad.body.error.message, /query\.kind/);
  });
});
