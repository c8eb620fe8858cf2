import {
  WorkflowExecutionAlreadyStartedError,
  type Client,
  type WorkflowHandle,
  type WorkflowStartOptions,
} from '@temporalio/client';
import {
  WorkflowIdConflictPolicy,
  WorkflowIdReusePolicy,
  type SearchAttributePair,
  type Workflow,
} from '@temporalio/common';
import { OpsKind, type OpsKindValue } from './search-attributes.js';

export interface StartRunOptions<W extends Workflow = Workflow> {
  /** The workflow type, e.g. `monitorIntegrations`. */
  workflow: string;
  workflowId: string;
  taskQueue: string;
  kind: OpsKindValue;
  summary: string;
  /** The workflow's arguments, typed by `W` (`startRun<typeof backfill>(…)`). */
  args: Parameters<W>;
  searchAttributes?: SearchAttributePair[];
  /** With an idempotency key, a second start with the same id returns the running (or finished) run. */
  reuseExisting?: boolean;
}

/**
 * Starts a workflow findable in the Web UI: `OpsKind` and other search attributes, and a static summary.
 *
 * @example
 * await startRun(client, { workflow: 'monitorIntegrations', workflowId, taskQueue, kind: 'monitor', summary: 'Monitor', args: [] });
 */
export async function startRun<W extends Workflow = Workflow>(
  client: Client,
  options: StartRunOptions<W>,
): Promise<{ handle: WorkflowHandle<W>; started: boolean }> {
  try {
    // `W` is generic here, so the SDK's conditional `args` type cannot be resolved; callers' `args` are typed.
    const start = {
      workflowId: options.workflowId,
      taskQueue: options.taskQueue,
      args: options.args,
      staticSummary: options.summary,
      typedSearchAttributes: [{ key: OpsKind, value: options.kind }, ...(options.searchAttributes ?? [])],
      workflowIdConflictPolicy: options.reuseExisting
        ? WorkflowIdConflictPolicy.USE_EXISTING
        : WorkflowIdConflictPolicy.FAIL,
      // A finished run with the same key is the answer too, not a reason to run again.
      workflowIdReusePolicy: options.reuseExisting
        ? WorkflowIdReusePolicy.REJECT_DUPLICATE
        : WorkflowIdReusePolicy.ALLOW_DUPLICATE,
    } as unknown as WorkflowStartOptions<W>;
    const handle = await client.workflow.start<W>(options.workflow, start);
    return { handle, started: true };
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError && options.reuseExisting) {
      return { handle: client.workflow.getHandle<W>(options.workflowId), started: false };
    }
    throw err;
  }
}

/** A readable, sortable time stamp for workflow ids: `20261122-091500`. */
export function idTimestamp(date: Date): string {
  return date.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
}
