import { connect, createServer } from 'node:net';
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

/**
 * A port the operating system reports free, and keeps from handing out again for a while: the port is connected to
 * once and the listening side closes the connection first, so the closed connection waits in TIME_WAIT on that port
 * (a minute on Linux). Meanwhile the kernel gives the port to nobody who asks for any free port (the Temporal dev
 * server picks its internal services' ports that way while the other parts of a stack start), yet the service it
 * was picked for can still listen on it by number.
 */
export async function freePort(): Promise<number> {
  const server = createServer((socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  await new Promise<void>((resolve) => {
    const client = connect(port, '127.0.0.1');
    client.once('close', () => resolve());
    client.once('error', () => resolve());
  });
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
