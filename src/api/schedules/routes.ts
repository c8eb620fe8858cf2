import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { ScheduleNotFoundError } from '@temporalio/client';
import { declaredSchedules } from '../../schedules.js';
import { startRun } from '../../temporal/start.js';
import type { ApiDeps } from '../deps.js';
import { ApiError } from '../errors.js';
import { actionRequest, COMMON_ERRORS, jsonResponse, NOT_FOUND } from '../schemas.js';
import { mapTemporalError } from '../temporal-errors.js';

const ScheduleSchema = z
  .object({
    id: z.string(),
    kind: z.string(),
    workflowType: z.string(),
    summary: z.string(),
    paused: z.boolean(),
    note: z.string().optional(),
    timeZone: z.string(),
    overlap: z.string(),
    catchupWindowMs: z.number(),
    pauseOnFailure: z.boolean(),
    nextRunTimes: z.array(z.string()),
    recentRuns: z.array(z.object({ workflowId: z.string(), scheduledAt: z.string() })),
  })
  .openapi('Schedule');

const Id = z.object({ id: z.string().min(1).max(200) });
const Note = z.object({ note: z.string().max(500).optional() }).optional();

const listRoute = createRoute({
  method: 'get',
  path: '/schedules',
  summary: 'The declared schedules with their state and next run times',
  tags: ['schedules'],
  responses: {
    200: jsonResponse(z.object({ schedules: z.array(ScheduleSchema) }), 'Schedules'),
    ...COMMON_ERRORS,
  },
});

const action = (name: 'trigger' | 'pause' | 'unpause', summary: string) =>
  createRoute({
    method: 'post',
    path: `/schedules/{id}/${name}`,
    summary,
    tags: ['schedules'],
    request: actionRequest(Id, Note, false),
    responses: { 200: jsonResponse(ScheduleSchema, 'The schedule now'), ...COMMON_ERRORS, ...NOT_FOUND },
  });

/**
 * Schedules: `GET /schedules` lists the declared ones with next run times; `POST /schedules/:id/trigger`
 * starts a run now, `/pause` and `/unpause` stop and resume the timetable (with an optional `note`).
 *
 * @example
 * app.route('/', scheduleRoutes(deps));
 */
export function scheduleRoutes({ client, config }: Pick<ApiDeps, 'client' | 'config'>) {
  const declared = () => declaredSchedules(config);
  const find = (id: string) => {
    const s = declared().find((d) => d.id === id);
    if (!s)
      throw new ApiError(
        404,
        'not_found',
        `No schedule ${id}; known: ${declared()
          .map((d) => d.id)
          .join(', ')}`,
      );
    return s;
  };
  const describe = async (id: string) => {
    const d = find(id);
    const desc = await client.schedule
      .getHandle(id)
      .describe()
      .catch((err: unknown) => {
        if (err instanceof ScheduleNotFoundError)
          throw new ApiError(404, 'not_found', `Schedule ${id} is not applied yet`);
        return mapTemporalError(err, `schedule ${id}`);
      });
    return {
      id,
      kind: d.kind,
      workflowType: d.workflowType,
      summary: d.summary,
      paused: desc.state.paused,
      note: desc.state.note,
      timeZone: desc.spec.timezone ?? 'UTC',
      overlap: String(desc.policies.overlap),
      catchupWindowMs: desc.policies.catchupWindow,
      pauseOnFailure: desc.policies.pauseOnFailure,
      nextRunTimes: desc.info.nextActionTimes.map((t) => t.toISOString()),
      recentRuns: desc.info.recentActions.map((a) => ({
        workflowId: a.action.workflow.workflowId,
        scheduledAt: a.scheduledAt.toISOString(),
      })),
    };
  };
  return new OpenAPIHono()
    .openapi(listRoute, async (c) => {
      const schedules = await Promise.all(declared().map((d) => describe(d.id)));
      return c.json({ schedules }, 200);
    })
    .openapi(
      action('trigger', 'Start a run now; with an Idempotency-Key, a repeated call starts nothing more'),
      async (c) => {
        const { id } = c.req.valid('param');
        const key = c.req.valid('header')['idempotency-key'];
        await describe(id);
        if (key) {
          // The schedule's own trigger has no request id; a keyed trigger starts the same action once by id.
          const d = find(id);
          await startRun(client, {
            workflow: d.workflowType,
            workflowId: `${d.workflowIdPrefix}-trigger-${key}`,
            taskQueue: config.taskQueues.main,
            kind: d.kind,
            summary: `${d.summary} — triggered`,
            args: [],
            reuseExisting: true,
          });
        } else {
          await client.schedule.getHandle(id).trigger();
        }
        return c.json(await describe(id), 200);
      },
    )
    .openapi(action('pause', 'Pause the schedule (no runs until unpaused)'), async (c) => {
      const { id } = c.req.valid('param');
      const body = c.req.valid('json');
      await describe(id);
      await client.schedule.getHandle(id).pause(body?.note ?? 'Paused through the API');
      return c.json(await describe(id), 200);
    })
    .openapi(action('unpause', 'Resume the schedule'), async (c) => {
      const { id } = c.req.valid('param');
      const body = c.req.valid('json');
      await describe(id);
      await client.schedule.getHandle(id).unpause(body?.note ?? 'Unpaused through the API');
      return c.json(await describe(id), 200);
    });
}
