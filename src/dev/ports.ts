import { createServer } from 'node:net';
import { portHolder } from './processes.js';

/** Resolves true when nothing listens on `host:port`. */
export function isPortFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

/**
 * Fails with a message naming the process that holds it and the setting to change when a port Opsflow wants to
 * start a service on is taken, so a foreign process is never mistaken for the service just started.
 */
export async function assertPortFree(port: number, what: string, setting: string): Promise<void> {
  if (!(await isPortFree(port))) {
    const holder = portHolder(port);
    const by = holder ? ` by ${holder}` : '';
    throw new Error(`Port ${port} for ${what} is already in use${by}. Stop that process or set ${setting}.`);
  }
}

/** A port the operating system reports free right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
