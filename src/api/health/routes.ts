import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { ApiDeps } from '../deps.js';
import { jsonResponse } from '../schemas.js';

const Check = z.object({ status: z.enum(['ok', 'down']), latencyMs: z.number(), error: z.string().optional() });
const HealthSchema = z
  .object({ status: z.enum(['ok', 'degraded']), checks: z.object({ temporal: Check, database: Check }) })
  .openapi('Health');

const route = createRoute({
  method: 'get',
  path: '/health',
  summary: 'Health of the API and its dependencies (no authentication)',
  tags: ['health'],
  // Load balancers and orchestrators probe it without a token.
  security: [],
  responses: {
    200: jsonResponse(HealthSchema, 'Every dependency answers'),
    503: jsonResponse(HealthSchema, 'A dependency is down'),
  },
});

async function probe(check: () => Promise<unknown>, timeoutMs: number): Promise<z.infer<typeof Check>> {
  const started = performance.now();
  try {
    await Promise.race([
      check(),
      new Promise((_, reject) =>
        setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs).unref(),
      ),
    ]);
    return { status: 'ok', latencyMs: Math.round(performance.now() - started) };
  } catch (err) {
    return { status: 'down', latencyMs: Math.round(performance.now() - started), error: (err as Error).message };
  }
}

/**
 * `GET /health`: 200 when Temporal and the database answer, 503 otherwise.
 *
 * @example
 * app.route('/', healthRoutes(deps));
 */
export function healthRoutes({ client, pool }: Pick<ApiDeps, 'client' | 'pool'>) {
  return new OpenAPIHono().openapi(route, async (c) => {
    const [temporal, database] = await Promise.all([
      // The deadline also ends the client's own retries: a probe must not keep calling a server that is away.
      probe(() => client.withDeadline(Date.now() + 3000, () => client.workflowService.getSystemInfo({})), 3000),
      probe(() => pool.query('SELECT 1'), 3000),
    ]);
    const ok = temporal.status === 'ok' && database.status === 'ok';
    return c.json(
      { status: ok ? ('ok' as const) : ('degraded' as const), checks: { temporal, database } },
      ok ? 200 : 503,
    );
  });
}
