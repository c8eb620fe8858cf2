import { patched, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../../activities/index.js';
import { BATCH_STEP } from '../policies.js';
import type { StepResult } from './steps.js';
import { RETENTION_POLICIES, retentionCutoff } from '../../runbooks/targets.js';

const batch = proxyActivities<Activities>(BATCH_STEP);

/** Batches per policy per run: bounds the history; whatever is left is deleted next month (and reported). */
const MAX_BATCHES_PER_POLICY = 200;

export const RETENTION_POLICY_NAMES = RETENTION_POLICIES.map((p) => `${p.table}.${p.ageColumn} > ${p.maxAgeDays} days`);

export interface RetentionOutcome {
  policy: string;
  table: string;
  cutoff: string;
  deleted: number;
  batches: number;
  complete: boolean;
}

/**
 * Applies every retention policy: deletes the rows older than the policy's cutoff (fixed for the run) in batches
 * of `batchSize`, one idempotent activity call per batch, until a batch comes back short. `maxAgeDays` overrides
 * policies' periods by name; a policy's protection window (`keepAtLeastMs`) still holds.
 */
export async function runRetention(
  asOf: string,
  batchSize: number,
  maxAgeDays: Partial<Record<string, number>> = {},
): Promise<StepResult<RetentionOutcome[]>> {
  // Policies added later are patched in, so runs recorded before them replay without their batches.
  const policies = RETENTION_POLICIES.filter((p) => p.patch === undefined || patched(p.patch));
  const outcomes = await Promise.all(
    policies.map(async (policy): Promise<RetentionOutcome> => {
      const cutoff = retentionCutoff(policy, asOf, maxAgeDays[policy.name]);
      let deleted = 0;
      let batches = 0;
      for (;;) {
        const n = await batch.deleteExpiredBatch({ policy: policy.name, cutoff, batchSize });
        deleted += n;
        batches++;
        if (n < batchSize)
          return { policy: policy.name, table: policy.table, cutoff, deleted, batches, complete: true };
        if (batches >= MAX_BATCHES_PER_POLICY) {
          return { policy: policy.name, table: policy.table, cutoff, deleted, batches, complete: false };
        }
      }
    }),
  );
  const total = outcomes.reduce((n, o) => n + o.deleted, 0);
  const incomplete = outcomes.filter((o) => !o.complete).map((o) => o.policy);
  return {
    status: incomplete.length > 0 ? 'warning' : 'ok',
    summary:
      `${total} expired row(s) deleted in ${outcomes.reduce((n, o) => n + o.batches, 0)} batch(es)` +
      (incomplete.length ? `; more left for ${incomplete.join(', ')}` : ''),
    data: outcomes,
  };
}
