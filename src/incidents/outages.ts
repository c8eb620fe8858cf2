import type { Severity } from './policy.js';

/**
 * Outage paging: the monitor's verdicts per integration become incidents. An integration that fails `openAfter`
 * checks in a row opens one incident (a long outage stays that one incident, its trigger count growing each failed
 * check), and `resolveAfter` healthy checks in a row resolve it. Counting in a row is what keeps a flapping
 * integration (down, up, down, up) from paging every cycle. Pure rules here; the state lives in
 * `integration_outages` (src/activities/outages.ts) and the monitor acts on the decisions
 * (src/workflows/runbooks/outages.ts).
 */

/** What is tracked per integration: hard failure, and slowness or quota pressure. */
export type OutageKind = 'down' | 'degraded';

/** The integrations whose outages page someone: the vendors, the database, and Opsflow's own alert channels. */
export const PAGED_INTEGRATIONS = ['database', 'zoho', 'highlevel', 'smtp', 'sms'] as const;

/** Severity by default: without the database or ZOHO billing, operations stop; the rest is serious, not critical. */
export const DEFAULT_OUTAGE_SEVERITY: Record<string, Severity> = { database: 'P1', zoho: 'P1' };

export interface OutagePolicy {
  /** Failed checks in a row that open the incident (default 2). */
  openAfter: number;
  /** Healthy checks in a row that resolve it (default 2). */
  resolveAfter: number;
  /** Severity of a `down` incident per integration, over the defaults (P1 database and ZOHO, P2 otherwise). */
  severity: Record<string, Severity>;
}

/** One integration's state for one kind, as stored between monitor runs. */
export interface OutageTracker {
  consecutiveBad: number;
  consecutiveGood: number;
  /** The incident this outage opened, while it is open. */
  incidentId?: string;
}

/** What the monitor does about one integration in this run. */
export type OutageDecision =
  { action: 'open' | 'grow'; failedChecks: number } | { action: 'resolve'; incidentId: string; healthyChecks: number };

/** How a check counts for a kind: `bad` for it, `good` against it, or (a `down` for `degraded`) neither. */
export function verdictFor(kind: OutageKind, status: 'healthy' | 'degraded' | 'down'): 'bad' | 'good' | 'neither' {
  if (kind === 'down') return status === 'down' ? 'bad' : 'good';
  if (status === 'degraded') return 'bad';
  return status === 'healthy' ? 'good' : 'neither';
}

/**
 * The next state of a tracker after one check, and what to do.
 *
 * @example
 * observe({ consecutiveBad: 1, consecutiveGood: 0 }, 'bad', policy); // { tracker: { consecutiveBad: 2, … }, decision: { action: 'open', failedChecks: 2 } }
 */
export function observe(
  tracker: OutageTracker,
  verdict: 'bad' | 'good' | 'neither',
  policy: Pick<OutagePolicy, 'openAfter' | 'resolveAfter'>,
): { tracker: OutageTracker; decision?: OutageDecision } {
  if (verdict === 'neither') return { tracker };
  if (verdict === 'bad') {
    const next = { ...tracker, consecutiveBad: tracker.consecutiveBad + 1, consecutiveGood: 0 };
    // While its incident is open, every failed check counts into it, even right after a healthy one.
    if (next.incidentId) return { tracker: next, decision: { action: 'grow', failedChecks: next.consecutiveBad } };
    if (next.consecutiveBad < policy.openAfter) return { tracker: next };
    return { tracker: next, decision: { action: 'open', failedChecks: next.consecutiveBad } };
  }
  const next = { ...tracker, consecutiveBad: 0, consecutiveGood: tracker.consecutiveGood + 1 };
  if (!next.incidentId || next.consecutiveGood < policy.resolveAfter) return { tracker: next };
  const { incidentId } = next;
  return {
    tracker: { consecutiveBad: 0, consecutiveGood: next.consecutiveGood },
    decision: { action: 'resolve', incidentId, healthyChecks: next.consecutiveGood },
  };
}

/** The severity of an outage incident: degraded is P3; down is configured, P1 for the database and ZOHO, else P2. */
export function outageSeverity(configured: OutagePolicy['severity'], integration: string, kind: OutageKind): Severity {
  if (kind === 'degraded') return 'P3';
  return configured[integration] ?? DEFAULT_OUTAGE_SEVERITY[integration] ?? 'P2';
}

/** The dedup key of an outage incident: one open incident per integration and kind (`integration-down:zoho`). */
export function outageDedupKey(integration: string, kind: OutageKind): string {
  return `integration-${kind}:${integration}`;
}
