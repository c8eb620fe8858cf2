import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { randomBytes } from 'node:crypto';
import { ZOHO_ENTITIES } from '../../backfill/entities.js';
import { recordIdsByEntity, type FailedRecord } from '../../reports/failed-syncs.js';
import { renderHtml } from '../../reports/html.js';
import { renderMarkdown } from '../../reports/markdown.js';
import { withLinkToken } from '../../notifications/index.js';
import { listReports, loadReport } from '../../reports/store.js';
import { reportTables, toCsv } from '../../reports/tables.js';
import type { Report } from '../../reports/types.js';
import { Integration } from '../../temporal/search-attributes.js';
import { idTimestamp, startRun } from '../../temporal/start.js';
import type { backfill, BackfillInput } from '../../workflows/backfill/backfill.js';
import { backfillStatusQuery } from '../../workflows/backfill/messages.js';
import type { ApiDeps } from '../deps.js';
import { ApiError } from '../errors.js';
import { COMMON_ERRORS, IdempotencyHeaders, jsonResponse, NOT_FOUND } from '../schemas.js';

const Listing = z
  .object({
    id: z.string(),
    kind: z.string(),
    health: z.string().nullable(),
    runId: z.string().nullable(),
    periodStart: z.string().nullable(),
    periodEnd: z.string().nullable(),
    createdAt: z.string(),
  })
  .openapi('ReportListing');

const listRoute = createRoute({
  method: 'get',
  path: '/reports',
  summary: 'List runbook reports, newest first',
  tags: ['reports'],
  request: {
    query: z.object({
      kind: z.enum(['daily', 'weekly', 'monthly']).optional(),
      limit: z.coerce.number().int().min(1).max(200).default(50),
    }),
  },
  responses: {
    200: jsonResponse(z.object({ reports: z.array(Listing) }), 'Reports'),
    ...COMMON_ERRORS,
  },
});

const ReportId = z.string().min(1).max(200);

const getRoute = createRoute({
  method: 'get',
  path: '/reports/{id}',
  summary:
    'One report as JSON, HTML (with charts) or Markdown, chosen by the Accept header or `format`; one of its tables ' +
    'as CSV with `format=csv&table=<name>` (the JSON lists the tables)',
  tags: ['reports'],
  request: {
    params: z.object({ id: ReportId }),
    query: z.object({
      format: z.enum(['json', 'html', 'markdown', 'csv']).optional(),
      table: z.string().min(1).max(100).optional().openapi({ description: 'With format=csv: the table to export' }),
      link: z
        .string()
        .max(2000)
        .optional()
        .openapi({ description: "The report email's signed link: opens this report without a bearer token" }),
    }),
  },
  responses: {
    200: {
      description: 'The report',
      content: {
        'application/json': { schema: z.object({}).passthrough().openapi('Report') },
        'text/html': { schema: z.string() },
        'text/markdown': { schema: z.string() },
        'text/csv': { schema: z.string() },
      },
    },
    ...COMMON_ERRORS,
    ...NOT_FOUND,
  },
});

const retryRoute = createRoute({
  method: 'post',
  path: '/reports/{id}/retry-failed/{entity}',
  summary:
    "Retry exactly the failed records a daily report lists for one entity: a ZOHO backfill in `failed` mode over those records' ids",
  tags: ['reports'],
  request: {
    params: z.object({ id: ReportId, entity: z.enum(ZOHO_ENTITIES) }),
    headers: IdempotencyHeaders,
  },
  responses: {
    201: jsonResponse(
      z.object({ id: z.string(), workflowId: z.string(), status: z.string(), records: z.array(z.number()) }),
      'The backfill started',
    ),
    ...COMMON_ERRORS,
    ...NOT_FOUND,
  },
});

/** Picks the representation the client prefers among JSON, HTML and Markdown (JSON when it does not say). */
export function preferredFormat(accept: string | undefined): 'json' | 'html' | 'markdown' {
  const ranked = (accept ?? '')
    .split(',')
    .map((part, i) => {
      const [type = '', ...params] = part.trim().toLowerCase().split(';');
      const q = Number(
        params
          .map((p) => p.trim())
          .find((p) => p.startsWith('q='))
          ?.slice(2) ?? 1,
      );
      return { type: type.trim(), q: Number.isFinite(q) ? q : 0, i };
    })
    .filter((r) => r.q > 0)
    .sort((a, b) => b.q - a.q || a.i - b.i);
  for (const { type } of ranked) {
    if (type === 'text/html') return 'html';
    if (type === 'text/markdown' || type === 'text/x-markdown') return 'markdown';
    if (type === 'application/json' || type === '*/*' || type === 'application/*') return 'json';
  }
  return 'json';
}

