import { WorkflowExecutionAlreadyStartedError, type Client, type WorkflowHandle } from '@temporalio/client';
import { WorkflowIdConflictPolicy, WorkflowIdReusePolicy, type SearchAttributePair } from '@temporalio/common';
import { OpsKind, type OpsKindValue } from './search-attributes.js';

export interface StartRunOptions {
  /** The workflow type, e.g. `monitorIntegrations`. */
  workflow: string;
  workflowId: string;
  taskQueue: string;
  kind: OpsKindValue;
  summary: string;
  args: unknown[];
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
export async function startRun(
  client: Client,
  options: StartRunOptions,
): Promise<{ handle: WorkflowHandle; started: boolean }> {
  try {
    const handle = await client.workflow.start(options.workflow, {
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
    });
    return { handle, started: true };
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError && options.reuseExisting) {
      return { handle: client.workflow.getHandle(options.workflowId), started: false };
    }
    throw err;
  }
}

/** A readable, sortable time stamp for workflow ids: `20261122-091500`. */
export function idTimestamp(date: Date): string {
  return date.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
}
