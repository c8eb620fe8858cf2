import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { budgetedBatchLimit, nextBatchSize, pauseAfterPage } from '../../src/backfill/batching.js';
import { callsToPullContacts, callsToPush } from '../../src/backfill/cost.js';
import { inPushOrder } from '../../src/backfill/entities.js';

describe('backfill adaptive batching', () => {
  it('halves the batch when more than 30 % of calls failed', () => {
    assert.equal(nextBatchSize(50, { calls: 100, errors: 31 }), 25);
    assert.equal(nextBatchSize(8, { calls: 10, errors: 9 }), 5, 'never below the minimum');
  });

  it('grows the batch by half when fewer than 10 % of calls failed', () => {
    assert.equal(nextBatchSize(50, { calls: 100, errors: 9 }), 75);
    assert.equal(nextBatchSize(180, { calls: 100, errors: 0 }), 200, 'never above the maximum');
  });

  it('keeps the batch between 10 % and 30 % errors, and after a page without calls', () => {
    assert.equal(nextBatchSize(50, { calls: 100, errors: 10 }), 50);
    assert.equal(nextBatchSize(50, { calls: 100, errors: 30 }), 50);
    assert.equal(nextBatchSize(50, { calls: 0, errors: 0 }), 50);
  });

  it('paces a page to the per-minute budget, counting the time the page already took', () => {
    assert.equal(pauseAfterPage({ calls: 60, elapsedMs: 10_000, maxRequestsPerMinute: 120 }), 20_000);
    assert.equal(pauseAfterPage({ calls: 60, elapsedMs: 40_000, maxRequestsPerMinute: 120 }), 0);
    assert.equal(pauseAfterPage({ calls: 0, elapsedMs: 0, maxRequestsPerMinute: 120 }), 0);
  });

  it('limits a page to half a minute of budget', () => {
    assert.equal(budgetedBatchLimit(120), 30);
    assert.equal(budgetedBatchLimit(1), 1);
  });
});

describe('backfill cost estimate', () => {
  it('prices a push at one update for linked records and look-up plus create otherwise', () => {
    assert.equal(callsToPush({ hasZohoId: true }), 1);
    assert.equal(callsToPush({ hasZohoId: false }), 2);
  });

  it('prices a contact pull by pages, including the last, short or empty, page', () => {
    assert.equal(callsToPullContacts(0, 100), 1);
    assert.equal(callsToPullContacts(250, 100), 3);
    assert.equal(callsToPullContacts(200, 100), 3);
  });

  it('pushes entities in dependency order whatever order they were asked in', () => {
    assert.deepEqual(inPushOrder(['payments', 'customers', 'invoices']), ['customers', 'invoices', 'payments']);
  });
});
