import type { EscalationLevel, IncidentPolicy, Severity } from './policy.js';

export type IncidentStatusValue = 'open' | 'acknowledged' | 'resolved';

/** One event of an incident's life, as the API and the Web UI show it. */
export interface TimelineEvent {
  at: string;
  type:
    | 'opened'
    | 'triggered'
    | 'notified'
    | 'notification-failed'
    | 'escalated'
    | 'repeated'
    | 'exhausted'
    | 'acknowledged'
    | 'resolved'
    | 'escalate-requested'
    | 'reassigned'
    | 'snoozed'
    | 'note'
    | 'paused'
    | 'resumed'
    | 'reopened';
  level?: number;
  channel?: string;
  target?: string;
  by?: string;
  message?: string;
  /** For notifications: when the notice was due (the deadline), to measure lateness. */
  dueAt?: string;
}

/** What resolving asks for, stored as the postmortem. */
export interface Postmortem {
  rootCause: string;
  resolution: string;
  prevention: string;
  customerImpact: string;
  resolvedBy: string;
}

/** What opens an incident (API, alert rule, runbook). */
export interface IncidentTrigger {
  title: string;
  severity: Severity;
  description?: string;
  source?: string;
  dedupKey?: string;
  /** Shortens (or lengthens) this incident's time to acknowledge. */
  ackTimeoutSeconds?: number;
}

/** The incident as the `status` query answers it. */
export interface IncidentState {
  id: string;
  workflowId: string;
  title: string;
  severity: Severity;
  description?: string;
  source?: string;
  dedupKey?: string;
  status: IncidentStatusValue;
  level: EscalationLevel;
  /** Notifications sent per level (index 1–3); the last level's count bounds the repeats. */
  rounds: [number, number, number, number];
  triggerCount: number;
  openedAt: string;
  lastSeenAt: string;
  acknowledgedAt?: string;
  acknowledgedBy?: string;
  resolvedAt?: string;
  assignee?: string;
  snoozedUntil?: string;
  /** Why escalation is on hold (maintenance window, quiet hours, snooze) and until when. */
  pausedBy?: string;
  pausedUntil?: string;
  /** When the current level's time to acknowledge runs out. */
  nextDeadline?: string;
  /** Every level notified and its repeats used up: waits for a person. */
  exhausted: boolean;
  /** Re-opens after an acknowledgement expired (`resolveWithinSeconds`); part of notification keys. */
  cycle: number;
  postmortem?: Postmortem;
  timeline: TimelineEvent[];
  /** Trigger events folded out of the timeline to keep it bounded. */
  foldedTriggers: number;
  /** Bumped on every change; the mirror in the database follows it. */
  version: number;
  /** The idempotency key of the call that opened the incident, when the start carried the first trigger. */
  openingKey?: string;
}

/** Input of `escalateIncident`. `state` is set when the workflow continues as new. */
export interface EscalateIncidentInput {
  id: string;
  trigger: IncidentTrigger;
  policy: IncidentPolicy;
  /** Link to the incident in notifications. */
  incidentUrl: string;
  state?: IncidentState;
  /**
   * Set when the start itself carries the first trigger (the open answers once the server has accepted the start);
   * `key` is the opening call's idempotency key, so a repeat of that call answers as the opening did. Incidents
   * opened by update-with-start (older histories) have none: their first trigger is the `trigger` update.
   */
  opening?: { key?: string };
  /** Continue as new past this many history events (default 4,000; Temporal's own suggestion also counts). */
  historyLimit?: number;
}

export interface ActorArgs {
  by: string;
  message?: string;
}
export type ResolveArgs = Omit<Postmortem, 'resolvedBy'> & { by: string };
export interface SnoozeArgs extends ActorArgs {
  seconds: number;
}
export interface ReassignArgs extends ActorArgs {
  assignee: string;
}
export interface TriggerArgs {
  message?: string;
  /** The caller's idempotency key: the opening call's key repeated answers as the opening did, counting nothing. */
  key?: string;
}
/** Answer of the `trigger` update: the incident it merged into. */
export interface TriggerResult {
  id: string;
  workflowId: string;
  status: IncidentStatusValue;
  level: EscalationLevel;
  triggerCount: number;
  deduplicated: boolean;
}

/**
 * The escalation workflow's signature, for the code that starts it from outside workflow code (`startIncident`):
 * typed without importing the workflow module, which would pull its activity types (and the activities' own imports)
 * into the starter's import graph. `escalateIncident` is checked against it where it is defined.
 */
export type EscalateIncidentWorkflow = (input: EscalateIncidentInput) => Promise<IncidentState>;
