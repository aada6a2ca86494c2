import { describe, expect, it } from 'vitest';
import { DEFAULT_SYSTEM_THRESHOLDS, evaluateSystem, systemCheck } from '../../../src/health/checks/system.js';
import type { SystemProbes } from '../../../src/health/checks/system-probes.js';
import { HealthCheckManager } from '../../../src/health/manager.js';

const calm: Partial<SystemProbes> = {
  eventLoopDelayMs: () => 12,
  heap: () => ({ usedBytes: 50, limitBytes: 100 }),
  rssBytes: () => 200,
  memoryLimitBytes: () => 1_000,
  cpu: () => ({ loadAverage: 1, cores: 4 }),
  disk: async () => ({ usedBytes: 30, totalBytes: 100 }),
};

describe('system check', () => {
  it('judges each measure against its thresholds and reports the worst', () => {
    const t = DEFAULT_SYSTEM_THRESHOLDS;
    expect(evaluateSystem({ eventLoopDelayMs: 10, heapUsedRatio: 0.5, diskUsedRatio: 0.3 }, t)).toEqual({ status: 'healthy', message: 'ok' });
    expect(evaluateSystem({ eventLoopDelayMs: 250 }, t)).toEqual({ status: 'degraded', message: 'event-loop delay p99 250.0 ms (degraded at 200)' });
    expect(evaluateSystem({ heapUsedRatio: 0.96, diskUsedRatio: 0.91 }, t)).toEqual({
      status: 'unhealthy',
      message: 'heap 96.0% of limit (unhealthy at 0.95); disk 91.0% used (degraded at 0.9)',
    });
    expect(evaluateSystem({ cpuLoadPerCore: 50 }, t).status).toBe('degraded'); // CPU load alone never makes it unhealthy
    expect(evaluateSystem({ heapUsedRatio: 0.99 }, { ...t, heapUsedRatio: false }).status).toBe('healthy');
  });

  it('reads the probes and reports details', async () => {
    const health = new HealthCheckManager();
    health.register(systemCheck({ probes: calm, diskPath: '/data' }));
    const report = await health.runAll();
    expect(report.components.system).toMatchObject({
      status: 'healthy',
      message: 'ok',
      details: {
        event_loop_delay_p99_ms: 12,
        heap_used_ratio: 0.5,
        rss_bytes: 200,
        memory_limit_bytes: 1_000,
        rss_ratio: 0.2,
        load_average_1m: 1,
        cpu_cores: 4,
        cpu_load_per_core: 0.25,
        disk_path: '/data',
        disk_used_ratio: 0.3,
      },
    });
    expect(health.check('system')?.componentType).toBe('system');
  });

  it('takes thresholds and limits as options', async () => {
    const health = new HealthCheckManager();
    health.register(systemCheck({
      name: 'host',
      probes: calm,
      memoryLimitBytes: 250,
      rssRatio: { degraded: 0.5, unhealthy: 0.75 },
      eventLoopDelayMs: { degraded: 10 },
      diskUsedRatio: false,
    }));
    const report = await health.runAll();
    expect(report.components.host?.status).toBe('unhealthy');
    expect(report.components.host?.message).toBe('event-loop delay p99 12.0 ms (degraded at 10); RSS 80.0% of memory limit (unhealthy at 0.75)');
    expect(report.components.host?.details).not.toHaveProperty('disk_used_ratio');
  });

  it('measures the real process and machine', async () => {
    const health = new HealthCheckManager();
    health.register(systemCheck({ cpuLoadPerCore: false }));
    await health.runAll();
    const report = await health.runAll(); // the second run has an event-loop window to read
    const details = report.components.system?.details as Record<string, number>;
    expect(details.heap_used_bytes).toBeGreaterThan(0);
    expect(details.heap_used_ratio).toBeGreaterThan(0);
    expect(details.heap_used_ratio).toBeLessThan(1);
    expect(details.rss_bytes).toBeGreaterThan(0);
    expect(details.disk_total_bytes).toBeGreaterThan(0);
    expect(details.disk_used_ratio).toBeGreaterThan(0);
    expect(details.event_loop_delay_p99_ms).toBeGreaterThanOrEqual(0);
    await health.stop();
  });

  it('rejects bad thresholds naming the option', () => {
    expect(() => systemCheck({ heapUsedRatio: { degraded: 0.9, unhealthy: 0.8 } })).toThrow(
      'systemCheck(): option "heapUsedRatio" must be false or { degraded?, unhealthy? } with numbers >= 0 and degraded <= unhealthy, got {"degraded":0.9,"unhealthy":0.8}',
    );
    expect(() => systemCheck({ memoryLimitBytes: -1 })).toThrow('systemCheck(): option "memoryLimitBytes" must be a number > 0, got -1');
  });
});
