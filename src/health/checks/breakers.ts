import type { CircuitBreaker } from '../../breaker/circuit-breaker.js';
import { defaultRegistry, type BreakerRegistry } from '../../breaker/registry.js';
import type { CircuitState } from '../../breaker/types.js';
import { OptionChecker } from '../../common/option-checker.js';
import type { CheckRegistration, CheckResult, HealthStatus } from '../check-types.js';

/**
 * Why an open breaker is only `degraded` by default: it means something *elsewhere* is down and
 * this instance is failing fast as designed. Marking it unhealthy would pull every instance out of
 * the load balancer at once for an outage none of them can fix. Mark it critical when this service
 * is useless without that dependency.
 */
function statusOf(state: CircuitState, critical: boolean): HealthStatus {
  if (state === 'closed') return 'healthy';
  if (state === 'half_open') return 'degraded';
  return critical ? 'unhealthy' : 'degraded';
}

export interface BreakerCheckOptions {
  /** Default `circuit_breaker:<breaker name>`. */
  name?: string;
  intervalMs?: number;
  timeoutMs?: number;
  weight?: number;
  /** An open breaker makes the check unhealthy (and, as a critical check, the service) instead of degraded. */
  critical?: boolean;
}

/** A check of one breaker (component type `circuit_breaker`): closed healthy, half-open degraded, open degraded (unhealthy when critical). */
export function breakerCheck(breaker: CircuitBreaker, options: BreakerCheckOptions = {}): CheckRegistration {
  const critical = options.critical ?? false;
  return {
    name: options.name ?? `circuit_breaker:${breaker.name}`,
    componentType: 'circuit_breaker',
    intervalMs: options.intervalMs,
    timeoutMs: options.timeoutMs,
    weight: options.weight,
    critical,
    check(): CheckResult {
      const state = breaker.state;
      const m = breaker.metrics;
      const retryAfterMs = breaker.retryAfterMs();
      return {
        status: statusOf(state, critical),
        message: state === 'open' ? `open, ${describeWait(retryAfterMs)}` : state === 'half_open' ? 'half-open, probing' : 'closed',
        details: {
          state,
          retry_after_ms: Number.isFinite(retryAfterMs) ? Math.round(retryAfterMs) : null,
          total_calls: m.totalCalls,
          failed_calls: m.failedCalls,
          rejected_calls: m.rejectedCalls,
        },
      };
    },
  };
}

export interface BreakerRegistryCheckOptions {
  /** Default `circuit_breakers`. */
  name?: string;
  intervalMs?: number;
  timeoutMs?: number;
  weight?: number;
  /** Breakers (by name) whose opening makes the check unhealthy, and the service with it. */
  critical?: readonly string[];
  /** Most breaker names listed per state in `details` (default 20); the counts are always complete. */
  maxListed?: number;
}

/**
 * One check over every breaker of a registry (default: the one zero-code instrumentation and
 * `@circuitBreaker` use), component type `circuit_breaker`: healthy when all are closed, degraded
 * when any is open or half-open, unhealthy when a breaker named in `critical` is open. One check for
 * the whole registry keeps the report and the metric series bounded however many destinations there are.
 */
export function breakerRegistryCheck(registry: BreakerRegistry = defaultRegistry, options: BreakerRegistryCheckOptions = {}): CheckRegistration {
  const criticalNames = options.critical ?? [];
  if (!Array.isArray(criticalNames) || criticalNames.some((n) => typeof n !== 'string')) {
    throw new OptionChecker('breakerRegistryCheck()').error('critical', 'an array of breaker names', criticalNames);
  }
  const maxListed = new OptionChecker('breakerRegistryCheck()').number('maxListed', options.maxListed, 20, { integer: true, min: 0 });
  const critical = new Set(criticalNames);
  return {
    name: options.name ?? 'circuit_breakers',
    componentType: 'circuit_breaker',
    intervalMs: options.intervalMs,
    timeoutMs: options.timeoutMs,
    weight: options.weight,
    critical: critical.size > 0,
    check(): CheckResult {
      const open: string[] = [];
      const halfOpen: string[] = [];
      const criticalOpen: string[] = [];
      let total = 0;
      for (const breaker of registry) {
        total++;
        const state = breaker.state;
        if (state === 'open') {
          open.push(breaker.name);
          if (critical.has(breaker.name)) criticalOpen.push(breaker.name);
        } else if (state === 'half_open') {
          halfOpen.push(breaker.name);
        }
      }
      let status: HealthStatus = 'healthy';
      if (open.length > 0 || halfOpen.length > 0) status = 'degraded';
      if (criticalOpen.length > 0) status = 'unhealthy';
      const parts: string[] = [];
      if (criticalOpen.length > 0) parts.push(`critical open: ${criticalOpen.join(', ')}`);
      if (open.length > 0) parts.push(`${open.length} open`);
      if (halfOpen.length > 0) parts.push(`${halfOpen.length} half-open`);
      return {
        status,
        message: parts.length > 0 ? `${parts.join('; ')} of ${total} breakers` : `${total} breakers closed`,
        details: {
          total,
          closed: total - open.length - halfOpen.length,
          open: open.slice(0, maxListed),
          half_open: halfOpen.slice(0, maxListed),
          open_count: open.length,
          half_open_count: halfOpen.length,
        },
      };
    },
  };
}

function describeWait(ms: number): string {
  return Number.isFinite(ms) ? `retry in ${Math.ceil(ms)} ms` : 'forced open';
}
