import { createServer } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import type { HealthCheckManagerOptions, HealthStatus } from '../../src/health/check-types.js';
import { HealthCheckManager } from '../../src/health/manager.js';
import { deferred } from './helpers.js';
import { baseOf, call } from './http-call.js';

/** Timers the test fires by hand: the drain delay without sleeping. */
function manualTimers() {
  const pending = new Map<number, { callback: () => void; ms: number }>();
  let next = 1;
  return {
    timers: {
      setTimeout: (callback: () => void, ms: number) => (pending.set(next, { callback, ms }), next++),
      clearTimeout: (handle: unknown) => void pending.delete(handle as number),
    },
    delays: () => [...pending.values()].map((t) => t.ms),
    fire(ms: number) {
      for (const [handle, timer] of pending) {
        if (timer.ms !== ms) continue;
        pending.delete(handle);
        timer.callback();
      }
    },
  };
}

let managers: HealthCheckManager[] = [];
afterEach(async () => {
  await Promise.all(managers.map((m) => m.stop()));
  managers = [];
});

async function serving(options: HealthCheckManagerOptions = {}) {
  const health = new HealthCheckManager({ checkIntervalMs: 60_000, ...options });
  managers.push(health);
  const base = baseOf(await health.serve({ port: 0 }));
  return { health, base };
}

describe('startup', () => {
  it('is not ready, and /startupz fails, until the first round has run; stop() starts over', async () => {
    const health = new HealthCheckManager({ checkIntervalMs: 60_000 });
    managers.push(health);
    // Mounted in a server of our own, so stop() does not close it.
    const server = createServer(health.requestHandler);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = baseOf(server);
    try {
      let db = deferred<boolean>();
      health.register({ name: 'db', check: () => db.promise }); // not critical: only the round gates readiness
      expect((await call(base, '/readyz')).status).toBe(503);
      expect(await call(base, '/startupz')).toMatchObject({ status: 503, body: '[-]startup failed: first round of checks not run yet\nstartupz check failed\n' });
      const started = health.start();
      expect((await call(base, '/readyz?verbose')).body).toBe('[-]startup failed: first round of checks not run yet\n[-]db failed: reason withheld\nreadyz check failed\n');
      db.resolve(true);
      await started;
      expect(await call(base, '/readyz')).toMatchObject({ status: 200, body: 'ok' });
      expect(await call(base, '/startupz')).toMatchObject({ status: 200, body: 'ok' });
      expect((await call(base, '/livez')).status).toBe(200); // liveness never waited
      await health.stop();
      db = deferred<boolean>();
      const restarted = health.start();
      expect((await call(base, '/startupz')).status).toBe(503);
      db.resolve(true);
      await restarted;
      expect((await call(base, '/startupz')).status).toBe(200);
    } finally {
      server.close();
    }
  });
});

describe('drain', () => {
  it('fails readiness at once, keeps liveness, and resolves after shutdownDelayMs', async () => {
    const clock = manualTimers();
    const { health, base } = await serving({ shutdownDelayMs: 10_000, timers: clock.timers });
    health.register({ name: 'db', check: () => true });
    await health.runAll();
    expect((await call(base, '/readyz')).status).toBe(200);
    const events: string[] = [];
    health.on('drain', () => events.push('drain'));
    let drained = false;
    const drain = health.drain().then(() => (drained = true));
    expect(health.drain()).toBe(health.drain()); // once
    expect(events).toEqual(['drain']);
    expect(health.isDraining).toBe(true);
    expect(await call(base, '/readyz?verbose')).toMatchObject({ status: 503, body: '[-]shutdown failed: draining\n[+]db ok\nreadyz check failed\n' });
    expect(await call(base, '/livez')).toMatchObject({ status: 200, body: 'ok' });
    expect((await call(base, '/health')).status).toBe(200); // the report still says how the checks are
    expect(clock.delays()).toContain(10_000);
    await Promise.resolve();
    expect(drained).toBe(false);
    clock.fire(10_000);
    await drain;
    expect(drained).toBe(true);
    expect((await call(base, '/readyz')).status).toBe(503); // draining is final
  });

  it('resolves at once without a delay, and stop() ends a pending delay without leaving its timer', async () => {
    const quick = new HealthCheckManager();
    managers.push(quick);
    await quick.drain();
    const clock = manualTimers();
    const slow = new HealthCheckManager({ shutdownDelayMs: 60_000, timers: clock.timers });
    const drain = slow.drain();
    expect(clock.delays()).toEqual([60_000]);
    await slow.stop();
    await drain;
    expect(clock.delays()).toEqual([]);
  });
});

