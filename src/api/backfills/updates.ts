import { WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import type { UpdateDefinition } from '@temporalio/common';
import { ApplicationFailure } from '@temporalio/common';
import { ApiError } from '../errors.js';
import { mapTemporalError } from '../temporal-errors.js';

/**
 * Sends an update to a running workflow and answers with its result: a validator's refusal (an
 * `InvalidTransition`) or a workflow that has already finished is a 409, an unknown id a 404.
 *
 * @example
 * const state = await sendUpdate(client, id, pauseBackfillUpdate, { by: 'ops@example.com' }, 'backfill');
 */
export async function sendUpdate<Ret, Arg>(
  client: Client,
  workflowId: string,
  update: UpdateDefinition<Ret, [Arg]>,
  arg: Arg,
  what: string,
): Promise<Ret> {
  try {
    return await client.workflow.getHandle(workflowId).executeUpdate(update, { args: [arg] });
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError) {
      const cause = err.cause;
      const message = cause instanceof ApplicationFailure || cause instanceof Error ? cause.message : err.message;
      throw new ApiError(409, 'invalid_transition', message);
    }
    // An update to a finished run is refused as "not found"; the run itself still exists, so that is a 409.
    const finished = await client.workflow
      .getHandle(workflowId)
      .describe()
      .then((d) => d.status.name !== 'RUNNING')
      .catch(() => false);
    if (finished) throw new ApiError(409, 'invalid_transition', `the ${what} has already finished`);
    return mapTemporalError(err, `${what} ${workflowId}`);
  }
}
