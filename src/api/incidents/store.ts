import {
  isGrpcServiceError,
  ServiceError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  type Client,
} from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { Pool } from '../../db/pool.js';
import { workflowIdOfIncident } from '../../incidents/open.js';
import type { IncidentState } from '../../incidents/types.js';
import { ApiError } from '../errors.js';
import { mapTemporalError } from '../temporal-errors.js';
import { incidentStatusQuery } from '../../incidents/messages.js';

/** The incident as the API shows it: the workflow's state without its bookkeeping. */
export function view(s: IncidentState) {
  const { rounds: _r, version: _v, cycle: _c, foldedTriggers: _f, openingKey: _k, ...rest } = s;
  return rest;
}

interface Row {
  id: string;
  workflow_id: string;
  dedup_key: string | null;
  title: string;
  description: string | null;
  source: string | null;
  severity: IncidentState['severity'];
  status: IncidentState['status'];
  level: number;
  trigger_count: number;
  opened_at: Date;
  acknowledged_at: Date | null;
  resolved_at: Date | null;
  last_seen_at: Date | null;
  postmortem: IncidentState['postmortem'] | null;
  timeline: IncidentState['timeline'];
  assignee: string | null;
}

/** An incident from the `incidents` mirror (finished incidents whose workflow id now runs a newer one). */
export function fromRow(r: Row) {
  const opt = <T>(v: T | null) => v ?? undefined;
  return {
    id: r.id,
    workflowId: r.workflow_id,
    title: r.title,
    severity: r.severity,
    status: r.status,
    level: r.level,
    triggerCount: r.trigger_count,
    openedAt: r.opened_at.toISOString(),
    lastSeenAt: r.last_seen_at?.toISOString(),
    acknowledgedAt: r.acknowledged_at?.toISOString(),
    resolvedAt: r.resolved_at?.toISOString(),
    assignee: opt(r.assignee),
    description: opt(r.description),
    source: opt(r.source),
    dedupKey: opt(r.dedup_key),
    timeline: r.timeline,
    postmortem: opt(r.postmortem),
  };
}

export async function mirrored(pool: Pool, ids: { id?: string; workflowIds?: string[] }): Promise<Row[]> {
  const { rows } = await pool.query<Row>(
    `SELECT * FROM incidents WHERE id = $1 OR workflow_id = ANY ($2::text[]) ORDER BY opened_at DESC`,
    [ids.id ?? null, ids.workflowIds ?? []],
  );
  return rows;
}

/** How long a read waits for a just-opened incident's workflow to take its first task. */
const FIRST_TASK_WAIT_MS = 10_000;

/** Temporal refuses a query until the workflow's first task has completed (`WorkflowNotReady`). */
function notReady(err: unknown): boolean {
  const grpc = err instanceof ServiceError ? err.cause : err;
  return (
    isGrpcServiceError(grpc) && grpc.code === 9 && /not ready|not completed|first workflow task/i.test(grpc.message)
  );
}

/**
 * The `status` query; an incident is answered as soon as its start is accepted, so a read right after the open may
 * reach the workflow before the worker has run it: that read waits (bounded) for the first task.
 */
async function queryJustOpened(client: Client, workflowId: string): Promise<IncidentState> {
  const handle = client.workflow.getHandle(workflowId);
  const until = Date.now() + FIRST_TASK_WAIT_MS;
  for (let pause = 50; ; pause = Math.min(pause * 2, 500)) {
    try {
      return await handle.query(incidentStatusQuery);
    } catch (err) {
      if (!notReady(err) || Date.now() > until) throw err;
      await new Promise((r) => setTimeout(r, pause));
    }
  }
}

/**
 * Reads an incident: the live state from its workflow's `status` query, or the mirror when the workflow id has
 * since been reused by a newer incident (or its history is gone).
 */
export async function readIncident(client: Client, pool: Pool, id: string) {
  const workflowId = workflowIdOfIncident(id);
  let notFound: unknown;
  try {
    const s = await queryJustOpened(client, workflowId);
    if (s.id === id) return { live: true as const, incident: view(s) };
  } catch (err) {
    notFound = err;
  }
  const [row] = await mirrored(pool, { id });
  if (row) return { live: false as const, incident: fromRow(row) };
  return mapTemporalError(notFound ?? new ApiError(404, 'not_found', `No incident ${id}`), `incident ${id}`);
}

/**
 * Sends an update to an incident with the Idempotency-Key as the update id (a repeat gets the first answer).
 * A validator's refusal is a 409 (`InvalidTransition`) or a 400 naming the field (`ValidationFailed`).
 */
export async function updateIncident(
  client: Client,
  pool: Pool,
  id: string,
  update: string,
  arg: unknown,
  updateId?: string,
): Promise<IncidentState> {
  const current = await readIncident(client, pool, id);
  if (!current.live) throw new ApiError(409, 'invalid_transition', `incident ${id} is ${current.incident.status}`);
  try {
    return await client.workflow
      .getHandle(current.incident.workflowId)
      .executeUpdate<IncidentState, [unknown]>(update, { args: [arg], updateId });
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError) {
      const cause = err.cause;
      if (cause instanceof ApplicationFailure && cause.type === 'ValidationFailed') {
        const fields = (cause.details?.[0] as { fields?: string[] } | undefined)?.fields ?? [];
        throw new ApiError(400, 'validation_failed', cause.message, {
          fields: fields.map((f) => ({ field: `json.${f}`, message: 'required' })),
        });
      }
      throw new ApiError(409, 'invalid_transition', cause?.message ?? err.message);
    }
    // It was just read, so "not found" now means its workflow has finished: the incident is resolved.
    if (
      err instanceof WorkflowNotFoundError ||
      (isGrpcServiceError(err) && err.code === 5) ||
      (err instanceof Error && /already completed|workflow execution already/i.test(err.message))
    ) {
      throw new ApiError(409, 'invalid_transition', `incident ${id} is resolved`);
    }
    return mapTemporalError(err, `incident ${id}`);
  }
}
