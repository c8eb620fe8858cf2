import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import { withLogContext } from '../logger.js';

/**
 * Activity interceptor that puts the running activity's identity (workflow id and type, run id, activity type and
 * id, attempt) on every log line written while it runs — through the activity's own pino logger too, not only the
 * SDK's `Context.log`.
 *
 * @example
 * await Worker.create({ ..., interceptors: { activity: [activityLogContext] } });
 */
export const activityLogContext: ActivityInterceptorsFactory = (ctx) => ({
  inbound: {
    execute: (input, next) =>
      withLogContext(
        {
          workflowId: ctx.info.workflowExecution?.workflowId,
          runId: ctx.info.workflowExecution?.runId,
          workflowType: ctx.info.workflowType,
          activityType: ctx.info.activityType,
          activityId: ctx.info.activityId,
          attempt: ctx.info.attempt,
          taskQueue: ctx.info.taskQueue,
        },
        () => next(input),
      ),
  },
});
