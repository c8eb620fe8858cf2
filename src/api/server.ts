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

/** Stops accepting connections and closes idle keep-alive sockets. */
export function close(server: ServerType): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    if ('closeIdleConnections' in server) server.closeIdleConnections();
  });
}
