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

  it('refuses a queue that is not an Opsflow main queue', () => {
    assert.throws(() => queuesFromMain('something-else'), /not an Opsflow main queue/);
  });
});
