import { ApplicationFailure } from '@temporalio/common';
import {
  createNotifier,
  NotificationError,
  type Delivery,
  type NotificationMessage,
} from '../../notifications/index.js';
import { anyCopySent } from '../../notifications/outbox.js';
import { activeMaintenanceWindow, type ActiveMaintenanceWindow, type HoldScope } from '../../incidents/maintenance.js';
import type { ActivityDeps } from '../deps.js';

/** An incident notice: sent (its deliveries), or held by a maintenance window and not sent. */
export type IncidentNoticeResult = { deliveries: Delivery[]; heldBy?: undefined } | { heldBy: ActiveMaintenanceWindow };

/**
 * The notification activity every workflow uses. Sends through the `notifications` outbox, so a retried
 * activity or a restarted worker never sends a copy twice.
 *
 * @example
 * const activities = createNotifyActivities({ config, pool, log });
 */
export function createNotifyActivities(deps: Pick<ActivityDeps, 'config' | 'pool' | 'log'>) {
  const notifier = createNotifier(deps);
  async function send(message: NotificationMessage): Promise<Delivery[]> {
    try {
      return await notifier.send(message);
    } catch (err) {
      if (err instanceof NotificationError) {
        throw ApplicationFailure.create({ type: err.errorClass, message: err.message, nonRetryable: err.permanent });
      }
      throw err;
    }
  }
  return {
    /**
     * Sends `message` to its recipients (or its escalation level's targets). Returns one delivery per
     * recipient; copies already sent come back `already-sent`. Retryable failures throw (the retry sends only
     * what is missing); permanent ones (a refused address) come back `failed`.
     */
    sendNotification: send,

    /**
     * An escalation's notice, unless a maintenance window covers the incident (`holdFor`: its severity and source):
     * then nothing is sent and the window comes back, for the incident to pause until it ends. Looking the window up
     * here, as the notice goes out, spares the escalation a look-up of its own before it. A notice that an earlier
     * attempt began to send is finished whatever the window: its other recipients get the copy the first ones got.
     */
    async sendIncidentNotice(input: {
      notice: NotificationMessage;
      holdFor: HoldScope;
    }): Promise<IncidentNoticeResult> {
      const window = await activeMaintenanceWindow(deps.pool, input.holdFor);
      if (window && !(await anyCopySent(deps.pool, input.notice.idempotencyKey))) return { heldBy: window };
      return { deliveries: await send(input.notice) };
    },
  };
}
