import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { eventually, startTestEnv, type TestEnv } from '../harness.js';
import { documentedOperations, type Operation } from './openapi-operations.js';

describe('role matrix over every documented route', () => {
  let env: TestEnv;
  let ops: Operation[];
  before(async () => {
    // No workers: refusals happen before anything would be started.
    env = await startTestEnv({ api: true, workers: false });
    ops = await documentedOperations(env.api!.url);
  });
  after(() => env.stop());

  const call = (op: Operation, token: string | null) =>
    env.api!.request<{ error?: { code: string } }>(op.method, op.path, {
      token,
      body: op.body ? (op.exampleBody ?? {}) : undefined,
    });
  /** Waits until each refused call has written its (unawaited) security event. */
  const eventuallySecurityEvents = (type: string, count: number) =>
    eventually(
      async () => {
        const { rows } = await env.pool.query('SELECT count(*)::int AS n FROM security_events WHERE type = $1', [type]);
        return rows[0].n === count;
      },
      10_000,
      `${count} ${type} events, one per refused call`,
    );

  it('refuses every protected call without a token with 401', async () => {
    const protectedOps = ops.filter((op) => !op.public);
    assert.ok(protectedOps.length >= 5, 'the document lists the protected routes');
    for (const op of protectedOps) {
      const res = await call(op, null);
      assert.equal(res.status, 401, `${op.method} ${op.template} without a token answered ${res.status}`);
      assert.equal(res.body.error?.code, 'unauthorized');
    }
    await eventuallySecurityEvents('auth.token_missing', protectedOps.length);
  });

  it('refuses every call that is not a GET to a viewer with 403', async () => {
    const mutating = ops.filter((op) => !op.public && op.method !== 'GET');
    assert.ok(mutating.length >= 3, 'the document lists mutating routes');
    for (const op of mutating) {
      const res = await call(op, env.api!.viewerToken);
      assert.equal(res.status, 403, `${op.method} ${op.template} as viewer answered ${res.status}`);
      assert.equal(res.body.error?.code, 'forbidden');
    }
    const { rows } = await env.pool.query(`SELECT count(*)::int AS n FROM api_audit_log WHERE role = 'viewer'`);
    assert.ok(rows[0].n >= mutating.length, 'each refused attempt is audited');
    await eventuallySecurityEvents('auth.role_forbidden', mutating.length);
  });

  it('lets a viewer read every GET route (no 401 or 403)', async () => {
    for (const op of ops.filter((o) => o.method === 'GET' && !o.public)) {
      const res = await call(op, env.api!.viewerToken);
      assert.ok(![401, 403].includes(res.status), `${op.method} ${op.template} as viewer answered ${res.status}`);
    }
  });

  it('keeps the public routes free of the bearer token check', async () => {
    for (const op of ops.filter((o) => o.public)) {
      const res = await env.api!.request<{ error?: { message: string } }>(op.method, op.path, { token: null });
      // A public route may still refuse on its own terms (a webhook's signature), never for want of a token.
      assert.doesNotMatch(
        res.body.error?.message ?? '',
        /bearer token/i,
        `${op.method} ${op.template} asked for a token`,
      );
    }
  });
});
