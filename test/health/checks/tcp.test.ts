import { describe, expect, it } from 'vitest';
import type { CheckResult } from '../../../src/health/check-types.js';
import { tcpCheck } from '../../../src/health/checks/tcp.js';
import { HealthCheckManager } from '../../../src/health/manager.js';
import { countUnrefdSockets, manualTimers, openSockets, refusedPort, silentServer, withRuns } from './loopback.js';

const sockets = countUnrefdSockets();

function runCheck(registration: { check: (signal: AbortSignal) => unknown }, signal = new AbortController().signal): Promise<CheckResult> {
  return Promise.resolve(registration.check(signal)) as Promise<CheckResult>;
}

describe('tcpCheck', () => {
  it('is healthy once connected, and closes its socket before the run settles', async () => {
    const server = await silentServer();
    try {
      const clients = openSockets() - server.open;
      const unrefs = sockets.unrefs();
      expect(await runCheck(tcpCheck({ name: 'db', host: '127.0.0.1', port: server.port }))).toEqual({ status: 'healthy', message: 'connected' });
      expect(openSockets() - server.open).toBe(clients);
      expect(sockets.unrefs()).toBe(unrefs + 1); // a background run does not hold the process
      const accepted = await server.accepted();
      // The server sees the connection end: the check does not hold it.
      if (!accepted.closed) await new Promise((resolve) => accepted.once('close', resolve));
    } finally {
      await server.close();
    }
  });

  it('a refused port is unhealthy by its error code, without the address', async () => {
    const port = await refusedPort();
    const health = new HealthCheckManager();
    health.register(tcpCheck({ name: 'db', host: '127.0.0.1', port }));
    const before = openSockets();
    const { components } = await health.runAll();
    expect(openSockets()).toBe(before);
    expect(components.db).toMatchObject({ status: 'unhealthy', message: 'connect failed: connection refused (ECONNREFUSED)' });
    expect(components.db!.message).not.toMatch(/127\.0\.0\.1|\d{4,5}/);
  });

  it('an abort ends the connection attempt, leaving no socket', async () => {
    const server = await silentServer();
    try {
      const clients = openSockets() - server.open;
      const controller = new AbortController();
      const run = runCheck(tcpCheck({ name: 'db', host: '127.0.0.1', port: server.port }), controller.signal);
      controller.abort(new Error('timed out after 1000 ms'));
      await expect(run).rejects.toThrow('connect failed (ABORT_ERR)');
      expect(openSockets() - server.open).toBe(clients);
    } finally {
      await server.close();
    }
  });

  it('through the manager: a timeout that fires mid-connect leaves no socket', async () => {
    const server = await silentServer();
    const timers = manualTimers();
    const health = new HealthCheckManager({ timers: timers.timers, timeoutMs: 250 });
    const { registration, runs } = withRuns(tcpCheck({ name: 'db', host: '127.0.0.1', port: server.port }));
    health.register(registration);
    try {
      const clients = openSockets() - server.open;
      const round = health.runAll();
      timers.fireAll(); // before the connect event: the timeout wins
      expect((await round).components.db).toMatchObject({ status: 'unhealthy', message: 'timed out after 250 ms' });
      await runs[0];
      expect(openSockets() - server.open).toBe(clients);
      expect(timers.pending).toBe(0);
    } finally {
      await health.stop();
      await server.close();
    }
  });

  it('refuses bad options at construction, naming the option and the value', () => {
    expect(() => tcpCheck({ name: 'db', host: '', port: 5432 })).toThrow('tcpCheck(): option "host" must be a non-empty host name or address, got ""');
    expect(() => tcpCheck({ name: 'db', host: 'db', port: 70_000 })).toThrow('tcpCheck(): option "port" must be an integer from 1 to 65535, got 70000');
    expect(() => tcpCheck({ name: 'db', host: 'db', port: '5432' as unknown as number })).toThrow('option "port"');
    expect(() => tcpCheck({ name: 'the db', host: 'db', port: 5432 })).toThrow('tcpCheck(): option "name" must be a non-empty string without spaces, got "the db"');
    expect(() => tcpCheck({ name: 'db', host: 'db', port: 5432, weight: -1 })).toThrow('tcpCheck(): option "weight"');
  });
});
