import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

/** The API's own Prometheus metrics, in a registry of their own (one per app, so tests can run several). */
export interface ApiMetrics {
  registry: Registry;
  requests: Counter<'method' | 'route' | 'status'>;
  duration: Histogram<'method' | 'route' | 'status'>;
  errors: Counter<'method' | 'route' | 'status'>;
}

/**
 * Creates the API's metrics: requests, latency and errors by method, route template and status, plus the
 * Node.js process metrics (memory, event loop lag, GC) under `opsflow_api_`.
 *
 * @example
 * const metrics = createApiMetrics();
 * metrics.requests.inc({ method: 'GET', route: '/health', status: '200' });
 */
export function createApiMetrics(): ApiMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'opsflow_api_' });
  const labelNames = ['method', 'route', 'status'] as const;
  return {
    registry,
    requests: new Counter({
      name: 'opsflow_api_requests_total',
      help: 'HTTP requests answered, by method, route template and status',
      labelNames,
      registers: [registry],
    }),
    duration: new Histogram({
      name: 'opsflow_api_request_duration_seconds',
      help: 'Time to answer an HTTP request, by method, route template and status',
      labelNames,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    errors: new Counter({
      name: 'opsflow_api_errors_total',
      help: 'HTTP requests answered with a 4xx or 5xx status, by method, route template and status',
      labelNames,
      registers: [registry],
    }),
  };
}
