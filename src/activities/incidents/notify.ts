import { ApplicationFailure } from '@temporalio/common';
import {
  createNotifier,
  NotificationError,
  type Delivery,
  type NotificationMessage,
} from '../../notifications/index.js';
import type { ActivityDeps } from '../deps.js';

/**
 * The notification activity every workflow uses. Sends through the `notifications` outbox, so a retried
 * activity or a restarted worker never sends a copy twice.
 *
 * @example
 * const activities = createNotifyActivities({ config, pool, log });
 */
export function createNotifyActivities(deps: Pick<ActivityDeps, 'config' | 'pool' | 'log'>) {
  const notifier = createNotifier(deps);
  return {
    /**
     * Sends `message` to its recipients (or its escalation level's targets). Returns one delivery per
     * recipient; copies already sent come back `already-sent`. Retryable failures throw (the retry sends only
     * what is missing); permanent ones (a refused address) come back `failed`.
     */
    async sendNotification(message: NotificationMessage): Promise<Delivery[]> {
      try {
        return await notifier.send(message);
      } catch (err) {
        if (err instanceof NotificationError) {
          throw ApplicationFailure.create({ type: err.errorClass, message: err.message, nonRetryable: err.permanent });
        }
        throw err;
      }
    },
  };
}
