import { describe, expect, it } from 'vitest';
import { BreakerRegistry } from '../../src/breaker/registry.js';
import { BreakwaterTelemetry } from '../../src/telemetry/telemetry.js';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { collect, meterProvider, pointsOf, TestReader, valueOf, type Point } from './metrics-harness.js';

const success = (name: string) => ({ 'circuit_breaker.name': name, 'circuit_breaker.outcome': 'success' });

/**
 * One breaker through its whole life: successes, failures, an ignored error, rejections while
 * open and while half-open, and the three transitions of a trip and recovery.
 */
async function scriptedScenario(registry: BreakerRegistry, clock: { t: number }): Promise<void> {
  const b = registry.get('api.example.com:443', {
    attributes: { 'server.address': 'api.example.com', 'server.port': 443 },
  });
  for (let i = 0; i < 3; i++) await b.execute(async () => 'ok');
  await b.execute(async () => { throw new Error('ignore me'); }).catch(() => {});
  for (let i = 0; i < 2; i++) await b.execute(async () => { throw new Error('boom'); }).catch(() => {});
  expect(b.state).toBe('open');
  for (let i = 0; i < 2; i++) await b.execute(async () => 'never').catch(() => {});
  clock.t += 1_000;
  const probe = b.tryAcquire();
  expect(probe).toBeDefined();
  expect(b.tryAcquire()).toBeUndefined(); // half-open admits one probe
  probe!.success();
  expect(b.state).toBe('closed');
}

function setup() {
  const clock = { t: 1_000_000 };
  const registry = new BreakerRegistry({
    defaults: {
      failureThreshold: 2, openTimeoutMs: 1_000, clock: { now: () => clock.t },
      isFailure: (err) => !(err instanceof Error && err.message === 'ignore me'),
    },
  });
  return { clock, registry };
}

const NAME = { 'circuit_breaker.name': 'api.example.com:443' };

function expectScenarioSeries(points: Point[]): void {
  const common = { ...NAME, 'server.address': 'api.example.com', 'server.port': 443 };
  expect(valueOf(points, 'circuit_breaker.calls', { ...common, 'circuit_breaker.outcome': 'success' })).toBe(4);
  expect(valueOf(points, 'circuit_breaker.calls', { ...common, 'circuit_breaker.outcome': 'failure' })).toBe(2);
  expect(valueOf(points, 'circuit_breaker.calls', { ...common, 'circuit_breaker.outcome': 'ignored' })).toBe(1);
  expect(valueOf(points, 'circuit_breaker.rejections', { ...common, 'circuit_breaker.state': 'open' })).toBe(2);
  expect(valueOf(points, 'circuit_breaker.rejections', { ...common, 'circuit_breaker.state': 'half_open' })).toBe(1);
  const transition = (from: string, to: string) =>
    valueOf(points, 'circuit_breaker.transitions', { ...common, 'circuit_breaker.transition.from': from, 'circuit_breaker.transition.to': to });
  expect(transition('closed', 'open')).toBe(1);
  expect(transition('open', 'half_open')).toBe(1);
  expect(transition('half_open', 'closed')).toBe(1);
  expect(pointsOf(points, 'circuit_breaker.transitions', NAME)).toHaveLength(3);
  expect(valueOf(points, 'circuit_breaker.state', { ...common, 'circuit_breaker.state': 'closed' })).toBe(1);
  expect(valueOf(points, 'circuit_breaker.state', { ...common, 'circuit_breaker.state': 'open' })).toBe(0);
  expect(valueOf(points, 'circuit_breaker.state', { ...common, 'circuit_breaker.state': 'half_open' })).toBe(0);
}

