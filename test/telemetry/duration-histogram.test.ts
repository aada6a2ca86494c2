import type { Histogram } from '@opentelemetry/sdk-metrics';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { BreakerRegistry } from '../../src/breaker/registry.js';
import { HealthCheckManager } from '../../src/health/manager.js';
import { observeHealth } from '../../src/telemetry/health-metrics.js';
import { DURATION_BUCKETS_SECONDS } from '../../src/telemetry/names.js';
import { BreakwaterTelemetry } from '../../src/telemetry/telemetry.js';
import { readmeSection } from '../readme-blocks.js';
import { collect, meterProvider, pointsOf, type Point } from './metrics-harness.js';

/**
 * `circuit_breaker.call.duration` records seconds, so it needs second-scale buckets (the SDK's
 * defaults, 0..10000, are made for milliseconds) and durations finer than the ms wall clock.
 */
const NAME = 'circuit_breaker.call.duration';

function histogramOf(points: Point[], match: Record<string, unknown>): Histogram {
  const found = pointsOf(points, NAME, match);
  expect(found).toHaveLength(1);
  return found[0]!.value as Histogram;
}

/** Index of the bucket `seconds` falls in: buckets are (boundary[i-1], boundary[i]]. */
function bucketOf(boundaries: number[], seconds: number): number {
  const i = boundaries.findIndex((b) => seconds <= b);
  return i === -1 ? boundaries.length : i;
}

async function withTelemetry(registry: BreakerRegistry) {
  const { provider, reader } = meterProvider();
  const telemetry = new BreakwaterTelemetry({ registries: [registry], durationHistogram: true });
  telemetry.setMeter(provider.getMeter('breakwater'));
  telemetry.enable();
  return { provider, reader, telemetry };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('circuit_breaker.call.duration', () => {
  it('has second-scale buckets: a 20 ms call lands in a sub-second bucket, a 3 s failure in a later one', async () => {
    const clock = { t: 1_700_000_000_000 };
    const registry = new BreakerRegistry({ defaults: { clock: { now: () => clock.t } } });
    const { provider, reader } = await withTelemetry(registry);
    const b = registry.get('api:443');
    await b.execute(async () => {
      clock.t += 20;
    });
    await b
      .execute(async () => {
        clock.t += 3_000;
        throw new Error('slow and failed');
      })
      .catch(() => {});

    const points = await collect(reader);
    const ok = histogramOf(points, { 'circuit_breaker.name': 'api:443', 'circuit_breaker.outcome': 'success' });
    const boundaries = ok.buckets.boundaries;
    expect(boundaries).toEqual([...DURATION_BUCKETS_SECONDS]);
    // Second-scale: resolves milliseconds at the bottom, tens of seconds at the top.
    expect(boundaries[0]).toBeLessThanOrEqual(0.001);
    expect(boundaries.at(-1)).toBeGreaterThanOrEqual(10);
    expect(boundaries.at(-1)).toBeLessThan(100);
    expect(ok.count).toBe(1);
    expect(ok.sum).toBeCloseTo(0.02, 9);
    const i = bucketOf(boundaries, 0.02);
    expect(boundaries[i]).toBeLessThan(1);
    expect(boundaries[i]).toBe(0.025);
    expect(ok.buckets.counts[i]).toBe(1);
    expect(ok.buckets.counts.reduce((a, c) => a + c, 0)).toBe(1);

    const failed = histogramOf(points, { 'circuit_breaker.name': 'api:443', 'circuit_breaker.outcome': 'failure' });
    expect(failed.sum).toBeCloseTo(3, 9);
    expect(failed.buckets.counts[bucketOf(boundaries, 3)]).toBe(1);
    expect(boundaries[bucketOf(boundaries, 3)]).toBe(5);
    await provider.shutdown();
  });

  it('without an injected clock, measures with performance.now(): a sub-millisecond call is not recorded as 0', async () => {
    // A stand-in for the monotonic clock that only moves when the call says so: the breaker must
    // read it (Date.now() would give whole milliseconds, 0 for this call).
    let t = 5_000;
    const now = vi.spyOn(performance, 'now').mockImplementation(() => t);
    const registry = new BreakerRegistry();
    const { provider, reader } = await withTelemetry(registry);
    await registry.get('fast:80').execute(async () => {
      t += 0.4;
    });
    expect(now).toHaveBeenCalled();
    const points = await collect(reader);
    const h = histogramOf(points, { 'circuit_breaker.name': 'fast:80', 'circuit_breaker.outcome': 'success' });
    expect(h.sum).toBeCloseTo(0.0004, 9);
    expect(h.buckets.counts[0]).toBe(1); // (0, 1 ms]
    await provider.shutdown();
  });

  it('keeps lastSuccessTime and the open wait on the epoch-ms clock while durations use performance.now()', async () => {
    let t = 5_000;
    vi.spyOn(performance, 'now').mockImplementation(() => t);
    const registry = new BreakerRegistry({ defaults: { failureThreshold: 1, openTimeoutMs: 60_000 } });
    const b = registry.get('db:5432');
    const durations: (number | null)[] = [];
    b.on('success', (e) => durations.push(e.durationMs));
    b.on('failure', (e) => durations.push(e.durationMs));
    const before = Date.now();
    await b.execute(async () => {
      t += 1.25;
    });
    await b
      .execute(async () => {
        t += 2.5;
        throw new Error('down');
      })
      .catch(() => {});
    const after = Date.now();
    expect(durations).toEqual([1.25, 2.5]);
    const m = b.metrics;
    expect(m.lastSuccessTime).toBeGreaterThanOrEqual(before);
    expect(m.lastSuccessTime).toBeLessThanOrEqual(after);
    expect(m.lastFailureTime).toBeGreaterThanOrEqual(before);
    expect(b.state).toBe('open');
    const openUntil = b.toJSON().openUntil!;
    expect(openUntil).toBeGreaterThanOrEqual(before + 60_000);
    expect(openUntil).toBeLessThanOrEqual(after + 60_000);
  });

  it('shares its bucket boundaries with health_check.duration (one constant)', async () => {
    const { provider, reader } = meterProvider();
    const meter = provider.getMeter('breakwater');
    const manager = new HealthCheckManager();
    manager.register({ name: 'ping', check: () => ({ status: 'healthy' }) });
    const stop = observeHealth(meter, manager);
    await manager.runAll();
    const points = await collect(reader);
    const [health] = pointsOf(points, 'health_check.duration');
    expect((health!.value as Histogram).buckets.boundaries).toEqual([...DURATION_BUCKETS_SECONDS]);
    stop();
    await manager.stop();
    await provider.shutdown();
  });

  it('the README lists the boundaries the histograms really have', () => {
    const listed = /bucket boundaries \(in seconds\)\s+`([^`]+)`/.exec(readmeSection('telemetry'));
    expect(listed).not.toBeNull();
    expect(listed![1]!.split(',').map(Number)).toEqual([...DURATION_BUCKETS_SECONDS]);
  });
});
