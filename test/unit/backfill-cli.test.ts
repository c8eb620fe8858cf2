import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { renderProgress } from '../../src/backfill/progress.js';

describe('backfill CLI progress line', () => {
  it('draws a bar of the processed share with counts and calls', () => {
    const line = renderProgress({
      status: 'running',
      dryRun: false,
      progress: { total: 10, processed: 5, succeeded: 4, failed: 1 },
      apiCalls: 9,
    });
    assert.match(line, /^\[#{15}\.{15}\] {2}50% 5\/10 ok 4 failed 1 calls 9 running/);
  });

  it('prices a dry run instead of counting calls, and works without a total', () => {
    const line = renderProgress({
      status: 'completed',
      dryRun: true,
      progress: { processed: 3, succeeded: 0, failed: 0 },
      apiCalls: 0,
      estimatedApiCalls: 6,
    });
    assert.match(line, /^3\/\? ok 0 failed 0 would cost 6 calls completed/);
  });
});