describe('breaker metrics', () => {
  it('exports names, units, attributes and values read from the breakers', async () => {
    const { clock, registry } = setup();
    const { provider, reader } = meterProvider();
    const telemetry = new BreakwaterTelemetry({ registries: [registry] });
    telemetry.setMeter(provider.getMeter('breakwater'));
    telemetry.enable();
    await scriptedScenario(registry, clock);

    const points = await collect(reader);
    expectScenarioSeries(points);
    const units = Object.fromEntries(points.map((p) => [p.name, p.unit]));
    expect(units).toEqual({
      'circuit_breaker.calls': '{call}',
      'circuit_breaker.rejections': '{call}',
      'circuit_breaker.transitions': '{transition}',
      'circuit_breaker.state': '{state}',
    });
    expect(new Set(points.map((p) => p.scope))).toEqual(new Set(['breakwater']));
    await provider.shutdown();
  });

  it('reports the same series with events off, when no listener is on the breakers', async () => {
    const { clock, registry } = setup();
    const { provider, reader } = meterProvider();
    const telemetry = new BreakwaterTelemetry({ registries: [registry], events: { spans: false, logs: false } });
    telemetry.setMeter(provider.getMeter('breakwater'));
    telemetry.enable();
    await scriptedScenario(registry, clock);
    expectScenarioSeries(await collect(reader)); // half-open rejections included: the breaker counts them
    await provider.shutdown();
  });

  it('drops the series of an evicted breaker from the next collection (and keeps the others)', async () => {
    const { registry } = setup();
    const { provider, reader } = meterProvider();
    const telemetry = new BreakwaterTelemetry({ registries: [registry] });
    telemetry.setMeter(provider.getMeter('breakwater'));
    telemetry.enable();
    await registry.get('a:1').execute(async () => 1);
    await registry.get('b:2').execute(async () => 1);
    let points = await collect(reader);
    expect(pointsOf(points, 'circuit_breaker.calls', { 'circuit_breaker.name': 'a:1' })).toHaveLength(3);

    registry.delete('a:1');
    points = await collect(reader);
    expect(points.filter((p) => p.attributes['circuit_breaker.name'] === 'a:1')).toEqual([]);
    expect(valueOf(points, 'circuit_breaker.calls', { 'circuit_breaker.name': 'b:2', 'circuit_breaker.outcome': 'success' })).toBe(1);

    // A new breaker under the same key starts from zero, not from the evicted one's count.
    await registry.get('a:1').execute(async () => 1);
    await registry.get('a:1').execute(async () => 1);
    points = await collect(reader);
    expect(valueOf(points, 'circuit_breaker.calls', { 'circuit_breaker.name': 'a:1', 'circuit_breaker.outcome': 'success' })).toBe(2);

    registry.clear();
    points = await collect(reader);
    expect(points).toEqual([]);
    await provider.shutdown();
  });

  it('with two readers on one provider, each sees the right values and the eviction', async () => {
    const { registry } = setup();
    const first = new TestReader();
    const second = new TestReader();
    const provider = new MeterProvider({ readers: [first, second] });
    const telemetry = new BreakwaterTelemetry({ registries: [registry] });
    telemetry.setMeter(provider.getMeter('breakwater'));
    telemetry.enable();
    await registry.get('a:1').execute(async () => 1);
    await registry.get('b:1').execute(async () => 1);
    await collect(first);
    await registry.get('b:1').execute(async () => 1);
    registry.delete('a:1');
    for (const reader of [second, first]) {
      const points = await collect(reader);
      expect(pointsOf(points, 'circuit_breaker.calls', { 'circuit_breaker.name': 'a:1' })).toEqual([]);
      expect(valueOf(points, 'circuit_breaker.calls', success('b:1'))).toBe(2);
    }
    await provider.shutdown();
  });

  it('moves to a new meter without doubling and leaves the old one empty', async () => {
    const { clock, registry } = setup();
    const first = meterProvider();
    const second = meterProvider();
    const telemetry = new BreakwaterTelemetry({ registries: [registry] });
    telemetry.setMeter(first.provider.getMeter('breakwater'));
    telemetry.enable();
    await scriptedScenario(registry, clock);
    expectScenarioSeries(await collect(first.reader));

    telemetry.setMeter(second.provider.getMeter('breakwater'));
    telemetry.setMeter(second.provider.getMeter('breakwater')); // same meter again: no-op
    expect(await collect(first.reader)).toEqual([]);
    const points = await collect(second.reader);
    expectScenarioSeries(points);
    expect(pointsOf(points, 'circuit_breaker.calls')).toHaveLength(3);

    // Re-created on the first provider's meter again: its old instruments are reused, not doubled.
    telemetry.setMeter(first.provider.getMeter('breakwater'));
    expectScenarioSeries(await collect(first.reader));
    expect(await collect(second.reader)).toEqual([]);
    await first.provider.shutdown();
    await second.provider.shutdown();
  });

  it('reports a breaker present in two registries once, and stops reporting when disabled', async () => {
    const { registry } = setup();
    const other = new BreakerRegistry();
    const { provider, reader } = meterProvider();
    const telemetry = new BreakwaterTelemetry({ registries: [registry, other, registry] });
    telemetry.setMeter(provider.getMeter('breakwater'));
    telemetry.enable();
    await registry.get('x:1').execute(async () => 1);
    await other.get('y:2').execute(async () => 1);
    let points = await collect(reader);
    expect(pointsOf(points, 'circuit_breaker.calls', { 'circuit_breaker.outcome': 'success' }).map((p) => p.attributes['circuit_breaker.name']).sort()).toEqual(['x:1', 'y:2']);

    telemetry.disable();
    expect(await collect(reader)).toEqual([]);
    telemetry.enable();
    points = await collect(reader);
    expect(valueOf(points, 'circuit_breaker.calls', { 'circuit_breaker.name': 'x:1', 'circuit_breaker.outcome': 'success' })).toBe(1);
    await provider.shutdown();
  });

  it('accepts extra metric sources that follow the meter (how health plugs in)', async () => {
    const first = meterProvider();
    const second = meterProvider();
    const telemetry = new BreakwaterTelemetry();
    let installs = 0;
    const undo = telemetry.addSource((meter) => {
      installs++;
      const gauge = meter.createObservableGauge('health.score', { unit: '{score}' });
      const cb = (r: { observe(v: number): void }) => r.observe(100);
      gauge.addCallback(cb);
      return () => gauge.removeCallback(cb);
    });
    telemetry.setMeter(first.provider.getMeter('breakwater'));
    expect(installs).toBe(0); // not before enable()
    telemetry.enable();
    expect(valueOf(await collect(first.reader), 'health.score', {})).toBe(100);
    telemetry.setMeter(second.provider.getMeter('breakwater'));
    expect(pointsOf(await collect(first.reader), 'health.score')).toEqual([]);
    expect(valueOf(await collect(second.reader), 'health.score', {})).toBe(100);
    undo();
    expect(pointsOf(await collect(second.reader), 'health.score')).toEqual([]);
    expect(installs).toBe(2);
  });
});
