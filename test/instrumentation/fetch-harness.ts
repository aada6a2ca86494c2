/**
 * The fetch/undici tests' view of the shared test ClientContext (test-context.ts): one real
 * CircuitBreaker per `host:port`, a clock the test moves, a retry setting the test can change, and
 * a diag logger that records the errors and warnings the patch reports.
 */
import type { CircuitBreaker } from '../../src/breaker/circuit-breaker.js';
import type { CircuitBreakerOptions } from '../../src/breaker/types.js';
import { createFetchPatch } from '../../src/instrumentation/fetch.js';
import { keyOf, testClientContext, type ManualClock, type MutableClientContext } from './test-context.js';

export const LEGACY_SLOT = Symbol.for('undici.globalDispatcher.1');
export const CURRENT_SLOT = Symbol.for('undici.globalDispatcher.2');

export function slot(symbol: symbol): unknown {
  return (globalThis as unknown as Record<symbol, unknown>)[symbol];
}

export interface FetchHarness {
  ctx: MutableClientContext;
  clock: ManualClock;
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
  const { ctx, clock, breakers, breakerNamed, diagErrors } = testClientContext(options, { recordWarnings: true });
  const harness: FetchHarness = {
    ctx,
    clock,
    breakers,
    diagErrors,
    faulty: false,
    breaker: (port, host = '127.0.0.1') => ctx.breakerFor(host, port)!,
    enable: () => patch.enable(),
    disable: () => patch.disable(),
  };
  ctx.breakerFor = (host, port) => {
    if (harness.faulty) throw new Error('registry exploded');
    return breakerNamed(keyOf(host, port));
  };
  const patch = createFetchPatch(ctx);
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
