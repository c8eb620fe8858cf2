import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestEnv, type TestEnv } from '../harness.js';

interface OpenApi {
  paths: Record<string, Record<string, { summary?: string }>>;
}

describe('GET /docs', () => {
  let env: TestEnv;
  before(async () => {
    env = await startTestEnv({ api: true, workers: false });
  });
  after(() => env.stop());

  it('serves a self-contained reference page with every documented call and an example for each', async () => {
    const res = await fetch(`${env.api!.url}/docs`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /text\/html/);
    const html = await res.text();
    assert.doesNotMatch(html, /<script|<link[^>]+href="http/i, 'no scripts and no external assets (works offline)');

    const doc = (await env.api!.request<OpenApi>('GET', '/openapi.json', { token: null })).body;
    const operations = Object.entries(doc.paths).flatMap(([path, item]) =>
      Object.keys(item).map((method) => ({ method, path })),
    );
    assert.ok(operations.length >= 4);
    for (const { method, path } of operations) {
      const id = `${method}-${path}`.replace(/[^A-Za-z0-9]+/g, '-');
      const start = html.indexOf(`id="${id}"`);
      assert.ok(start > 0, `${method.toUpperCase()} ${path} is on the page`);
      const section = html.slice(start, html.indexOf('</section>', start));
      assert.match(section, /curl -X/, `${method.toUpperCase()} ${path} has an example call`);
      assert.match(section, /<pre>/, `${method.toUpperCase()} ${path} has an example answer`);
    }
  });

  it('shows the examples given in the schemas', async () => {
    const html = await (await fetch(`${env.api!.url}/docs`)).text();
    // The runbook kind's example fills the path of the start call.
    assert.match(html, /curl -X POST &quot;\$OPSFLOW_URL\/runbooks\/(daily|weekly|monthly|monitor)\/runs&quot;/);
    assert.match(html, /&quot;code&quot;: &quot;forbidden&quot;/, 'each error status shows its own code');
    assert.match(html, /validation_failed/, 'the error example from ErrorSchema');
  });
});
