import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { HealthCheckManager } from '../../src/health/manager.js';
import { BreakwaterInstrumentation } from '../../src/instrumentation/instrumentation.js';
import { collect, meterProvider, pointsOf, valueOf } from '../telemetry/metrics-harness.js';

let live: BreakwaterInstrumentation[] = [];
afterEach(() => {
  for (const inst of live) inst.disable();
  live = [];
});

describe('BreakwaterInstrumentation health option', () => {
  it('runs the built-in checks, serves /health, exports health metrics; disable() stops all, enable() restarts', async () => {
    const { provider, reader } = meterProvider();
    const inst = new BreakwaterInstrumentation({
      instrument: [],
      breaker: { failureThreshold: 1, openTimeoutMs: 60_000 },
      health: { port: 0, host: '127.0.0.1' },
    });
    live.push(inst);
    inst.setMeterProvider(provider);
    const server = await inst.healthServer();
    const url = `http://127.0.0.1:${(server!.address() as AddressInfo).port}/health`;

    await inst.health!.runAll(); // the first round, started by enable(), ends before the breaker trips
    const b = inst.registry.get('db.internal:5432');
    b.tryAcquire()!.failure(new Error('down'));
    await inst.health!.runAll();
    const res = await fetch(url);
    const report = (await res.json()) as { components: Record<string, { status: string }>; degraded_components: string[] };
    expect(Object.keys(report.components).sort()).toEqual(['circuit_breakers', 'circuit_breakers.decorated', 'system']);
    expect(report.components.circuit_breakers!.status).toBe('degraded');
    expect(report.degraded_components).toContain('circuit_breakers');

    let points = await collect(reader);
    expect(valueOf(points, 'health_check.status', { 'health_check.name': 'circuit_breakers', 'health_check.status': 'degraded' })).toBe(1);
    expect(pointsOf(points, 'health_check.score')).toHaveLength(1);
    expect(valueOf(points, 'circuit_breaker.state', { 'circuit_breaker.name': 'db.internal:5432', 'circuit_breaker.state': 'open' })).toBe(1);

    inst.disable();
    await expect(fetch(url)).rejects.toThrow();
    points = await collect(reader);
    expect(pointsOf(points, 'health_check.score')).toEqual([]);
    expect(await inst.healthServer()).toBeUndefined();

    inst.enable();
    const again = await inst.healthServer();
    const res2 = await fetch(`http://127.0.0.1:${(again!.address() as AddressInfo).port}/health`);
    expect(res2.status).toBe(200); // degraded still answers 200; only unhealthy is 503
    await provider.shutdown();
  });

  it('adds the built-in checks to a manager of your own; health: true serves nothing', async () => {
    const manager = new HealthCheckManager();
    manager.register({ name: 'database', componentType: 'database', check: async () => true });
    const inst = new BreakwaterInstrumentation({ instrument: [], health: { manager, system: false } });
    live.push(inst);
    expect(inst.health).toBe(manager);
    expect(manager.checks().map((c) => c.name)).toEqual(['database', 'circuit_breakers', 'circuit_breakers.decorated']);
    expect(await inst.healthServer()).toBeUndefined();

    const plain = new BreakwaterInstrumentation({ instrument: [], health: true });
    live.push(plain);
    expect(plain.health?.checks().map((c) => c.name)).toEqual(['system', 'circuit_breakers', 'circuit_breakers.decorated']);
    expect(new BreakwaterInstrumentation({ instrument: [], enabled: false }).health).toBeUndefined();
  });

  it('rejects bad health options naming them', () => {
    expect(() => new BreakwaterInstrumentation({ health: { port: 70_000 } })).toThrow('BreakwaterInstrumentation: option "health.port" must be an integer from 0 to 65535, got 70000');
    expect(() => new BreakwaterInstrumentation({ health: { manager: {} as HealthCheckManager } })).toThrow('BreakwaterInstrumentation: option "health.manager" must be a HealthCheckManager, got {}');
  });
});

describe('BreakwaterInstrumentation health endpoint defaults', () => {
  it('listens on loopback unless health.host says otherwise, and withholds details by default', async () => {
    const inst = new BreakwaterInstrumentation({ instrument: [], health: { port: 0, system: false } });
    live.push(inst);
    const server = await inst.healthServer();
    expect((server!.address() as AddressInfo).address).toBe('127.0.0.1');
    inst.health!.register({ name: 'db', check: () => Promise.reject(new Error('ECONNREFUSED 10.0.0.7:5432')) });
    await inst.health!.runAll();
    const body = await (await fetch(`http://127.0.0.1:${(server!.address() as AddressInfo).port}/health`)).text();
    expect(body).not.toContain('10.0.0.7');
    expect(JSON.parse(body).components.db).toMatchObject({ status: 'unhealthy', message: 'reason withheld' });
  });

  it('passes showDetails and shutdownDelayMs to the manager it creates, validated at construction', async () => {
    const inst = new BreakwaterInstrumentation({ instrument: [], health: { port: 0, system: false, breakers: false, showDetails: 'always' } });
    live.push(inst);
    inst.health!.register({ name: 'db', check: () => Promise.reject(new Error('ECONNREFUSED 10.0.0.7:5432')) });
    await inst.health!.runAll();
    const server = await inst.healthServer();
    const body = (await (await fetch(`http://127.0.0.1:${(server!.address() as AddressInfo).port}/health`)).json()) as { components: Record<string, { message?: string }> };
    expect(body.components.db.message).toBe('ECONNREFUSED 10.0.0.7:5432');
    expect(() => new BreakwaterInstrumentation({ health: { showDetails: 'yes' as never } })).toThrow(`option "health.showDetails" must be 'always', 'never' or a function of the request returning a boolean, got "yes"`);
    expect(() => new BreakwaterInstrumentation({ health: { shutdownDelayMs: 2 ** 31 } })).toThrow(/option "health\.shutdownDelayMs" must be .*at most 2147483647|from 0 to 2147483647.*got 2147483648/);
    expect(() => new BreakwaterInstrumentation({ health: { checkIntervalMs: 30 * 86_400_000 } })).toThrow(/option "health\.checkIntervalMs" must be a number of milliseconds > 0 and at most 2147483647 .*, got 2592000000/);
  });
});
