import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ConfigError } from '../../src/common/config-error.js';
import { MAX_TIMER_TEXT } from '../../src/common/timer-limit.js';
import { HealthCheckManager } from '../../src/health/manager.js';
import { call } from './http-call.js';

let managers: HealthCheckManager[] = [];
afterEach(async () => {
  await Promise.all(managers.map((m) => m.stop()));
  managers = [];
});

describe('HealthCheckManager: results that fight back', () => {
  it('a result whose status getter throws is a failed check, and a critical one no longer holds /readyz at 503', async () => {
    const health = new HealthCheckManager({ showDetails: 'always' });
    managers.push(health);
    let hostile = true;
    health.register({
      name: 'db',
      critical: true,
      check: () =>
        hostile
          ? ({ get status(): never { throw new Error('lazy result exploded'); } } as never)
          : { status: 'healthy' as const },
    });
    const report = await health.runAll();
    expect(report.components.db).toMatchObject({ status: 'unhealthy', message: 'check result could not be read: lazy result exploded' });
    const server = await health.serve({ port: 0 });
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    expect((await call(base, '/readyz')).status).toBe(503);
    hostile = false;
    await health.runAll();
    expect(health.check('db')?.status).toBe('healthy');
    expect((await call(base, '/readyz')).status).toBe(200);
  });

  it('a Proxy result that throws on any read, and a thrown getter-laden error, are failed checks with clear messages', async () => {
    const health = new HealthCheckManager();
    managers.push(health);
    health.register({ name: 'proxy', check: () => new Proxy({}, { get() { throw new TypeError('revoked'); } }) as never });
    health.register({ name: 'error', check: () => { throw Object.defineProperty(new Error('x'), 'message', { get() { throw new Error('no'); } }); } });
    const report = await health.runAll();
    // Resolving the result reads its `then` first: the proxy's throw rejects the run.
    expect(report.components.proxy).toMatchObject({ status: 'unhealthy', message: 'revoked' });
    expect(report.components.error).toMatchObject({ status: 'unhealthy', message: 'a non-Error value (object)' });
  });
});

describe('HealthCheckManager: millisecond options Node timers cannot honour', () => {
  const over = 2 ** 31;
  it.each([
    ['checkIntervalMs', () => new HealthCheckManager({ checkIntervalMs: 30 * 86_400_000 }), 30 * 86_400_000],
    ['timeoutMs', () => new HealthCheckManager({ timeoutMs: over }), over],
    ['shutdownDelayMs', () => new HealthCheckManager({ shutdownDelayMs: over }), over],
    ['heal.timeoutMs', () => new HealthCheckManager({ heal: { timeoutMs: over } }), over],
    ['heal.cooldownMs', () => new HealthCheckManager({ heal: { cooldownMs: over } }), over],
    ['heal.maxCooldownMs', () => new HealthCheckManager({ heal: { maxCooldownMs: over } }), over],
    ['intervalMs', () => new HealthCheckManager().register({ name: 'a', check: () => true, intervalMs: 30 * 86_400_000 }), 30 * 86_400_000],
    ['healTimeoutMs', () => new HealthCheckManager().register({ name: 'a', check: () => true, healTimeoutMs: over }), over],
    ['healCooldownMs', () => new HealthCheckManager().register({ name: 'a', check: () => true, healCooldownMs: over }), over],
  ])('refuses %s of 2^31 or more, naming the option, the value and the maximum', (option, build, value) => {
    expect(build).toThrow(ConfigError);
    expect(build).toThrow(new RegExp(`option "${option}" must be a number of milliseconds (> 0 and at most|from 0 to) `));
    expect(build).toThrow(`${MAX_TIMER_TEXT}, got ${value}`);
  });

  it('a check at the maximum interval runs once, not in a 1 ms loop (fake timers)', async () => {
    vi.useFakeTimers();
    try {
      const health = new HealthCheckManager({ checkIntervalMs: 2 ** 31 - 1 });
      managers.push(health);
      let runs = 0;
      health.register({ name: 'a', check: () => (runs++, true) });
      await health.start();
      await vi.advanceTimersByTimeAsync(10_000);
      expect(runs).toBe(1);
      await vi.advanceTimersByTimeAsync(2 ** 31);
      expect(runs).toBe(2);
    } finally {
      vi.useRealTimers();
    }
  });

  it('accepts the maximum itself', () => {
    const health = new HealthCheckManager({ checkIntervalMs: 2 ** 31 - 1, shutdownDelayMs: 2 ** 31 - 1 });
    expect(() => health.register({ name: 'a', check: () => true, intervalMs: 2 ** 31 - 1 })).not.toThrow();
  });
});
