import { ApplicationFailure } from '@temporalio/workflow';
import type { NotificationMessage } from '../../notifications/types.js';
import { invalidTransition as reject } from '../failures.js';
import type { EscalateIncidentInput, IncidentState, ResolveArgs, TimelineEvent } from '../../incidents/types.js';

/** Timeline entries kept; beyond this, the oldest merged triggers are folded into a count. */
const MAX_TIMELINE = 500;

export function initialState(input: EscalateIncidentInput, workflowId: string, nowMs: number): IncidentState {
  const at = new Date(nowMs).toISOString();
  const t = input.trigger;
  return {
    id: input.id,
    workflowId,
    title: t.title,
    severity: t.severity,
    description: t.description,
    source: t.source,
    dedupKey: t.dedupKey,
    status: 'open',
    level: 1,
    rounds: [0, 0, 0, 0],
    // an open that starts the workflow carries the first trigger; update-with-start delivered it as an update
    triggerCount: input.opening ? 1 : 0,
    openedAt: at,
    lastSeenAt: at,
    exhausted: false,
    cycle: 0,
    timeline: [{ at, type: 'opened', message: `${t.severity} ${t.title}${t.source ? ` (from ${t.source})` : ''}` }],
    foldedTriggers: 0,
    version: 1,
    openingKey: input.opening?.key,
  };
}

/**
 * Where an incident's escalation stands; `phaseOf` is the one place that decides it
 * (`escalateNow`: an operator asked to escalate):
 * - `await-resolution`: acknowledged; the incident opens again if it is not resolved in the policy's time;
 * - `await-person`: every level and its repeats were notified; only a person (an update) moves it on;
 * - `await-ack-or-deadline`: a notice is out; its deadline passing escalates;
 * - `notify-level`: the next notice is due (escalating first when a deadline passed or an operator asked).
 */
export type Phase = 'await-resolution' | 'await-person' | 'await-ack-or-deadline' | 'notify-level';

export function phaseOf(s: IncidentState, escalateNow: boolean): Phase {
  if (s.status === 'acknowledged') return 'await-resolution';
  if (escalateNow) return 'notify-level';
  if (s.exhausted) return 'await-person';
  if (s.nextDeadline) return 'await-ack-or-deadline';
  return 'notify-level';
}

/** The end of the incident's snooze, if it is snoozed at `t`. */
export function snoozedUntil(s: IncidentState, t: number): number | undefined {
  const until = s.snoozedUntil ? Date.parse(s.snoozedUntil) : undefined;
  return until !== undefined && until > t ? until : undefined;
}

/** Appends an event and bumps the version; keeps the timeline bounded by folding old merged triggers. */
export function record(s: IncidentState, nowMs: number, event: Omit<TimelineEvent, 'at'>): void {
  s.timeline.push({ at: new Date(nowMs).toISOString(), ...event });
  s.version++;
  if (s.timeline.length > MAX_TIMELINE) {
    const i = s.timeline.findIndex((e, idx) => idx > 0 && e.type === 'triggered');
    if (i > 0) {
      s.timeline.splice(i, 1);
      s.foldedTriggers++;
    }
  }
}

function requireBy(by: unknown): void {
  if (typeof by !== 'string' || by.trim() === '') {
    throw ApplicationFailure.create({
      type: 'ValidationFailed',
      message: 'by: who is acting is required',
      nonRetryable: true,
    });
  }
}