describe('groups and exclusion', () => {
  async function grouped() {
    const status: Record<string, HealthStatus> = { db: 'healthy', cache: 'healthy', loop: 'healthy' };
    const { health, base } = await serving({ readinessGroup: 'readiness', livenessGroup: 'liveness' });
    health.register({ name: 'db', critical: true, groups: ['readiness', 'storage'], check: () => ({ status: status.db! }) });
    health.register({ name: 'cache', groups: ['storage'], check: () => ({ status: status.cache! }) });
    health.register({ name: 'loop', groups: ['liveness'], check: () => ({ status: status.loop! }) });
    await health.start();
    return { health, base, status };
  }

  it('serves a group at /health/GROUP, scored over its own checks; an unknown group is 404', async () => {
    const { health, base, status } = await grouped();
    status.cache = 'unhealthy';
    await health.runAll();
    const storage = JSON.parse((await call(base, '/health/storage')).body);
    expect(Object.keys(storage.components)).toEqual(['db', 'cache']);
    expect(storage).toMatchObject({ health_score: 50, overall_status: 'degraded', unhealthy_components: ['cache'] });
    expect((await call(base, '/health/liveness')).status).toBe(200);
    expect((await call(base, '/health/nope')).status).toBe(404);
    expect((await call(base, '/health/%E0%A4%A')).status).toBe(404);
  });

  it('uses the readiness and liveness groups for /readyz and /livez', async () => {
    const { health, base, status } = await grouped();
    expect((await call(base, '/readyz?verbose')).body).toBe('[+]db ok\nreadyz check passed\n');
    expect((await call(base, '/livez?verbose')).body).toBe('[+]loop ok\nlivez check passed\n');
    status.cache = 'unhealthy'; // in neither set
    status.loop = 'unhealthy';
    await health.runAll();
    expect((await call(base, '/readyz')).status).toBe(200);
    expect(await call(base, '/livez')).toMatchObject({ status: 503, body: '[-]loop failed: reason withheld\nlivez check failed\n' });
    status.db = 'unhealthy';
    await health.runAll();
    expect((await call(base, '/readyz')).status).toBe(503);
  });

  it('/readyz?exclude=NAME leaves checks out of the verdict, as the Kubernetes API server does', async () => {
    const { health, base } = await serving();
    health.register({ name: 'db', critical: true, check: () => false });
    health.register({ name: 'cache', check: () => true });
    await health.start();
    expect((await call(base, '/readyz')).status).toBe(503);
    expect(await call(base, '/readyz?exclude=db&verbose')).toMatchObject({ status: 200, body: '[+]db excluded: ok\n[+]cache ok\nreadyz check passed\n' });
    expect((await call(base, '/readyz?exclude=cache')).status).toBe(503);
    expect((await call(base, '/readyz?exclude=nope')).status).toBe(503);
  });

  it('rejects bad group names naming the option', () => {
    expect(() => new HealthCheckManager({ readinessGroup: 'a/b' })).toThrow('option "readinessGroup" must be a group name of letters, digits, _ . -, got "a/b"');
    expect(() => new HealthCheckManager().register({ name: 'x', check: () => true, groups: ['ok', ''] })).toThrow('option "groups[1]"');
    expect(() => new HealthCheckManager().register({ name: 'x', check: () => true, groups: 'ok' as never })).toThrow('option "groups" must be an array');
  });
});
