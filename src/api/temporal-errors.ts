import { WorkflowNotFoundError } from '@temporalio/client';
import { isGrpcServiceError } from '@temporalio/client';
import { ApiError } from './errors.js';

/**
 * Maps what Temporal answers about a workflow the API was asked about: not found → 404, unreachable → 503.
 * Anything else is rethrown for the error mapper.
 */
export function mapTemporalError(err: unknown, what: string): never {
  if (err instanceof WorkflowNotFoundError || (isGrpcServiceError(err) && err.code === 5)) {
    throw new ApiError(404, 'not_found', `No ${what}`);
  }
  if (isGrpcServiceError(err) && (err.code === 14 || err.code === 4)) {
    throw new ApiError(503, 'unavailable', 'Temporal is not reachable; try again shortly');
  }
  throw err;
}
