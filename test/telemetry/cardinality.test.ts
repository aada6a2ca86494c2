import { describe, expect, it } from 'vitest';
import { BreakerRegistry, DEFAULT_REGISTRY_MAX_BREAKERS, defaultRegistry } from '../../src/breaker/registry.js';
import { DEFAULT_MAX_BREAKERS, MAX_SERIES_PER_BREAKER, SDK_CARDINALITY_LIMIT } from '../../src/config/defaults.js';
import { breakwaterViews } from '../../src/telemetry/views.js';
import { BreakwaterTelemetry } from '../../src/telemetry/telemetry.js';
import { collect, meterProvider, pointsOf } from './metrics-harness.js';

const BUSY_OPTIONS = (clock: { t: number }) => ({
  failureThreshold: 1, openTimeoutMs: 10, backoffMultiplier: 1, clock: { now: () => clock.t },
});

/** Fills `registry` with `count` breakers, each through every transition it can make (5 pairs). */
function busyRegistry(count: number): BreakerRegistry {
  const clock = { t: 0 };
  const registry = new BreakerRegistry({ maxBreakers: count, defaults: BUSY_OPTIONS(clock) });
  exercise(registry, count, 'host', clock);
  return registry;
}

/** Creates `count` breakers named `${prefix}-i` in `registry` and takes each through 5 transition pairs. */
function exercise(registry: BreakerRegistry, count: number, prefix: string, clock: { t: number }): void {
  const options = BUSY_OPTIONS(clock);
  for (let i = 0; i < count; i++) {
    const b = registry.get(prefix === 'host' ? `host-${i}:80` : `${prefix}-${i}`, options);
    b.tryAcquire()!.failure(new Error('x')); // closed->open
    clock.t += 10;
    b.tryAcquire()!.failure(new Error('x')); // open->half_open, half_open->open
    clock.t += 10;
    b.tryAcquire()!.success(); // open->half_open, half_open->closed
    b.forceOpen(); // closed->open
    b.reset(); // open->closed
  }
}

