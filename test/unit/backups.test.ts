import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { countDifferences, withDatabase } from '../../src/backups/backup.js';
import { findPgTools, majorOf, PgToolsError } from '../../src/backups/pg-tools.js';
import { retainedBackups, type RetainableBackup } from '../../src/backups/policy.js';
import { createLogger } from '../../src/logger.js';

/** One verified backup a night at 02:00 UTC from `first` to `last` (inclusive), ids are the dates. */
function nightly(first: string, last: string): RetainableBackup[] {
  const out: RetainableBackup[] = [];
  for (let t = Date.parse(`${first}T02:00:00Z`); t <= Date.parse(`${last}T02:00:00Z`); t += 86_400_000) {
    out.push({ id: new Date(t).toISOString().slice(0, 10), startedAt: new Date(t) });
  }
  return out;
}

describe('backup retention', () => {
  it('keeps the newest of each of the last 7 days and of the last 4 weeks (weeks from Monday)', () => {
    // 2026-12-03 is a Thursday; a manual backup at 10:00 is that day's newest.
    const backups = [
      ...nightly('2026-11-01', '2026-12-03'),
      { id: 'manual', startedAt: new Date('2026-12-03T10:00:00Z') },
    ];
    const keep = retainedBackups(backups, { daily: 7, weekly: 4, timeZone: 'UTC' });
    assert.deepEqual(
      [...keep].sort(),
      // days: Dec 3 (manual), Dec 2 … Nov 27; weeks: Nov 30–Dec 6 (manual), Nov 23–29 (Nov 29), Nov 16–22, Nov 9–15
      [
        '2026-11-15',
        '2026-11-22',
        '2026-11-27',
        '2026-11-28',
        '2026-11-29',
        '2026-11-30',
        '2026-12-01',
        '2026-12-02',
        'manual',
      ],
    );
  });

  it('counts periods among verified backups, so missed nights push nothing out', () => {
    // Verified backups on 9 scattered days over two months: the 7 newest days all stay.
    const days = [
      '2026-10-01',
      '2026-10-20',
      '2026-11-02',
      '2026-11-10',
      '2026-11-11',
      '2026-11-20',
      '2026-11-21',
      '2026-12-01',
      '2026-12-03',
    ];
    const backups = days.map((d) => ({ id: d, startedAt: new Date(`${d}T02:00:00Z`) }));
    const keep = retainedBackups(backups, { daily: 7, weekly: 0, timeZone: 'UTC' });
    assert.deepEqual([...keep].sort(), days.slice(2));
  });

  it('counts days in the configured time zone', () => {
    // 02:00 UTC on Dec 3 is still Dec 2 in New York: one day, whose newest backup is kept.
    const backups = [
      { id: 'dec2-morning', startedAt: new Date('2026-12-02T15:00:00Z') },
      { id: 'dec2-night', startedAt: new Date('2026-12-03T02:00:00Z') },
      { id: 'dec1', startedAt: new Date('2026-12-01T15:00:00Z') },
    ];
    assert.deepEqual(
      [...retainedBackups(backups, { daily: 1, weekly: 0, timeZone: 'America/New_York' })],
      ['dec2-night'],
    );
    assert.deepEqual([...retainedBackups(backups, { daily: 2, weekly: 0, timeZone: 'America/New_York' })].sort(), [
      'dec1',
      'dec2-night',
    ]);
    assert.equal(retainedBackups(backups, { daily: 2, weekly: 0, timeZone: 'UTC' }).has('dec1'), false);
  });

  it('always keeps the newest verified backup, and keeps nothing of an empty list', () => {
    const backups = nightly('2026-11-01', '2026-11-05');
    assert.deepEqual([...retainedBackups(backups, { daily: 1, weekly: 0, timeZone: 'UTC' })], ['2026-11-05']);
    assert.equal(retainedBackups([], { daily: 7, weekly: 4, timeZone: 'UTC' }).size, 0);
  });
});

describe('restore checks', () => {
  it('names every table whose count differs or that exists on one side only', () => {
    assert.deepEqual(countDifferences({ 'public.a': 1, 'public.b': 2 }, { 'public.a': 1, 'public.b': 2 }), []);
    assert.deepEqual(countDifferences({ 'public.a': 3, 'public.b': 2 }, { 'public.a': 2, 'public.c': 0 }), [
      'public.a: 3 → 2',
      'public.b: 2 → absent',
      'public.c: absent → 0',
    ]);
  });

  it('points a connection URL at another database, keeping user, password, host and options', () => {
    assert.equal(
      withDatabase('postgres://ops:s%40cret@db.internal:5433/opsflow?sslmode=require', 'opsflow_verify_1'),
      'postgres://ops:s%40cret@db.internal:5433/opsflow_verify_1?sslmode=require',
    );
  });
});

describe('finding pg_dump and pg_restore', () => {
  const dirs: string[] = [];
  after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
  const log = createLogger('error');

  /** A directory whose pg_dump and pg_restore print the given versions (what a real client install answers). */
  function clientDir(dumpVersion: string, restoreVersion = dumpVersion): string {
    const dir = mkdtempSync(join(tmpdir(), 'opsflow-pgbin-'));
    dirs.push(dir);
    for (const [tool, version] of [
      ['pg_dump', dumpVersion],
      ['pg_restore', restoreVersion],
    ] as const) {
      writeFileSync(join(dir, tool), `#!/bin/sh\necho "${tool} (PostgreSQL) ${version}"\n`);
      chmodSync(join(dir, tool), 0o755);
    }
    return dir;
  }

  it('reads the major version of release and distribution builds', () => {
    assert.equal(majorOf('pg_dump (PostgreSQL) 18.6'), 18);
    assert.equal(majorOf('pg_dump (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)'), 15);
    assert.equal(majorOf('pg_dump (PostgreSQL) 19devel'), 19);
    assert.equal(majorOf('something else'), undefined);
  });

  it('uses OPSFLOW_PG_BIN_DIR when it is of the server major or newer', async () => {
    const dir = clientDir('18.6');
    const tools = await findPgTools({ binDir: dir, cacheDir: dir, serverMajor: 16, log });
    assert.deepEqual([tools.how, tools.major, tools.pgDump], ['OPSFLOW_PG_BIN_DIR', 18, join(dir, 'pg_dump')]);
  });

  it('refuses an OPSFLOW_PG_BIN_DIR older than the server, naming both versions', async () => {
    const dir = clientDir('15.18 (Debian 15.18-0+deb12u1)');
    await assert.rejects(
      findPgTools({ binDir: dir, cacheDir: dir, serverMajor: 18, log }),
      (err: Error) => err instanceof PgToolsError && /15\.18/.test(err.message) && /PostgreSQL 18/.test(err.message),
    );
  });

  it('refuses a pg_dump and pg_restore of different majors', async () => {
    const dir = clientDir('18.6', '15.18');
    await assert.rejects(findPgTools({ binDir: dir, cacheDir: dir, serverMajor: 15, log }), /no working pg_dump/);
  });
});
