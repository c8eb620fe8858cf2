import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { openIncident } from '../../incidents/open.js';
import type { ApiDeps } from '../deps.js';
import { actionRequest, actionResponses, COMMON_ERRORS, creationRequest, jsonResponse, NOT_FOUND } from '../schemas.js';
import {
  ActorBody,
  Incident,
  IncidentId,
  IncidentSummary,
  ListQuery,
  NoteBody,
  OpenIncidentBody,
  Opened,
  ReassignBody,
  ResolveBody,
  SnoozeBody,
} from './schemas.js';
import { fromRow, mirrored, readIncident, updateIncident, view } from './store.js';

const openRoute = createRoute({
  method: 'post',
  path: '/incidents',
  summary: 'Open an incident, or merge into the open one with the same dedup key',
  tags: ['incidents'],
  request: creationRequest(OpenIncidentBody),
  responses: {
    201: jsonResponse(Opened, 'Opened; escalation started'),
    200: jsonResponse(Opened, 'Merged into the open incident with this dedup key (`deduplicated: true`)'),
    ...COMMON_ERRORS,
  },
});

const listRoute = createRoute({
  method: 'get',
  path: '/incidents',
  summary: 'List incidents by status and severity (from Temporal visibility)',
  tags: ['incidents'],
  request: { query: ListQuery },
  responses: { 200: jsonResponse(z.object({ incidents: z.array(IncidentSummary) }), 'Newest first'), ...COMMON_ERRORS },
});

const getRoute = createRoute({
  method: 'get',
  path: '/incidents/{id}',
  summary: 'Read an incident: status, level, timeline, postmortem',
  tags: ['incidents'],
  request: { params: z.object({ id: IncidentId }) },
  responses: { 200: jsonResponse(Incident, 'The incident'), ...COMMON_ERRORS, ...NOT_FOUND },
});

/** The incident actions: path, the workflow update it sends, and its body. */
const ACTIONS = [
  ['acknowledge', 'acknowledge', ActorBody, 'Acknowledge: stops escalation'],
  [
    'resolve',
    'resolve',
    ResolveBody,
    'Resolve with the postmortem (root cause, resolution, prevention, customer impact)',
  ],
  ['escalate', 'escalate', ActorBody, 'Escalate to the next level now'],
  ['snooze', 'snooze', SnoozeBody, 'Hold notifications for `seconds`, then notify the current level again'],
  ['notes', 'addNote', NoteBody, 'Add a note to the timeline'],
  ['reassign', 'reassign', ReassignBody, 'Assign to someone (an email address also gets the notices)'],
] as const;

function actionRoute(path: string, body: z.ZodType, summary: string) {
  return createRoute({
    method: 'post',
    path: `/incidents/{id}/${path}`,
    summary,
    tags: ['incidents'],
    request: actionRequest(z.object({ id: IncidentId }), body),
    responses: actionResponses(Incident),
  });
}

/**
 * Incidents (DESIGN.md §7): open (dedup merge), list through visibility, read, and the operator actions, each a
 * workflow update with the `Idempotency-Key` as its update id.
 *
 * @example
 * app.route('/', incidentRoutes(deps));
 */
export function incidentRoutes({ client, config, pool }: Pick<ApiDeps, 'client' | 'config' | 'pool'>) {
  const app = new OpenAPIHono()
    .openapi(openRoute, async (c) => {
      const body = c.req.valid('json');
      const key = c.req.valid('header')['idempotency-key'];
      const opened = await openIncident(client, config, body, {
        updateId: key,
        requestKey: key,
        message: body.description,
      });
      return c.json(opened, opened.deduplicated ? 200 : 201);
    })
    .openapi(listRoute, async (c) => {
      const { status, severity, limit } = c.req.valid('query');
      const clauses = [`OpsKind = 'incident'`, `ExecutionStatus != 'ContinuedAsNew'`];
      if (status) clauses.push(`IncidentStatus = '${status}'`);
      if (severity) clauses.push(`Severity = '${severity}'`);
      const runs: Array<{ workflowId: string; startTime: Date; status: string; severity: string }> = [];
      for await (const w of client.workflow.list({ query: clauses.join(' AND '), pageSize: limit })) {
        const attrs = w.typedSearchAttributes;
        runs.push({
          workflowId: w.workflowId,
          startTime: w.startTime,
          status: String(attrs.getAll().find((p) => p.key.name === 'IncidentStatus')?.value ?? 'open'),
          severity: String(attrs.getAll().find((p) => p.key.name === 'Severity')?.value ?? ''),
        });
        if (runs.length >= limit) break;
      }
      // The mirror adds what visibility does not hold (id, title, level, count): the incident a run belongs to
      // is the newest one of its workflow id opened by the time the run started.
      const rows = await mirrored(pool, { workflowIds: runs.map((r) => r.workflowId) });
      const incidents = runs.map((r) => {
        const row = rows.find(
          (x) => x.workflow_id === r.workflowId && x.opened_at.getTime() <= r.startTime.getTime() + 5000,
        );
        const base = row ? fromRow(row) : undefined;
        return {
          id: base?.id ?? r.workflowId,
          workflowId: r.workflowId,
          title: base?.title ?? '',
          severity: r.severity as z.infer<typeof IncidentSummary>['severity'],
          status: r.status as z.infer<typeof IncidentSummary>['status'],
          level: base?.level ?? 1,
          triggerCount: base?.triggerCount ?? 1,
          openedAt: base?.openedAt ?? r.startTime.toISOString(),
        };
      });
      return c.json({ incidents }, 200);
    })
    .openapi(getRoute, async (c) => {
      const { incident } = await readIncident(client, pool, c.req.valid('param').id);
      return c.json(incident, 200);
    });
  for (const [path, update, body, summary] of ACTIONS) {
    app.openapi(actionRoute(path, body, summary), async (c) => {
      const { id } = c.req.valid('param');
      const key = c.req.valid('header')['idempotency-key'];
      const state = await updateIncident(client, pool, id, update, c.req.valid('json'), key);
      return c.json(view(state), 200);
    });
  }
  return app;
}