/**
 * Runbook reports: `GET /reports?kind=` lists them; `GET /reports/:id` answers JSON, HTML or Markdown by `Accept`
 * (or `format`), or one table as CSV; `POST /reports/:id/retry-failed/:entity` retries the failed records a daily
 * report lists for that entity.
 *
 * @example
 * app.route('/', reportRoutes(deps));
 */
export function reportRoutes({ pool, client, config }: Pick<ApiDeps, 'pool' | 'client' | 'config'>) {
  async function reportOf(id: string): Promise<Report> {
    const report = await loadReport(pool, id);
    if (!report) throw new ApiError(404, 'not_found', `No report ${id}`);
    return report;
  }

  return new OpenAPIHono()
    .openapi(listRoute, async (c) => {
      const { kind, limit } = c.req.valid('query');
      return c.json({ reports: await listReports(pool, kind, limit) }, 200);
    })
    .openapi(getRoute, async (c) => {
      const { id } = c.req.valid('param');
      const { format, table, link } = c.req.valid('query');
      const report = await reportOf(id);
      const tables = reportTables(report);
      c.header('vary', 'Accept');
      switch (format ?? preferredFormat(c.req.header('accept'))) {
        case 'csv': {
          if (!table) throw new ApiError(400, 'validation_failed', 'query.table: required with format=csv');
          const found = tables.find((t) => t.name === table);
          if (!found) {
            throw new ApiError(404, 'not_found', `table: report ${id} has no table ${table}`, {
              field: 'query.table',
              tables: tables.map((t) => t.name),
            });
          }
          return c.body(toCsv(found), 200, {
            'content-type': 'text/csv; charset=utf-8; header=present',
            'content-disposition': `attachment; filename="${id}-${found.name}.csv"`,
          });
        }
        case 'html': {
          const path = `/reports/${encodeURIComponent(id)}`;
          const page = renderHtml(report, { link: path });
          // Opened through the email's signed link: its CSV links carry the link too.
          return c.html(link ? withLinkToken(page, path, link, true) : page, 200);
        }
        case 'markdown':
          return c.body(renderMarkdown(report), 200, { 'content-type': 'text/markdown; charset=utf-8' });
        default:
          return c.json(
            {
              ...(report as unknown as Record<string, unknown>),
              tables: tables.map((t) => ({
                name: t.name,
                section: t.section,
                columns: t.columns,
                rows: t.rows.length,
                csv: `/reports/${encodeURIComponent(id)}?format=csv&table=${encodeURIComponent(t.name)}`,
              })),
            },
            200,
          );
      }
    })
    .openapi(retryRoute, async (c) => {
      const { id, entity } = c.req.valid('param');
      const key = c.req.valid('header')['idempotency-key'];
      const report = await reportOf(id);
      const listed = report.figures.failedRecords as FailedRecord[] | undefined;
      const records = recordIdsByEntity(listed ?? [])[entity];
      if (!records?.length) {
        throw new ApiError(404, 'not_found', `entity: report ${id} lists no failed ${entity}`, { field: 'entity' });
      }
      const workflowId = key
        ? `backfill-zoho-${key}`
        : `backfill-zoho-${idTimestamp(new Date())}-${randomBytes(3).toString('hex')}`;
      const input: BackfillInput = {
        integration: 'zoho',
        entities: [entity],
        mode: 'failed',
        recordIds: { [entity]: records },
      };
      const { handle } = await startRun<typeof backfill>(client, {
        workflow: 'backfill',
        workflowId,
        taskQueue: config.taskQueues.main,
        kind: 'backfill',
        summary: `Backfill: retry the ${records.length} failed ${entity} of report ${id}`,
        args: [input],
        searchAttributes: [{ key: Integration, value: 'zoho' }],
        reuseExisting: Boolean(key),
      });
      const status = await handle
        .query(backfillStatusQuery)
        .then((st) => st.status)
        .catch(() => 'running' as const);
      return c.json({ id: handle.workflowId, workflowId: handle.workflowId, status, records }, 201);
    });
}
