/**
 * A deployment starts its worker processes and its API at once, and each applies pending migrations first: on a new
 * database they must all start, the migrations applied once, not all but one fail on the migration lock.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import pg from 'pg';
import { migrate } from '../../src/db/migrate.js';
import { ensureDatabase } from '../../src/dev/postgres.js';
import { testStack } from '../harness.js';

describe('migrations at concurrent starts', () => {
  it('applies them once while the other starts wait for the lock, and every start succeeds', async () => {
    const { adminUrl } = testStack();
    const name = `t_empty_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
    await ensureDatabase(adminUrl, name);
    const url = adminUrl.replace(/\/postgres$/, `/${name}`);

    const results = await Promise.allSettled(Array.from({ length: 5 }, () => migrate(url)));
    const failures = results.flatMap((r) => (r.status === 'rejected' ? [String(r.reason)] : []));
    assert.deepEqual(failures, [], 'no start failed');
    const applied = results.map((r) => (r.status === 'fulfilled' ? r.value.length : -1));
    assert.equal(applied.filter((n) => n > 0).length, 1, `one start applied the migrations (${applied.join(', ')})`);

    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const { rows } = await client.query<{ n: number; distinct: number }>(
        'SELECT count(*)::int AS n, count(DISTINCT name)::int AS distinct FROM pgmigrations',
      );
      assert.equal(rows[0]!.n, rows[0]!.distinct, 'no migration recorded twice');
      assert.equal(rows[0]!.n, Math.max(...applied));
    } finally {
      await client.end();
    }
  });
});
