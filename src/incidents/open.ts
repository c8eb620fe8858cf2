import {
  isGrpcServiceError,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  type Client,
} from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { randomBytes } from 'node:crypto';
import type { Config } from '../config.js';
import { IncidentStatus, OpsKind, Severity } from '../temporal/search-attributes.js';
import { idTimestamp } from '../temporal/start.js';
import { INVALID_TRANSITION, triggerUpdate } from './messages.js';
import type { EscalateIncidentInput, EscalateIncidentWorkflow, IncidentTrigger, TriggerResult } from './types.js';
import type { EscalationLevel, IncidentPolicy } from './policy.js';

/** What opening (or merging into) an incident answers. */
export interface OpenIncidentResult {
  id: string;
  workflowId: string;
  status: TriggerResult['status'];
  level: EscalationLevel;
  triggerCount: number;
  deduplicated: boolean;
}

/**
 * Workflow id of an incident: `<prefix>incident-<dedupKey>`, or a readable generated one. The deployment prefix
 * keeps deployments (and test runs) that share a namespace from merging into each other's incidents.
 */
export function incidentWorkflowId(prefix: string, dedupKey: string | undefined, at: Date): string {
  const base = dedupKey ? `incident-${dedupKey}` : `incident-${idTimestamp(at)}-${randomBytes(3).toString('hex')}`;
  return `${prefix}${base}`;
}

/**
 * The incident id behind an API path: a deduplicated incident's id is its workflow id plus its opening time
 * (`incident-db-down-20261122-091500123`), since a resolved key re-opens under the same workflow id.
 */
export function workflowIdOfIncident(id: string): string {
  return /^(.*incident-.+)-\d{8}-\d{9}$/.exec(id)?.[1] ?? id;
}

/** The policy an incident of this severity runs with, from configuration. */
export function policyFor(config: Config, severity: IncidentTrigger['severity']): IncidentPolicy {
  const t = config.notifications.escalation;
  const has = (l: 1 | 2 | 3) => t[l].emails.length + t[l].webhooks.length + t[l].sms.length > 0;
  const levels: EscalationLevel = has(3) ? 3 : has(2) ? 2 : 1;
  return { ...config.incidents.policies[severity], levels, quietHours: config.incidents.quietHours };
}

/** The update's answer when it did not take the trigger: the incident's workflow is finishing or has finished. */
function endedUnder(err: unknown): 'resolved' | 'finished' | undefined {
  if (
    err instanceof WorkflowUpdateFailedError &&
    err.cause instanceof ApplicationFailure &&
    err.cause.type === INVALID_TRANSITION
  )
    return 'resolved';
  if (
    err instanceof WorkflowNotFoundError ||
    (isGrpcServiceError(err) && err.code === 5) ||
    (err instanceof Error && /already completed|workflow execution already/i.test(err.message))
  )
    return 'finished';
  return undefined;
}

/**
 * Opens an incident, or merges the trigger into the open incident with the same dedup key, atomically: a start of
 * `escalateIncident` under the key's workflow id either opens the incident (the start carries its first trigger, and
 * the answer comes once the server has durably accepted it; the workflow mirrors its row and sends the first notice
 * after) or fails because one runs, and the `trigger` update merges into that one. Temporal admits one start per
 * running workflow id, so two concurrent opens with one key give one incident. A key whose incident is resolved (its
 * workflow finishing) opens a new incident. A repeated call with the same `updateId` answers as the first did.
 *
 * @example
 * const { id, deduplicated } = await openIncident(client, config, { title: 'ZOHO 5xx', severity: 'P2', dedupKey: 'zoho-5xx' });
 */
export async function openIncident(
  client: Client,
  config: Config,
  trigger: IncidentTrigger,
  options: {
    message?: string;
    /** The update id (an API Idempotency-Key): a repeated call gets the first call's answer. */
    updateId?: string;
    /** Without a dedup key, names the workflow after the caller's request key, so a retried open opens once. */
    requestKey?: string;
  } = {},
): Promise<OpenIncidentResult> {
  for (let attempt = 0; ; attempt++) {
    const at = new Date();
    const workflowId = incidentWorkflowId(
      config.idPrefix,
      trigger.dedupKey ?? (options.requestKey && `req-${options.requestKey}`),
      at,
    );
    const id = trigger.dedupKey
      ? `${workflowId}-${idTimestamp(at)}${String(at.getUTCMilliseconds()).padStart(3, '0')}`
      : workflowId;
    const input: EscalateIncidentInput = {
      id,
      trigger,
      policy: policyFor(config, trigger.severity),
      incidentUrl: `${config.api.publicUrl.replace(/\/$/, '')}/incidents/${encodeURIComponent(id)}`,
      opening: { key: options.updateId },
    };
    try {
      await client.workflow.start<EscalateIncidentWorkflow>('escalateIncident', {
        workflowId,
        taskQueue: config.taskQueues.main,
        args: [input],
        workflowIdConflictPolicy: 'FAIL',
        staticSummary: `${trigger.severity} incident: ${trigger.title}`,
        typedSearchAttributes: [
          { key: OpsKind, value: 'incident' },
          { key: Severity, value: trigger.severity },
          { key: IncidentStatus, value: 'open' },
        ],
      });
      return { id, workflowId, status: 'open', level: 1, triggerCount: 1, deduplicated: false };
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    }
    // An incident runs under this id: the trigger merges into it.
    const handle = client.workflow.getHandle<EscalateIncidentWorkflow>(workflowId);
    try {
      return await handle.executeUpdate(triggerUpdate, {
        args: [{ message: options.message, key: options.updateId }],
        updateId: options.updateId ? `${options.updateId}-${attempt}` : undefined,
      });
    } catch (err) {
      const ended = endedUnder(err);
      if (!ended || attempt >= 3) throw err;
      // The key's incident was just resolved and its workflow is finishing: once it has, a new one opens.
      if (ended === 'resolved') await handle.result().catch(() => undefined);
    }
  }
}
