import { OptionChecker } from '../../common/option-checker.js';
import type { CheckRegistration, CheckResult, HealthStatus } from '../check-types.js';
import { defaultSystemProbes, type SystemProbes } from './system-probes.js';

/** A value at or above `unhealthy` is unhealthy, at or above `degraded` degraded. Either may be left out. */
export interface Threshold {
  degraded?: number;
  unhealthy?: number;
}

export interface SystemCheckOptions {
  /** Default `system`. */
  name?: string;
  intervalMs?: number;
  timeoutMs?: number;
  weight?: number;
  /** Default false: a busy machine degrades the service but does not take it out of rotation. */
  critical?: boolean;
  /** p99 event-loop delay since the previous run, in ms (default degraded 200, unhealthy 1000). `false` skips it. */
  eventLoopDelayMs?: Threshold | false;
  /** Used V8 heap as a share of the heap limit (default degraded 0.85, unhealthy 0.95). */
  heapUsedRatio?: Threshold | false;
  /** RSS as a share of `memoryLimitBytes` (default degraded 0.85, unhealthy 0.95). */
  rssRatio?: Threshold | false;
  /** Memory the process may use (default: its cgroup limit, else the machine's memory). */
  memoryLimitBytes?: number;
  /** 1-minute load average per core (default degraded 2, never unhealthy: load is the machine's, not ours). */
  cpuLoadPerCore?: Threshold | false;
  /** Used share of the file system holding `diskPath` (default degraded 0.9, unhealthy 0.95). */
  diskUsedRatio?: Threshold | false;
  /** Default `process.cwd()`. */
  diskPath?: string;
  /** Replaces how the machine is read (tests). */
  probes?: Partial<SystemProbes>;
}

/** One reading of the machine. */
export interface SystemSample {
  eventLoopDelayMs?: number;
  heapUsedRatio?: number;
  rssRatio?: number;
  cpuLoadPerCore?: number;
  diskUsedRatio?: number;
}

export type SystemThresholds = Record<keyof SystemSample, Threshold | false>;

export const DEFAULT_SYSTEM_THRESHOLDS: SystemThresholds = {
  eventLoopDelayMs: { degraded: 200, unhealthy: 1_000 },
  heapUsedRatio: { degraded: 0.85, unhealthy: 0.95 },
  rssRatio: { degraded: 0.85, unhealthy: 0.95 },
  cpuLoadPerCore: { degraded: 2 },
  diskUsedRatio: { degraded: 0.9, unhealthy: 0.95 },
};

const LABELS: Record<keyof SystemSample, (v: number) => string> = {
  eventLoopDelayMs: (v) => `event-loop delay p99 ${v.toFixed(1)} ms`,
  heapUsedRatio: (v) => `heap ${(v * 100).toFixed(1)}% of limit`,
  rssRatio: (v) => `RSS ${(v * 100).toFixed(1)}% of memory limit`,
  cpuLoadPerCore: (v) => `load ${v.toFixed(2)} per core`,
  diskUsedRatio: (v) => `disk ${(v * 100).toFixed(1)}% used`,
};

const RANK: Record<HealthStatus, number> = { unknown: 0, healthy: 1, degraded: 2, unhealthy: 3 };

/** Pure judgement of a sample: the worst status over the measured values, and what caused it. */
export function evaluateSystem(sample: SystemSample, thresholds: SystemThresholds): { status: HealthStatus; message: string } {
  let status: HealthStatus = 'healthy';
  const problems: string[] = [];
  for (const key of Object.keys(LABELS) as (keyof SystemSample)[]) {
    const value = sample[key];
    const threshold = thresholds[key];
    if (value === undefined || threshold === false) continue;
    let level: HealthStatus = 'healthy';
    if (threshold.unhealthy !== undefined && value >= threshold.unhealthy) level = 'unhealthy';
    else if (threshold.degraded !== undefined && value >= threshold.degraded) level = 'degraded';
    if (level === 'healthy') continue;
    const limit = level === 'unhealthy' ? threshold.unhealthy : threshold.degraded;
    problems.push(`${LABELS[key](value)} (${level} at ${limit})`);
    if (RANK[level] > RANK[status]) status = level;
  }
  return { status, message: problems.length === 0 ? 'ok' : problems.join('; ') };
}

