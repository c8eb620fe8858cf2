import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { taskQueuesFor } from '../../src/config.js';
import { queuesFromMain } from '../../src/workflows/queues.js';

describe('backfill task queues', () => {
  it('derives the same vendor queues from the main queue as the configuration does from the prefix', () => {
    for (const prefix of ['', 't-1234abcd-', 'prod.', 'eu_west-']) {
      const configured = taskQueuesFor(prefix);
      assert.deepEqual(queuesFromMain(configured.main), configured);
    }
  });

  it('routes vendor calls of a run on another queue (the replayer) to the unprefixed, rate-limited vendor queues', () => {
    assert.deepEqual(queuesFromMain('fake_replay_queue-0'), {
      main: 'fake_replay_queue-0',
      highlevel: 'highlevel',
      zoho: 'zoho',
    });
  });
});
