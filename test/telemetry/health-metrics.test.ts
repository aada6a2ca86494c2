import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { HealthCheckManager } from '../../src/health/manager.js';
import { observeHealth } from '../../src/telemetry/health-metrics.js';
import { collect, meterProvider, pointsOf, valueOf } from './metrics-harness.js';

function managerWithChecks() {
  const state = { db: true, healOk: true };
  const health = new HealthCheckManager({ checkIntervalMs: 60_000, heal: { cooldownMs: 0 } });
  health.register({
    name: 'db',
    componentType: 'database',
    critical: true,
    autoHeal: true,
    check: () => state.db,
    heal: () => {
      if (!state.healOk) throw new Error('still down');
      state.db = true;
    },
  });
  health.register({ name: 'cache', check: () => ({ status: 'degraded' }) });
  return { health, state };
}

describe('health metrics', () => {
  it('exports score, per-check status, durations and heals as in DESIGN.md', async () => {
    const { health, state } = managerWithChecks();
    const { provider, reader } = meterProvider();
    const stop = observeHealth(provider.getMeter('breakwater'), health);
    await health.runAll();
    state.db = false; // healed at once
    await health.runAll();
    state.db = false;
    state.healOk = false; // heal fails
    await health.runAll();

    const points = await collect(reader);
    expect(valueOf(points, 'health_check.score', {})).toBe(30); // db unhealthy (0) and cache degraded (60)
    expect(pointsOf(points, 'health_check.score')[0]?.unit).toBe('{score}');
    const dbStatus = pointsOf(points, 'health_check.status', { 'health_check.name': 'db' });
    expect(Object.fromEntries(dbStatus.map((p) => [p.attributes['health_check.status'], p.value]))).toEqual({
      healthy: 0, degraded: 0, unhealthy: 1, unknown: 0,
    });
    expect(dbStatus[0]?.attributes['health_check.component_type']).toBe('database');
    expect(valueOf(points, 'health_check.status', { 'health_check.name': 'cache', 'health_check.status': 'degraded' })).toBe(1);
    expect(valueOf(points, 'health_check.heals', { 'health_check.name': 'db', 'health_check.heal.outcome': 'success' })).toBe(1);
    expect(valueOf(points, 'health_check.heals', { 'health_check.name': 'db', 'health_check.heal.outcome': 'failure' })).toBe(1);
    expect(pointsOf(points, 'health_check.heals', { 'health_check.name': 'cache' })).toEqual([]); // cache does not heal
    // db ran 5 times (1 + check/heal/re-check twice), cache 3 times
    const dbDuration = valueOf(points, 'health_check.duration', { 'health_check.name': 'db' }) as { count: number; sum: number };
    expect(dbDuration.count).toBe(5);
    expect(dbDuration.sum).toBeGreaterThanOrEqual(0);
    expect((valueOf(points, 'health_check.duration', { 'health_check.name': 'cache' }) as { count: number }).count).toBe(3);
    expect(pointsOf(points, 'health_check.duration')[0]?.unit).toBe('s');
    stop();
    await provider.shutdown();
  });

  it("drops an unregistered check's series", async () => {
    const { health } = managerWithChecks();
    const { provider, reader } = meterProvider();
    observeHealth(provider.getMeter('breakwater'), health);
    await health.runAll();
    expect(pointsOf(await collect(reader), 'health_check.status', { 'health_check.name': 'cache' })).toHaveLength(4);
    health.unregister('cache');
    expect(pointsOf(await collect(reader), 'health_check.status', { 'health_check.name': 'cache' })).toHaveLength(0);
    await provider.shutdown();
  });

  it('moves to a new MeterProvider: remove, then observe again', async () => {
    const { health } = managerWithChecks();
    const first = meterProvider();
    const stop = observeHealth(first.provider.getMeter('breakwater'), health);
    await health.runAll();
    stop();
    stop(); // twice is harmless
    const second = meterProvider();
    observeHealth(second.provider.getMeter('breakwater'), health);
    await health.runAll();
    const points = await collect(second.reader);
    expect(valueOf(points, 'health_check.score', {})).toBe(80);
    expect((valueOf(points, 'health_check.duration', { 'health_check.name': 'db' }) as { count: number }).count).toBe(1);
    const old = await collect(first.reader);
    expect(pointsOf(old, 'health_check.score')).toEqual([]);
    expect((valueOf(old, 'health_check.duration', { 'health_check.name': 'db' }) as { count: number }).count).toBe(1); // nothing recorded after remove
    await first.provider.shutdown();
    await second.provider.shutdown();
  });
});

describe('health metrics in Prometheus', () => {
  it('prints the DESIGN.md Prometheus names', async () => {
    const { health, state } = managerWithChecks();
    const exporter = new PrometheusExporter({ preventServerStart: true });
    const provider = new MeterProvider({ readers: [exporter] });
    const server = http.createServer((req, res) => exporter.getMetricsRequestHandler(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      observeHealth(provider.getMeter('breakwater'), health);
      await health.runAll();
      state.db = false;
      await health.runAll();
      const { port } = server.address() as AddressInfo;
      const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      const lines = text.split('\n');
      const has = (re: RegExp): boolean => lines.some((l) => re.test(l));
      expect(has(/^# TYPE health_check_score gauge$/)).toBe(true);
      expect(has(/^health_check_score\{[^}]*\} 80$/)).toBe(true);
      expect(has(/^# TYPE health_check_status gauge$/)).toBe(true);
      expect(has(/^health_check_status\{(?=[^}]*health_check_name="db")(?=[^}]*health_check_component_type="database")(?=[^}]*health_check_status="healthy")[^}]*\} 1$/)).toBe(true);
      expect(has(/^# TYPE health_check_duration histogram$/)).toBe(true);
      expect(has(/^health_check_duration_bucket\{[^}]*health_check_name="db"[^}]*le="0.001"[^}]*\} \d+$/)).toBe(true);
      expect(has(/^health_check_duration_count\{[^}]*health_check_name="db"[^}]*\} 3$/)).toBe(true);
      expect(has(/^# TYPE health_check_heals_total counter$/)).toBe(true);
      expect(has(/^health_check_heals_total\{(?=[^}]*health_check_name="db")(?=[^}]*health_check_heal_outcome="success")[^}]*\} 1$/)).toBe(true);
    } finally {
      await provider.shutdown();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
