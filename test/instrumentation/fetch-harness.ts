/**
 * A hand-built ClientContext for the fetch/undici tests: one real CircuitBreaker per `host:port`
 * (created on first use with the options given), a clock the test moves, a retry setting the test
 * can change, and a diag logger that records what the patch reports.
 */
import type { DiagLogger } from '@opentelemetry/api';
import { CircuitBreaker } from '../../src/breaker/circuit-breaker.js';
import type { CircuitBreakerOptions, RetryOptions } from '../../src/breaker/types.js';
import type { ClientContext } from '../../src/instrumentation/client-context.js';
import { createFetchPatch } from '../../src/instrumentation/fetch.js';

export const LEGACY_SLOT = Symbol.for('undici.globalDispatcher.1');
export const CURRENT_SLOT = Symbol.for('undici.globalDispatcher.2');

export function slot(symbol: symbol): unknown {
  return (globalThis as unknown as Record<symbol, unknown>)[symbol];
}

export interface FetchHarness {
  ctx: ClientContext & { retry: RetryOptions | undefined };
  clock: { now(): number; advance(ms: number): void };
  breakers: Map<string, CircuitBreaker>;
  /** The breaker for `127.0.0.1:PORT` (created if needed). */
  breaker(port: number, host?: string): CircuitBreaker;
  diagErrors: unknown[][];
  /** Make ctx.breakerFor throw (an internal fault) until set back to false. */
  faulty: boolean;
  enable(): void;
  disable(): void;
}

export function fetchHarness(options: Partial<CircuitBreakerOptions> = {}): FetchHarness {
  let t = 1_000_000;
  const clock = { now: () => t, advance: (ms: number) => void (t += ms) };
  const breakers = new Map<string, CircuitBreaker>();
  const diagErrors: unknown[][] = [];
  const noop = (): void => {};
  const diag: DiagLogger = {
    error: (...args: unknown[]) => void diagErrors.push(args),
    warn: (...args: unknown[]) => void diagErrors.push(args),
    info: noop,
    debug: noop,
    verbose: noop,
  };
  const harness: FetchHarness = {
    ctx: undefined as unknown as FetchHarness['ctx'],
    clock,
    breakers,
    diagErrors,
    faulty: false,
    breaker: (port, host = '127.0.0.1') => harness.ctx.breakerFor(host, port)!,
    enable: () => patch.enable(),
    disable: () => patch.disable(),
  };
  harness.ctx = {
    breakerFor(host, port) {
      if (harness.faulty) throw new Error('registry exploded');
      const key = `${host.includes(':') ? `[${host}]` : host}:${port}`;
      let b = breakers.get(key);
      if (!b) {
        b = new CircuitBreaker({ failureThreshold: 3, openTimeoutMs: 1_000, ...options, name: key, clock });
        breakers.set(key, b);
      }
      return b;
    },
    breakerForTarget: () => undefined,
    isFailureStatus: (s) => s === 408 || s === 429 || (s >= 500 && s <= 599),
    isFailureGrpcCode: () => false,
    retry: undefined,
    diag,
  };
  const patch = createFetchPatch(harness.ctx);
  return harness;
}

/** Every permit settled: nothing in flight and the metrics add up. */
export function expectNoLeak(b: CircuitBreaker): { inFlight: number; balanced: boolean } {
  const m = b.metrics;
  return {
    inFlight: b.inFlight,
    balanced: m.totalCalls === m.successfulCalls + m.failedCalls + m.ignoredCalls + m.rejectedCalls,
  };
}