/** Validators: they run before an update is accepted, so a rejected call leaves no trace in the history. */
export const validate = {
  acknowledge(s: IncidentState, by: string) {
    requireBy(by);
    if (s.status !== 'open') reject(`incident ${s.id} is ${s.status}; only an open incident can be acknowledged`);
  },
  resolve(s: IncidentState, args: ResolveArgs) {
    requireBy(args?.by);
    if (s.status === 'resolved') reject(`incident ${s.id} is already resolved`);
    const missing = (['rootCause', 'resolution', 'prevention', 'customerImpact'] as const).filter(
      (f) => typeof args[f] !== 'string' || args[f].trim() === '',
    );
    if (missing.length > 0) {
      throw ApplicationFailure.create({
        type: 'ValidationFailed',
        message: `resolving needs a postmortem: ${missing.join(', ')} required`,
        nonRetryable: true,
        details: [{ fields: missing }],
      });
    }
  },
  escalate(s: IncidentState, by: string) {
    requireBy(by);
    if (s.status !== 'open') reject(`incident ${s.id} is ${s.status}; only an open incident can be escalated`);
  },
  reassign(s: IncidentState, by: string, assignee: string) {
    requireBy(by);
    if (!assignee?.trim()) {
      throw ApplicationFailure.create({ type: 'ValidationFailed', message: 'assignee: required', nonRetryable: true });
    }
    if (s.status === 'resolved') reject(`incident ${s.id} is resolved; it cannot be reassigned`);
  },
  snooze(s: IncidentState, by: string, seconds: number) {
    requireBy(by);
    if (!Number.isFinite(seconds) || seconds < 1 || seconds > 7 * 86400) {
      throw ApplicationFailure.create({
        type: 'ValidationFailed',
        message: 'seconds: expected 1 to 604800',
        nonRetryable: true,
      });
    }
    if (s.status !== 'open') reject(`incident ${s.id} is ${s.status}; only an open incident can be snoozed`);
  },
  addNote(s: IncidentState, by: string, message: string | undefined) {
    requireBy(by);
    if (!message?.trim()) {
      throw ApplicationFailure.create({ type: 'ValidationFailed', message: 'message: required', nonRetryable: true });
    }
    // its workflow ends at resolution; the postmortem is the record from then on
    if (s.status === 'resolved') reject(`incident ${s.id} is resolved; notes go into its postmortem`);
  },
  trigger(s: IncidentState) {
    if (s.status === 'resolved') reject(`incident ${s.id} is resolved; a new trigger opens a new incident`);
  },
};

/** What the Web UI shows under "current details": status, level, and the next deadline or hold. */
export function detailsOf(s: IncidentState): string {
  const lines = [`**${s.severity} · ${s.status}** · level ${s.level} · ${s.triggerCount} trigger(s)`, '', s.title];
  if (s.status === 'open') {
    if (s.pausedUntil) lines.push('', `Paused by ${s.pausedBy} until ${s.pausedUntil}`);
    else if (s.exhausted) lines.push('', 'Every level notified; waiting for an acknowledgement');
    else if (s.nextDeadline) lines.push('', `Next escalation at ${s.nextDeadline} unless acknowledged`);
  }
  if (s.assignee) lines.push('', `Assigned to ${s.assignee}`);
  if (s.acknowledgedBy && s.status !== 'open')
    lines.push('', `Acknowledged by ${s.acknowledgedBy} at ${s.acknowledgedAt}`);
  return lines.join('\n');
}

/** The notice of one escalation round. Its key makes each round go out once, whatever retries or restarts. */
export function noticeOf(s: IncidentState, url: string): NotificationMessage {
  const round = s.rounds[s.level] ?? 0;
  const cycle = s.cycle > 0 ? `/cycle/${s.cycle}` : '';
  const repeat = round > 0 ? ` (repeat ${round})` : '';
  const text = [
    `${s.severity} incident, escalation level ${s.level}${repeat}.`,
    s.description ?? '',
    `Source: ${s.source ?? 'api'} · triggers: ${s.triggerCount} · opened ${s.openedAt}`,
    s.assignee ? `Assigned to ${s.assignee}.` : '',
    `Acknowledge: POST /incidents/${s.id}/acknowledge, or the "acknowledge" update on workflow ${s.workflowId}.`,
  ].filter(Boolean);
  return {
    idempotencyKey: `incident/${s.id}${cycle}/level/${s.level}/repeat/${round}`,
    subject: `[${s.severity}] ${s.title} (level ${s.level}${repeat})`,
    text: text.join('\n\n'),
    link: url,
    severity: s.severity,
    level: s.level,
    incident: { id: s.id, workflowId: s.workflowId, level: s.level },
    recipients: s.assignee?.includes('@') ? [{ channel: 'email', target: s.assignee }] : undefined,
  };
}
