import type { MiddlewareHandler } from 'hono';
import { routePath } from 'hono/route';
import type { Logger } from '../logger.js';
import type { ApiMetrics } from '../metrics.js';

/**
 * Counts and times every request by route template (never the raw path, so ids do not explode the label set)
 * and writes one log line per request. Registered first, so it also sees refusals from later middleware.
 *
 * @example
 * app.use('*', requestMetrics(metrics, log));
 */
export function requestMetrics(metrics: ApiMetrics, log: Logger): MiddlewareHandler {
  return async (c, next) => {
    const started = performance.now();
    try {
      await next();
    } finally {
      const matched = routePath(c, -1);
      const labels = {
        method: c.req.method,
        route: matched === '*' ? '(unmatched)' : matched,
        status: String(c.res.status),
      };
      const seconds = (performance.now() - started) / 1000;
      metrics.requests.inc(labels);
      metrics.duration.observe(labels, seconds);
      if (c.res.status >= 400) metrics.errors.inc(labels);
      log.info({ ...labels, durationMs: Math.round(seconds * 1000) }, 'request');
    }
  };
}

/**
 * `GET /metrics` in Prometheus text format: the API's own metrics, followed by the Temporal SDK runtime's (worker
 * task slots, poll latencies, workflow and activity outcomes) read from `sdkUrl` when configured. Merging keeps one
 * scrape target per process; the SDK's metric names (`temporal_*`) never collide with ours (`opsflow_*`).
 *
 * @example
 * app.get('/metrics', metricsHandler(metrics, config.metrics.sdkUrl));
 */
export function metricsHandler(metrics: ApiMetrics, sdkUrl?: string): MiddlewareHandler {
  return async (c) => {
    const own = await metrics.registry.metrics();
    let sdk = '';
    if (sdkUrl) {
      const res = await fetch(sdkUrl, { signal: AbortSignal.timeout(2000) }).catch(() => undefined);
      const up = res?.ok ? 1 : 0;
      sdk = [
        '# HELP opsflow_sdk_metrics_up Whether the Temporal SDK runtime metrics could be read for this scrape',
        '# TYPE opsflow_sdk_metrics_up gauge',
        `opsflow_sdk_metrics_up ${up}`,
        res?.ok ? await res.text() : '',
      ].join('\n');
    }
    return c.body(`${own}\n${sdk}`, 200, { 'content-type': metrics.registry.contentType });
  };
}