describe('cardinality', () => {
  it('default cap: every series of a full registry is exported, nothing overflows', async () => {
    expect(DEFAULT_MAX_BREAKERS * MAX_SERIES_PER_BREAKER).toBeLessThan(SDK_CARDINALITY_LIMIT);
    const registry = busyRegistry(DEFAULT_MAX_BREAKERS);
    expect(registry.size).toBe(DEFAULT_MAX_BREAKERS);
    const { provider, reader } = meterProvider();
    const telemetry = new BreakwaterTelemetry({ registries: [registry] });
    telemetry.setMeter(provider.getMeter('breakwater'));
    telemetry.enable();
    const points = await collect(reader);
    expect(points.some((p) => 'otel.metric.overflow' in p.attributes)).toBe(false);
    expect(pointsOf(points, 'circuit_breaker.transitions')).toHaveLength(DEFAULT_MAX_BREAKERS * 5);
    expect(pointsOf(points, 'circuit_breaker.calls')).toHaveLength(DEFAULT_MAX_BREAKERS * 3);
    expect(pointsOf(points, 'circuit_breaker.state')).toHaveLength(DEFAULT_MAX_BREAKERS * 3);
    expect(pointsOf(points, 'circuit_breaker.rejections')).toHaveLength(DEFAULT_MAX_BREAKERS * 2);
    await provider.shutdown();
  });

  it('default caps together: a full instrumentation registry and a full defaultRegistry fit without overflow', async () => {
    const breakers = DEFAULT_MAX_BREAKERS + DEFAULT_REGISTRY_MAX_BREAKERS;
    expect(defaultRegistry.maxBreakers).toBe(DEFAULT_REGISTRY_MAX_BREAKERS);
    expect(breakers * MAX_SERIES_PER_BREAKER).toBeLessThan(SDK_CARDINALITY_LIMIT);
    // The instrumentation's own registry, at its default cap.
    const registry = busyRegistry(DEFAULT_MAX_BREAKERS);
    expect(registry.size).toBe(DEFAULT_MAX_BREAKERS);
    // The decorator's registry, filled past its cap: it stays at the cap.
    exercise(defaultRegistry, DEFAULT_REGISTRY_MAX_BREAKERS + 10, 'decorated', { t: 0 });
    try {
      expect(defaultRegistry.size).toBe(DEFAULT_REGISTRY_MAX_BREAKERS);
      const { provider, reader } = meterProvider();
      // As the instrumentation wires it: its registry and defaultRegistry into one telemetry.
      const telemetry = new BreakwaterTelemetry({ registries: [registry, defaultRegistry] });
      telemetry.setMeter(provider.getMeter('breakwater'));
      telemetry.enable();
      const points = await collect(reader);
      expect(points.some((p) => 'otel.metric.overflow' in p.attributes)).toBe(false);
      expect(pointsOf(points, 'circuit_breaker.transitions')).toHaveLength(breakers * 5);
      expect(pointsOf(points, 'circuit_breaker.calls')).toHaveLength(breakers * 3);
      expect(pointsOf(points, 'circuit_breaker.state')).toHaveLength(breakers * 3);
      const names = new Set(pointsOf(points, 'circuit_breaker.state').map((p) => p.attributes['circuit_breaker.name']));
      expect(names.has('decorated-73')).toBe(true); // the most recent decorator breakers are the ones kept
      expect(names.has('decorated-0')).toBe(false);
      await provider.shutdown();
    } finally {
      defaultRegistry.clear();
    }
  });

  it('eviction churn does not use up the limit: only live breakers count', async () => {
    const registry = new BreakerRegistry({ maxBreakers: 100 });
    const { provider, reader } = meterProvider();
    const telemetry = new BreakwaterTelemetry({ registries: [registry] });
    telemetry.setMeter(provider.getMeter('breakwater'));
    telemetry.enable();
    // 1500 distinct destinations over time = 4500 call series ever seen, 300 live at a time.
    for (let round = 0; round < 15; round++) {
      for (let i = 0; i < 100; i++) await registry.get(`h${round}-${i}:80`).execute(async () => 1);
      await collect(reader);
    }
    const points = await collect(reader);
    expect(points.some((p) => 'otel.metric.overflow' in p.attributes)).toBe(false);
    const names = new Set(pointsOf(points, 'circuit_breaker.calls').map((p) => p.attributes['circuit_breaker.name']));
    expect(names.size).toBe(100);
    expect(names.has('h14-99:80')).toBe(true);
    await provider.shutdown();
  });

  it('above the default cap the SDK overflows unless breakwaterViews() raises the limit', async () => {
    const maxBreakers = 400; // 400 × 5 transitions = 2000 > 1999 usable series
    const registry = busyRegistry(maxBreakers);

    const plain = meterProvider();
    const t1 = new BreakwaterTelemetry({ registries: [registry] });
    t1.setMeter(plain.provider.getMeter('breakwater'));
    t1.enable();
    expect((await collect(plain.reader)).some((p) => 'otel.metric.overflow' in p.attributes)).toBe(true);
    expect((await collect(plain.reader)).some((p) => 'otel.metric.overflow' in p.attributes)).toBe(true); // and stays
    t1.disable();

    const viewed = meterProvider(breakwaterViews({ maxBreakers }));
    const t2 = new BreakwaterTelemetry({ registries: [registry] });
    t2.setMeter(viewed.provider.getMeter('breakwater'));
    t2.enable();
    const points = await collect(viewed.reader);
    expect(points.some((p) => 'otel.metric.overflow' in p.attributes)).toBe(false);
    expect(pointsOf(points, 'circuit_breaker.transitions')).toHaveLength(maxBreakers * 5);
    await plain.provider.shutdown();
    await viewed.provider.shutdown();
  });
});
