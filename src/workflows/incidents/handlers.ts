import { condition, setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import { IncidentStatus } from '../../temporal/search-attributes.js';
import { now } from '../clock.js';
import {
  acknowledgeUpdate,
  addNoteUpdate,
  escalateUpdate,
  incidentStatusQuery,
  reassignUpdate,
  resolveUpdate,
  snoozeUpdate,
  triggerUpdate,
} from '../../incidents/messages.js';
import { record, validate } from './state.js';
import type { IncidentState, TriggerArgs } from '../../incidents/types.js';

/** Flags the escalation loop and the handlers share. */
export interface Control {
  /** A notification activity is in flight; state changes wait for it so none is sent after them. */
  notifying: boolean;
  /** An operator asked to escalate now. */
  escalateNow: boolean;
  /** Cancels the notice in flight (no further retries). */
  cancelNotice?: () => void;
}

/** Changes the status and keeps the `IncidentStatus` search attribute current. */
export function setStatus(s: IncidentState, status: IncidentState['status']): void {
  s.status = status;
  s.nextDeadline = undefined;
  s.pausedBy = undefined;
  s.pausedUntil = undefined;
  upsertSearchAttributes([{ key: IncidentStatus, value: status }]);
}

/**
 * Registers the incident's query and updates. Each update is validated before it is accepted, then waits for
 * an in-flight notification to finish and validates again: two concurrent calls (acknowledge and resolve)
 * apply one after the other, and the loser gets a clear rejection instead of a mixed state.
 */
export function registerHandlers(s: IncidentState, control: Control): void {
  const settled = () => condition(() => !control.notifying);
  /** Stops the notice in flight, then waits for its attempt under way: nothing is sent after the change. */
  const quiesce = () => {
    control.cancelNotice?.();
    return settled();
  };
  setHandler(incidentStatusQuery, () => s);
  const repeatsOpening = (args: TriggerArgs | undefined) => args?.key !== undefined && args.key === s.openingKey;

  setHandler(
    acknowledgeUpdate,
    async ({ by, message }) => {
      await quiesce();
      validate.acknowledge(s, by);
      setStatus(s, 'acknowledged');
      s.acknowledgedAt = new Date(now()).toISOString();
      s.acknowledgedBy = by;
      record(s, now(), { type: 'acknowledged', by, level: s.level, message });
      return s;
    },
    { validator: (a) => validate.acknowledge(s, a?.by) },
  );

  setHandler(
    resolveUpdate,
    async (args) => {
      await quiesce();
      validate.resolve(s, args);
      const { by, rootCause, resolution, prevention, customerImpact } = args;
      setStatus(s, 'resolved');
      s.resolvedAt = new Date(now()).toISOString();
      s.postmortem = { rootCause, resolution, prevention, customerImpact, resolvedBy: by };
      record(s, now(), { type: 'resolved', by, message: resolution });
      return s;
    },
    { validator: (a) => validate.resolve(s, a) },
  );

  setHandler(
    escalateUpdate,
    async ({ by, message }) => {
      await quiesce();
      validate.escalate(s, by);
      control.escalateNow = true;
      record(s, now(), { type: 'escalate-requested', by, level: s.level, message });
      // answer once the loop has moved up a level (not after the notices: a slow channel must not block it)
      await condition(() => !control.escalateNow || s.status !== 'open');
      return s;
    },
    { validator: (a) => validate.escalate(s, a?.by) },
  );

  setHandler(
    reassignUpdate,
    async ({ by, assignee, message }) => {
      validate.reassign(s, by, assignee);
      s.assignee = assignee;
      record(s, now(), { type: 'reassigned', by, target: assignee, message });
      return s;
    },
    { validator: (a) => validate.reassign(s, a?.by, a?.assignee) },
  );

  setHandler(
    snoozeUpdate,
    async ({ by, seconds, message }) => {
      await settled();
      validate.snooze(s, by, seconds);
      s.snoozedUntil = new Date(now() + seconds * 1000).toISOString();
      record(s, now(), { type: 'snoozed', by, message: message ?? `until ${s.snoozedUntil}` });
      return s;
    },
    { validator: (a) => validate.snooze(s, a?.by, a?.seconds) },
  );

  setHandler(
    addNoteUpdate,
    ({ by, message }) => {
      validate.addNote(s, by, message);
      record(s, now(), { type: 'note', by, message });
      return s;
    },
    { validator: (a) => validate.addNote(s, a?.by, a?.message) },
  );

  setHandler(
    triggerUpdate,
    (args) => {
      const message = args?.message;
      if (repeatsOpening(args)) {
        // the opening call repeated (a client retry after a lost answer): it gets the opening's answer again
        return { id: s.id, workflowId: s.workflowId, status: 'open', level: 1, triggerCount: 1, deduplicated: false };
      }
      validate.trigger(s);
      s.triggerCount++;
      s.lastSeenAt = new Date(now()).toISOString();
      if (s.triggerCount > 1) record(s, now(), { type: 'triggered', message: message ?? `trigger #${s.triggerCount}` });
      else s.version++;
      const { id, workflowId, status, level, triggerCount } = s;
      return { id, workflowId, status, level, triggerCount, deduplicated: triggerCount > 1 };
    },
    { validator: (args) => (repeatsOpening(args) ? undefined : validate.trigger(s)) },
  );
}
