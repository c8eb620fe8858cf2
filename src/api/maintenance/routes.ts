import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { randomBytes } from 'node:crypto';
import { SEVERITIES } from '../../incidents/policy.js';
import type { AuthEnv } from '../auth.js';
import type { ApiDeps } from '../deps.js';
import { ApiError } from '../errors.js';
import { COMMON_ERRORS, creationRequest, jsonResponse, NOT_FOUND } from '../schemas.js';

const CreateBody = z
  .object({
    startsAt: z.iso.datetime({ offset: true }).optional().openapi({ description: 'Default: now' }),
    endsAt: z.iso.datetime({ offset: true }).openapi({ example: '2026-11-22T23:00:00Z' }),
    reason: z.string().trim().min(1, 'required').max(500).openapi({ example: 'PostgreSQL upgrade' }),
    severities: z.array(z.enum(SEVERITIES)).min(1).optional().openapi({ description: 'Default: every severity' }),
    sources: z.array(z.string().min(1).max(100)).min(1).optional().openapi({ description: 'Default: every source' }),
  })
  .refine((b) => Date.parse(b.endsAt) > (b.startsAt ? Date.parse(b.startsAt) : Date.now()), {
    path: ['endsAt'],
    message: 'must be later than startsAt (and than now)',
  })
  .openapi('CreateMaintenanceWindow');

const Window = z
  .object({
    id: z.string(),
    startsAt: z.string(),
    endsAt: z.string(),
    reason: z.string(),
    severities: z.array(z.string()).nullable(),
    sources: z.array(z.string()).nullable(),
    createdBy: z.string(),
    active: z.boolean(),
  })
  .openapi('MaintenanceWindow');

const Id = z.object({ id: z.string().min(1).max(200) });

interface Row {
  id: string;
  starts_at: Date;
  ends_at: Date;
  reason: string;
  severities: string[] | null;
  sources: string[] | null;
  created_by: string;
}
const toWindow = (r: Row) => ({
  id: r.id,
  startsAt: r.starts_at.toISOString(),
  endsAt: r.ends_at.toISOString(),
  reason: r.reason,
  severities: r.severities,
  sources: r.sources,
  createdBy: r.created_by,
  active: r.starts_at.getTime() <= Date.now() && r.ends_at.getTime() > Date.now(),
});

/**
 * Maintenance windows: while one is active, matching open incidents hold their escalation (each incident checks
 * at its next deadline) and resume when it ends or is deleted.
 *
 * @example
 * app.route('/', maintenanceRoutes(deps));
 */
export function maintenanceRoutes({ pool }: Pick<ApiDeps, 'pool'>) {
  return new OpenAPIHono<AuthEnv>()
    .openapi(
      createRoute({
        method: 'post',
        path: '/maintenance-windows',
        summary: 'Create a maintenance window',
        tags: ['maintenance'],
        request: creationRequest(CreateBody),
        responses: {
          201: jsonResponse(Window, 'Created (or the one created before with this Idempotency-Key)'),
          ...COMMON_ERRORS,
        },
      }),
      async (c) => {
        const b = c.req.valid('json');
        const key = c.req.valid('header')['idempotency-key'];
        const id = key ? `mw-${key}` : `mw-${randomBytes(5).toString('hex')}`;
        await pool.query(
          `INSERT INTO maintenance_windows (id, starts_at, ends_at, reason, severities, sources, created_by)
           VALUES ($1, coalesce($2::timestamptz, now()), $3, $4, $5, $6, $7) ON CONFLICT (id) DO NOTHING`,
          [
            id,
            b.startsAt ?? null,
            b.endsAt,
            b.reason,
            b.severities ?? null,
            b.sources ?? null,
            c.get('principal').actor,
          ],
        );
        const { rows } = await pool.query<Row>('SELECT * FROM maintenance_windows WHERE id = $1', [id]);
        return c.json(toWindow(rows[0]!), 201);
      },
    )
    .openapi(
      createRoute({
        method: 'get',
        path: '/maintenance-windows',
        summary: 'List maintenance windows that have not ended (all with `?all=true`)',
        tags: ['maintenance'],
        request: { query: z.object({ all: z.enum(['true', 'false']).optional() }) },
        responses: { 200: jsonResponse(z.object({ windows: z.array(Window) }), 'By start time'), ...COMMON_ERRORS },
      }),
      async (c) => {
        const all = c.req.valid('query').all === 'true';
        const { rows } = await pool.query<Row>(
          `SELECT * FROM maintenance_windows WHERE $1 OR ends_at > now() ORDER BY starts_at LIMIT 500`,
          [all],
        );
        return c.json({ windows: rows.map(toWindow) }, 200);
      },
    )
    .openapi(
      createRoute({
        method: 'delete',
        path: '/maintenance-windows/{id}',
        summary: 'Delete a maintenance window; held incidents resume at their next check',
        tags: ['maintenance'],
        request: { params: Id },
        responses: { 204: { description: 'Deleted' }, ...COMMON_ERRORS, ...NOT_FOUND },
      }),
      async (c) => {
        const { rowCount } = await pool.query('DELETE FROM maintenance_windows WHERE id = $1', [
          c.req.valid('param').id,
        ]);
        if (!rowCount) throw new ApiError(404, 'not_found', `No maintenance window ${c.req.valid('param').id}`);
        return c.body(null, 204);
      },
    );
}
