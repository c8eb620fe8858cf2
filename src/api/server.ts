import { serve, type ServerType } from '@hono/node-server';
import type { App } from './app.js';

/**
 * Serves the app over HTTP and resolves once it listens.
 *
 * @example
 * const server = await listen(app, { host: '127.0.0.1', port: 3000 });
 */
export function listen(app: App, options: { host: string; port: number }): Promise<ServerType & { url: string }> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: app.fetch, hostname: options.host, port: options.port }, (info) => {
      resolve(Object.assign(server, { url: `http://${options.host}:${info.port}` }));
    });
    server.once('error', reject);
  });
}

/** How long requests in progress get to finish when the API stops. */
export const API_CLOSE_GRACE_MS = 5_000;

/**
 * Stops accepting connections, closes idle keep-alive sockets, and after `graceMs` closes the connections of
 * requests still in progress, so a stop never waits on a slow client.
 */
export function close(server: ServerType, graceMs = API_CLOSE_GRACE_MS): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      if ('closeAllConnections' in server) server.closeAllConnections();
    }, graceMs);
    server.close(() => {
      clearTimeout(timer);
      resolve();
    });
    if ('closeIdleConnections' in server) server.closeIdleConnections();
  });
}