function checkThreshold(key: string, value: unknown, fallback: Threshold | false): Threshold | false {
  if (value === undefined) return fallback;
  if (value === false) return false;
  const t = value as Threshold;
  const ok =
    typeof value === 'object' &&
    value !== null &&
    [t.degraded, t.unhealthy].every((n) => n === undefined || (typeof n === 'number' && Number.isFinite(n) && n >= 0)) &&
    (t.degraded === undefined || t.unhealthy === undefined || t.degraded <= t.unhealthy);
  if (!ok) {
    throw CHECK.error(key, 'false or { degraded?, unhealthy? } with numbers >= 0 and degraded <= unhealthy', value);
  }
  return { ...t };
}

const CHECK = new OptionChecker('systemCheck()');

const round = (v: number, digits: number): number => Number(v.toFixed(digits));

/**
 * A check of the process and its machine (component type `system`): event-loop delay, heap and RSS
 * against their limits, CPU load and disk usage, each against configurable thresholds. Register
 * it with `health.register(systemCheck())`.
 */
export function systemCheck(options: SystemCheckOptions = {}): CheckRegistration {
  const thresholds: SystemThresholds = {
    eventLoopDelayMs: checkThreshold('eventLoopDelayMs', options.eventLoopDelayMs, DEFAULT_SYSTEM_THRESHOLDS.eventLoopDelayMs),
    heapUsedRatio: checkThreshold('heapUsedRatio', options.heapUsedRatio, DEFAULT_SYSTEM_THRESHOLDS.heapUsedRatio),
    rssRatio: checkThreshold('rssRatio', options.rssRatio, DEFAULT_SYSTEM_THRESHOLDS.rssRatio),
    cpuLoadPerCore: checkThreshold('cpuLoadPerCore', options.cpuLoadPerCore, DEFAULT_SYSTEM_THRESHOLDS.cpuLoadPerCore),
    diskUsedRatio: checkThreshold('diskUsedRatio', options.diskUsedRatio, DEFAULT_SYSTEM_THRESHOLDS.diskUsedRatio),
  };
  const { memoryLimitBytes, diskPath = process.cwd() } = options;
  CHECK.number('memoryLimitBytes', memoryLimitBytes, undefined, { minExclusive: 0 });
  if (typeof diskPath !== 'string' || diskPath === '') throw CHECK.error('diskPath', 'a non-empty path', diskPath);
  const probes: SystemProbes = { ...defaultSystemProbes(), ...options.probes };

  async function check(): Promise<CheckResult> {
    const sample: SystemSample = {};
    const details: Record<string, unknown> = {};
    if (thresholds.eventLoopDelayMs !== false) {
      sample.eventLoopDelayMs = probes.eventLoopDelayMs();
      details.event_loop_delay_p99_ms = round(sample.eventLoopDelayMs, 2);
    }
    if (thresholds.heapUsedRatio !== false) {
      const heap = probes.heap();
      sample.heapUsedRatio = heap.usedBytes / heap.limitBytes;
      Object.assign(details, { heap_used_bytes: heap.usedBytes, heap_limit_bytes: heap.limitBytes, heap_used_ratio: round(sample.heapUsedRatio, 4) });
    }
    if (thresholds.rssRatio !== false) {
      const rss = probes.rssBytes();
      const limit = memoryLimitBytes ?? probes.memoryLimitBytes();
      sample.rssRatio = rss / limit;
      Object.assign(details, { rss_bytes: rss, memory_limit_bytes: limit, rss_ratio: round(sample.rssRatio, 4) });
    }
    if (thresholds.cpuLoadPerCore !== false) {
      const cpu = probes.cpu();
      sample.cpuLoadPerCore = cpu.loadAverage / Math.max(1, cpu.cores);
      Object.assign(details, { load_average_1m: round(cpu.loadAverage, 2), cpu_cores: cpu.cores, cpu_load_per_core: round(sample.cpuLoadPerCore, 3) });
    }
    if (thresholds.diskUsedRatio !== false) {
      const disk = await probes.disk(diskPath);
      sample.diskUsedRatio = disk.totalBytes > 0 ? disk.usedBytes / disk.totalBytes : 0;
      Object.assign(details, { disk_path: diskPath, disk_used_bytes: disk.usedBytes, disk_total_bytes: disk.totalBytes, disk_used_ratio: round(sample.diskUsedRatio, 4) });
    }
    return { ...evaluateSystem(sample, thresholds), details };
  }

  return {
    name: options.name ?? 'system',
    componentType: 'system',
    check,
    intervalMs: options.intervalMs,
    timeoutMs: options.timeoutMs,
    weight: options.weight,
    critical: options.critical ?? false,
    close: () => probes.close(),
  };
}
