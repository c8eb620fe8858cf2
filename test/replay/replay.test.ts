import proto from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { testStack } from '../harness.js';
import { REPLAY_CASES } from './cases.js';

const DIR = new URL('../fixtures/histories/', import.meta.url);
const { History } = proto.temporal.api.history.v1;

describe('replay of recorded histories against today’s workflow code', () => {
  const fixtures = readdirSync(DIR).filter((f) => f.endsWith('.json'));

  it('has a fixture for every replay case', () => {
    for (const c of REPLAY_CASES) {
      const file = `${c.workflow}-${c.name}.json`;
      assert.ok(existsSync(new URL(file, DIR)), `missing ${file}: run npx tsx scripts/record-histories.ts`);
    }
  });

  it('replays every fixture, old ones included, without non-determinism', async () => {
    assert.ok(fixtures.length >= 1);
    const histories = fixtures.map((file) => ({
      workflowId: file.replace(/\.json$/, ''),
      history: History.fromObject(JSON.parse(readFileSync(new URL(file, DIR), 'utf8'))),
    }));
    const results = Worker.runReplayHistories(
      { workflowBundle: { codePath: testStack().workflowBundlePath } },
      histories,
    );
    const failed: string[] = [];
    let replayed = 0;
    for await (const result of results) {
      replayed++;
      if (result.error) failed.push(`${result.workflowId}: ${result.error.message}`);
    }
    assert.equal(replayed, fixtures.length);
    assert.deepEqual(failed, []);
  });
});
