import { describe, expect, it } from 'vitest';
import { CircuitBreaker } from '../../../src/breaker/circuit-breaker.js';
import { BreakerRegistry } from '../../../src/breaker/registry.js';
import { breakerCheck, breakerRegistryCheck } from '../../../src/health/checks/breakers.js';
import { HealthCheckManager } from '../../../src/health/manager.js';

function clock(start = 1_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

function trip(breaker: CircuitBreaker): void {
  for (let i = 0; i < 5; i++) breaker.tryAcquire()?.failure(new Error('down'));
}

describe('breaker checks', () => {
  it('one breaker: closed healthy, open degraded, half-open degraded', async () => {
    const time = clock();
    const payments = new CircuitBreaker({ name: 'payments', failureThreshold: 2, openTimeoutMs: 1_000, clock: time });
    const health = new HealthCheckManager();
    health.register(breakerCheck(payments));
    expect((await health.runAll()).components['circuit_breaker:payments']).toMatchObject({ status: 'healthy', message: 'closed' });
    trip(payments);
    let report = await health.runAll();
    expect(report.components['circuit_breaker:payments']).toMatchObject({
      status: 'degraded',
      message: 'open, retry in 1000 ms',
      details: { state: 'open', retry_after_ms: 1_000, failed_calls: 2 },
    });
    expect(report.overall_status).toBe('degraded'); // an outage elsewhere does not pull this instance out
    time.advance(1_000);
    report = await health.runAll();
    expect(report.components['circuit_breaker:payments']).toMatchObject({ status: 'degraded', message: 'half-open, probing' });
  });

  it('a critical breaker that is open makes the service unhealthy', async () => {
    const payments = new CircuitBreaker({ name: 'payments', failureThreshold: 1 });
    const health = new HealthCheckManager();
    health.register(breakerCheck(payments, { name: 'payments', critical: true }));
    payments.forceOpen();
    const report = await health.runAll();
    expect(report.components.payments).toMatchObject({ status: 'unhealthy', message: 'open, forced open', details: { retry_after_ms: null } });
    expect(report.overall_status).toBe('unhealthy');
  });

  it('a whole registry: counts per state, degraded when any is open, unhealthy when a critical one is', async () => {
    const registry = new BreakerRegistry({ defaults: { failureThreshold: 1 } });
    const health = new HealthCheckManager();
    health.register(breakerRegistryCheck(registry, { critical: ['db:5432'], maxListed: 1 }));
    expect((await health.runAll()).components.circuit_breakers).toMatchObject({ status: 'healthy', message: '0 breakers closed' });
    registry.get('api:443');
    registry.get('cdn:443');
    registry.get('db:5432');
    expect((await health.runAll()).components.circuit_breakers?.message).toBe('3 breakers closed');
    trip(registry.get('api:443'));
    trip(registry.get('cdn:443'));
    let report = await health.runAll();
    expect(report.components.circuit_breakers).toMatchObject({
      status: 'degraded',
      message: '2 open of 3 breakers',
      details: { total: 3, closed: 1, open: ['api:443'], open_count: 2, half_open: [], half_open_count: 0 },
    });
    expect(report.overall_status).toBe('degraded');
    trip(registry.get('db:5432'));
    report = await health.runAll();
    expect(report.components.circuit_breakers).toMatchObject({ status: 'unhealthy', message: 'critical open: db:5432; 3 open of 3 breakers' });
    expect(report.overall_status).toBe('unhealthy');
  });

  it('rejects a bad critical list', () => {
    expect(() => breakerRegistryCheck(new BreakerRegistry(), { critical: 'db' as never })).toThrow(
      'breakerRegistryCheck(): option "critical" must be an array of breaker names, got "db"',
    );
  });
});
