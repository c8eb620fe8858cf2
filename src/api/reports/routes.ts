import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { renderHtml } from '../../reports/html.js';
import { renderMarkdown } from '../../reports/markdown.js';
import { listReports, loadReport } from '../../reports/store.js';
import type { ApiDeps } from '../deps.js';
import { ApiError } from '../errors.js';
import { COMMON_ERRORS, NOT_FOUND } from '../schemas.js';

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
    200: {
      description: 'Reports',
      content: { 'application/json': { schema: z.object({ reports: z.array(Listing) }) } },
    },
    ...COMMON_ERRORS,
  },
});

const getRoute = createRoute({
  method: 'get',
  path: '/reports/{id}',
  summary: 'One report as JSON, HTML (with charts) or Markdown, chosen by the Accept header',
  tags: ['reports'],
  request: { params: z.object({ id: z.string().min(1).max(200) }) },
  responses: {
    200: {
      description: 'The report',
      content: {
        'application/json': { schema: z.object({}).passthrough().openapi('Report') },
        'text/html': { schema: z.string() },
        'text/markdown': { schema: z.string() },
      },
    },
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
 * Runbook reports: `GET /reports?kind=` lists them; `GET /reports/:id` answers JSON, HTML or Markdown by `Accept`.
 *
 * @example
 * app.route('/', reportRoutes(deps));
 */
export function reportRoutes({ pool }: Pick<ApiDeps, 'pool'>) {
  return new OpenAPIHono()
    .openapi(listRoute, async (c) => {
      const { kind, limit } = c.req.valid('query');
      return c.json({ reports: await listReports(pool, kind, limit) }, 200);
    })
    .openapi(getRoute, async (c) => {
      const { id } = c.req.valid('param');
      const report = await loadReport(pool, id);
      if (!report) throw new ApiError(404, 'not_found', `No report ${id}`);
      c.header('vary', 'Accept');
      switch (preferredFormat(c.req.header('accept'))) {
        case 'html':
          return c.html(renderHtml(report), 200);
        case 'markdown':
          return c.body(renderMarkdown(report), 200, { 'content-type': 'text/markdown; charset=utf-8' });
        default:
          return c.json(report as unknown as Record<string, unknown>, 200);
      }
    });
}
