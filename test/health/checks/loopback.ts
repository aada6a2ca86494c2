/**
 * Helpers for the tests of the dependency checks (HTTP, TCP, gRPC, DNS) against real servers on
 * 127.0.0.1: counting the sockets the process holds, a port nobody listens on, timers fired by
 * hand, and a registration whose runs the test can await even after the manager dropped them.
 */
import net from 'node:net';
import type { AddressInfo, Socket } from 'node:net';
import { afterAll, beforeAll, vi } from 'vitest';
import type { CheckRegistration, HealthTimers } from '../../../src/health/check-types.js';

/**
 * Call at the top of a test file. The checks unref their sockets (a background run must not hold
 * the process), which hides them from process.getActiveResourcesInfo(); with Socket#unref() made a
 * no-op for the file, every open socket is counted by openSockets(). `unrefs()` counts the calls,
 * so a test can still assert that the check makes them.
 */
export function countUnrefdSockets(): { unrefs(): number } {
  let spy: ReturnType<typeof vi.spyOn> | undefined;
  beforeAll(() => {
    spy = vi.spyOn(net.Socket.prototype, 'unref').mockImplementation(function (this: Socket) {
      return this;
    });
  });
  afterAll(() => spy?.mockRestore());
  return { unrefs: () => spy?.mock.calls.length ?? 0 };
}

/** TCP sockets the process holds open now: both ends of an in-process loopback connection count. */
export function openSockets(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap').length;
}

/** A port that refuses connections: bound, then closed again. */
export async function refusedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface TrackedServer {
  port: number;
  /** Server-side sockets open now. */
  readonly open: number;
  /** Resolves with the next connection accepted (or the one already waiting). */
  accepted(): Promise<Socket>;
  close(): Promise<void>;
}

/** Tracks the sockets a server accepts; `server` must not be listening yet. */
export async function track(server: net.Server): Promise<TrackedServer> {
  const sockets = new Set<Socket>();
  const waiting: Socket[] = [];
  const waiters: ((s: Socket) => void)[] = [];
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    const waiter = waiters.shift();
    if (waiter) waiter(socket);
    else waiting.push(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    get open() {
      return sockets.size;
    },
    accepted: () => {
      const socket = waiting.shift();
      return socket ? Promise.resolve(socket) : new Promise((resolve) => waiters.push(resolve));
    },
    /** Resolves once every socket it accepted has closed too, so none is left for the next test. */
    close: async () => {
      const closing = [...sockets].map((s) => new Promise((resolve) => s.once('close', resolve)));
      for (const s of sockets) s.destroy();
      await Promise.all([...closing, new Promise<void>((resolve) => server.close(() => resolve()))]);
    },
  };
}

/** A TCP server that accepts connections and never says a word. */
export function silentServer(): Promise<TrackedServer> {
  return track(net.createServer());
}

export interface ManualTimers {
  timers: HealthTimers;
  /** Fires every pending timer now (the checks' timeouts). */
  fireAll(): void;
  readonly pending: number;
}

export function manualTimers(): ManualTimers {
  const pending = new Map<number, () => void>();
  let next = 0;
  return {
    timers: {
      setTimeout(callback) {
        pending.set(++next, callback);
        return next;
      },
      clearTimeout(handle) {
        pending.delete(handle as number);
      },
    },
    fireAll() {
      for (const [handle, callback] of [...pending]) {
        pending.delete(handle);
        callback();
      }
    },
    get pending() {
      return pending.size;
    },
  };
}

/**
 * The registration with every run's own promise kept: the manager drops a timed-out run, the test
 * awaits it to see the check release its socket. A rejection settles as the error.
 */
export function withRuns(registration: CheckRegistration): { registration: CheckRegistration; runs: Promise<unknown>[] } {
  const runs: Promise<unknown>[] = [];
  const check = registration.check;
  return {
    runs,
    registration: {
      ...registration,
      check: (signal) => {
        const run = Promise.resolve(check(signal));
        runs.push(run.catch((error: unknown) => error));
        return run;
      },
    },
  };
}
