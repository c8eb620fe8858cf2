import type { ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * The servers `npm start` runs (PostgreSQL, the Temporal dev server) live in process groups of their own, so a
 * Ctrl-C in the terminal reaches Opsflow alone and Opsflow stops them after the workers drained. This module holds
 * what that needs: stopping a server by pid with escalating signals, recognising a server left running by a start
 * that was killed, and naming the process that holds a port.
 */

/** True while a process with this pid exists (a zombie of ours counts until it is reaped). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The command line of a process, arguments joined by spaces; undefined when it is gone or unreadable. */
export function commandLine(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim() || undefined;
  } catch {
    return undefined;
  }
}

/** A signal to send, then how long to wait for the process to exit before the next step. */
export type StopStep = [signal: NodeJS.Signals, waitMs: number];

/**
 * Stops a process that is not our child (found through a pid file): each signal in turn, waiting for the process to
 * go away after each. Resolves true once it is gone.
 *
 * @example
 * await stopPid(4242, [['SIGTERM', 10_000], ['SIGKILL', 5_000]]);
 */
export async function stopPid(pid: number, steps: StopStep[]): Promise<boolean> {
  for (const [signal, waitMs] of steps) {
    try {
      process.kill(pid, signal);
    } catch {
      return true;
    }
    const deadline = Date.now() + waitMs;
    while (Date.now() < deadline) {
      if (!isAlive(pid)) return true;
      await sleep(50);
    }
  }
  return !isAlive(pid);
}

/**
 * Stops a child process with escalating signals and resolves once it exited.
 *
 * @example
 * await stopChild(server, [['SIGINT', 30_000], ['SIGQUIT', 5_000], ['SIGKILL', 5_000]]);
 */
export function stopChild(child: ChildProcess, steps: StopStep[]): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return Promise.resolve();
  return new Promise((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    const next = (i: number) => {
      const step = steps[i];
      if (!step) return;
      child.kill(step[0]);
      timer = setTimeout(() => next(i + 1), step[1]);
    };
    next(0);
  });
}

const running = new Map<ChildProcess, NodeJS.Signals>();
let exitHookInstalled = false;

/**
 * Remembers a server started in its own process group, so that if this process ends without stopping it (an
 * uncaught error, `process.exit` on a path that forgot it) the server is still told to stop. A `kill -9` of this
 * process cannot be caught; the next start finds the server through its pid file and stops it then.
 *
 * @example
 * const child = spawn(bin, args, { detached: true });
 * stopOnExit(child, 'SIGTERM');
 */
export function stopOnExit(child: ChildProcess, signal: NodeJS.Signals): void {
  running.set(child, signal);
  child.once('exit', () => running.delete(child));
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const [c, s] of running) c.kill(s);
  });
}

/** Inodes of the sockets listening on a local TCP port (IPv4 and IPv6). */
function listeningInodes(port: number): string[] {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  const found: string[] = [];
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      // local_address is ADDR:PORT in hex; state 0A is LISTEN; column 10 is the socket's inode.
      if (cols[1]?.endsWith(`:${hex}`) && cols[3] === '0A' && cols[9]) found.push(cols[9]);
    }
  }
  return found;
}

/**
 * Names the process listening on a local TCP port (`pid 123: temporal server start-dev …`), from /proc on Linux;
 * undefined where that cannot be told (another system, a process of another user).
 *
 * @example
 * const who = portHolder(7233); // 'pid 4242: /home/me/.cache/opsflow/temporal server start-dev --port 7233 …'
 */
export function portHolder(port: number): string | undefined {
  const inodes = new Set(listeningInodes(port).map((inode) => `socket:[${inode}]`));
  if (inodes.size === 0) return undefined;
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((p) => /^\d+$/.test(p));
  } catch {
    return undefined;
  }
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        if (inodes.has(readlinkSync(`/proc/${pid}/fd/${fd}`))) {
          const cmd = commandLine(Number(pid)) ?? '(command unknown)';
          return `pid ${pid}: ${cmd.length > 160 ? `${cmd.slice(0, 157)}...` : cmd}`;
        }
      } catch {
        // The descriptor closed while we looked.
      }
    }
  }
  return undefined;
}
