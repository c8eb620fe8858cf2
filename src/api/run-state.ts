import type { z } from '@hono/zod-openapi';
import { isGrpcServiceError, type Client, type WorkflowExecutionDescription } from '@temporalio/client';
import type { QueryDefinition } from '@temporalio/common';
import { ApiError } from './errors.js';
import { COMMON_ERRORS, errorResponse, jsonResponse, NOT_FOUND } from './schemas.js';
import { mapTemporalError } from './temporal-errors.js';

/** How long a running workflow's worker has to answer a `status` query before the API gives up with a 503. */
export const STATUS_QUERY_TIMEOUT_MS = 5_000;

/** The 503 a read may answer when a running workflow has no worker to answer its `status` query. */
export const WORKER_UNAVAILABLE = {
  503: errorResponse('The run is still going but no worker answered its status query in time; try again shortly'),
} as const;

/**
 * The answers of a read of one run through its `status` query: the run, no such run, or no worker to answer.
 *
 * @example
 * responses: runReadResponses(BackfillSchema, 'The backfill')
 */
export const runReadResponses = <T extends z.ZodType>(schema: T, description: string) => ({
  200: jsonResponse(schema, description),
  ...COMMON_ERRORS,
  ...NOT_FOUND,
  ...WORKER_UNAVAILABLE,
});

/** gRPC codes of a query nobody answered: the deadline passed, or the server saw no poller on the queue lately. */
const NO_ANSWER = new Set([4, 9]);
const GRPC_CANCELLED = 1;

function grpcCode(err: unknown): number | undefined {
  for (let e = err; e; e = (e as { cause?: unknown }).cause) {
    if (isGrpcServiceError(e)) return e.code;
  }
  return undefined;
}

/**
 * Reads a run's state for the API without hanging on a missing worker. A closed run answers from what it left
 * behind (`finished`: its memo or a database row, read from the run's description), so it is readable with no
 * worker running; a running one (or a closed one that left nothing) through its `status` query, with
 * `STATUS_QUERY_TIMEOUT_MS` for a worker to answer, else a 503 `worker_unavailable`. Unknown ids are 404s.
 *
 * @example
 * const state = await readRunState(client, id, 'backfill', backfillStatusQuery, (d) => d.memo?.finalState as BackfillStatus);
 */
export async function readRunState<T>(
  client: Client,
  workflowId: string,
  what: string,
  query: QueryDefinition<T>,
  finished: (described: WorkflowExecutionDescription) => Promise<T | undefined> | T | undefined,
): Promise<T> {
  const handle = client.workflow.getHandle(workflowId);
  const described = await handle.describe().catch((err: unknown) => mapTemporalError(err, `${what} ${workflowId}`));
  if (described.status.name !== 'RUNNING') {
    const state = await finished(described);
    if (state !== undefined) return state;
  }
  const deadline = Date.now() + STATUS_QUERY_TIMEOUT_MS;
  try {
    return await client.withDeadline(deadline, () => handle.query(query));
  } catch (err) {
    const code = grpcCode(err) ?? -1;
    // A deadline that passes while the client waits to retry surfaces as CANCELLED (1), not DEADLINE_EXCEEDED.
    if (NO_ANSWER.has(code) || (code === GRPC_CANCELLED && Date.now() >= deadline - 250)) {
      throw new ApiError(
        503,
        'worker_unavailable',
        `No worker answered for ${what} ${workflowId} within ${STATUS_QUERY_TIMEOUT_MS / 1000} s; ` +
          'the run keeps its state and can be read once a worker is running',
      );
    }
    return mapTemporalError(err, `${what} ${workflowId}`);
  }
}
