import {
  allHandlersFinished,
  condition,
  executeChild,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../../activities/index.js';
import { inPushOrder } from '../../backfill/entities.js';
import type { backfill } from '../backfill/backfill.js';
import { ZOHO_PAGE_STEP } from '../backfill/zoho-push.js';
import { DATABASE_STEP } from '../policies.js';
import { invalidTransition } from '../failures.js';
import { vendorActivities } from '../queues.js';
import { tagVendorRun } from '../run-tags.js';
import {
  approveRepairUpdate,
  reconcileStatusQuery,
  rejectRepairUpdate,
  type ReconcileInput,
  type ReconcileStatus,
} from './messages.js';

export * from './messages.js';

const db = proxyActivities<Activities>(DATABASE_STEP);
const PER_PAGE = 200;

/**
 * Reconciliation of local billing records with ZOHO, entity by entity: ZOHO is listed page by page into a
 * staging table, PostgreSQL compares both sides (counts, amounts, missing remotely, missing locally, fields that
 * differ) and stores the report in `reconciliation_mismatches`. Repair `none`, `auto`, or `approval` (waits for
 * the `approve` / `reject` update, with a timeout); a repair is a child backfill of exactly the records the
 * report lists as missing remotely or different.
 *
 * Query `status`; updates `approve`, `reject` (only while awaiting approval).
 */
export async function reconcile(input: ReconcileInput): Promise<ReconcileStatus> {
  const { workflowId: id } = workflowInfo();
  const zoho = vendorActivities('zoho', ZOHO_PAGE_STEP);
  const state: ReconcileStatus = { status: 'running', repair: input.repair, summary: {} };
  const entities = inPushOrder(input.entities);
  tagVendorRun('reconciliation', input.integration);
  setHandler(reconcileStatusQuery, () => state);
  const decide = (decision: 'approved' | 'rejected') => (request: { by: string }) => {
    state.decision = decision;
    state.decidedBy = request.by;
    return state;
  };
  const validator = (request: { by: string }) => {
    if (state.status !== 'awaiting-approval' || state.decision) {
      invalidTransition(`the reconciliation is ${state.status}, not awaiting approval`);
    }
    if (!request?.by) invalidTransition('by is required');
  };
  setHandler(approveRepairUpdate, decide('approved'), { validator });
  setHandler(rejectRepairUpdate, decide('rejected'), { validator });
  const save = (finished = false) => db.saveReconciliation({ id, ...state, finished });

  await db.openReconciliation({ id, entities, repair: input.repair });
  for (const entity of entities) {
    setCurrentDetails(`Listing ZOHO ${entity}`);
    for (let page = 1; ; page++) {
      const staged = await zoho.stageZohoPage({ id, entity, page, perPage: PER_PAGE });
      if (!staged.hasMore) break;
    }
    state.summary[entity] = await db.compareEntity({ id, entity });
  }
  const repairable =
    Object.values(state.summary).reduce((n, s) => n + s.missingRemote + s.different, 0) +
    (state.summary.customers?.missingLocal ?? 0);
  setCurrentDetails(describe(state, repairable));

  if (repairable > 0 && input.repair !== 'none') {
    if (input.repair === 'approval') {
      state.status = 'awaiting-approval';
      await save();
      setCurrentDetails(describe(state, repairable));
      const decided = await condition(
        () => state.decision !== undefined,
        (input.approvalTimeoutSeconds ?? 86_400) * 1000,
      );
      if (!decided) state.decision = 'timed-out';
    }
    if (input.repair === 'auto' || state.decision === 'approved') {
      state.status = 'repairing';
      state.repairWorkflowId = `${id}-repair`;
      await save();
      setCurrentDetails(describe(state, repairable));
      if (state.summary.customers?.missingLocal) await db.importMissingCustomers({ id });
      await executeChild<typeof backfill>('backfill', {
        workflowId: state.repairWorkflowId,
        args: [{ integration: 'zoho', entities, mode: 'all', repairOf: id }],
      });
    }
  }
  state.status = 'completed';
  await save(true);
  setCurrentDetails(describe(state, repairable));
  await condition(allHandlersFinished);
  return state;
}

function describe(state: ReconcileStatus, repairable: number): string {
  const lines = Object.entries(state.summary).map(
    ([e, s]) =>
      `- ${e}: ${s.local} local, ${s.remote} remote, ${s.matched} matched, ${s.missingRemote} missing remotely, ${s.missingLocal} missing locally, ${s.different} different, ${s.unsynced ?? 0} never synced`,
  );
  const decision = state.decision
    ? ` — repair ${state.decision}${state.decidedBy ? ` by ${state.decidedBy}` : ''}`
    : '';
  return [`**Reconciliation ${state.status}** (${repairable} repairable)${decision}`, ...lines].join('\n');
}
