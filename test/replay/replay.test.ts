import proto from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import * as registered from '../../src/workflows/index.js';
import { testStack } from '../harness.js';
import { fixturesOf, REPLAY_CASES } from './cases.js';

const DIR = new URL('../fixtures/histories/', import.meta.url);
const { History } = proto.temporal.api.history.v1;
const RECORD = 'record it with npx tsx scripts/record-histories.ts (docs/changing-workflows.md)';

/** `<workflow>-<case>.json`, or `<workflow>-<case>.run<N>.json` for a later run of a continue-as-new chain. */
const fixtures = readdirSync(DIR)
  .filter((f) => f.endsWith('.json'))
  .map((file) => ({
    file,
    // A later run of a chain runs under the same workflow id as the first.
    workflowId: file.replace(/(\.run\d+)?\.json$/, ''),
    history: History.fromObject(JSON.parse(readFileSync(new URL(file, DIR), 'utf8')) as object),
  }));

describe('replay of recorded histories against today’s workflow code', () => {
  it('has a fixture for every replay case', () => {
    for (const c of REPLAY_CASES) {
      for (const name of fixturesOf(c))
        assert.ok(existsSync(new URL(`${name}.json`, DIR)), `missing ${name}: ${RECORD}`);
    }
  });

  it('has a fixture for every workflow the worker registers', () => {
    // Workflow functions among the exports (queries and updates are definitions, not functions).
    const workflows = Object.entries(registered)
      .filter(([, v]) => typeof v === 'function')
      .map(([name]) => name);
    assert.ok(workflows.includes('escalateIncident'));
    const recorded = new Set(
      fixtures.map((f) => f.history.events[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name),
    );
    const missing = workflows.filter((w) => !recorded.has(w));
    assert.deepEqual(
      missing,
      [],
      `workflows without a replay fixture: add a case to test/replay/cases.ts and ${RECORD}`,
    );
  });

  it('replays every fixture, old ones included, without non-determinism', async () => {
    assert.ok(fixtures.length >= 1);
    const results = Worker.runReplayHistories(
      { workflowBundle: { codePath: testStack().workflowBundlePath } },
      fixtures.map(({ workflowId, history }) => ({ workflowId, history })),
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
