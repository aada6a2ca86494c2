/**
 * A hand-built ClientContext for the gRPC patch tests: one CircuitBreaker per key on a manual
 * clock (so open → half-open needs no sleeping), the default gRPC failure codes, and a diag that
 * records what the patch reports.
 */
import type { DiagLogger } from '@opentelemetry/api';
import { CircuitBreaker } from '../../src/breaker/circuit-breaker.js';
import type { CircuitBreakerOptions } from '../../src/breaker/types.js';
import type { ClientContext } from '../../src/instrumentation/client-context.js';

export const DEFAULT_FAILURE_CODES = new Set([14, 4, 8, 13, 2]); // UNAVAILABLE, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, INTERNAL, UNKNOWN

export interface TestContext {
  ctx: ClientContext;
  clock: { now(): number; advance(ms: number): void };
  breakers: Map<string, CircuitBreaker>;
  /** Keys asked for, in order. */
  lookups: string[];
  diagErrors: unknown[][];
  breaker(key: string): CircuitBreaker;
  /** Make breakerForTarget return undefined (an excluded or suppressed call). */
  unprotected: Set<string>;
  /** Make breakerForTarget throw (an internal fault). */
  failLookups: boolean;
}

export function makeTestContext(options: Partial<CircuitBreakerOptions> = {}): TestContext {
  let now = 1_000_000;
  const clock = { now: () => now, advance: (ms: number) => void (now += ms) };
  const breakers = new Map<string, CircuitBreaker>();
  const lookups: string[] = [];
  const diagErrors: unknown[][] = [];
  const noop = (): void => {};
  const diag: DiagLogger = {
    error: (...args: unknown[]) => void diagErrors.push(args),
    warn: noop,
    info: noop,
    debug: noop,
    verbose: noop,
  };
  const test: TestContext = {
    clock,
    breakers,
    lookups,
    diagErrors,
    unprotected: new Set(),
    failLookups: false,
    breaker(key) {
      let b = breakers.get(key);
      if (!b) {
        b = new CircuitBreaker({
          failureThreshold: 3,
          successThreshold: 2,
          openTimeoutMs: 1_000,
          halfOpenMaxCalls: 2,
          ...options,
          name: key,
          clock,
        });
        breakers.set(key, b);
      }
      return b;
    },
    ctx: {
      breakerFor: () => undefined,
      breakerForTarget(target) {
        lookups.push(target);
        if (test.failLookups) throw new Error('lookup exploded');
        if (test.unprotected.has(target)) return undefined;
        return test.breaker(target);
      },
      isFailureStatus: () => false,
      isFailureGrpcCode: (code) => DEFAULT_FAILURE_CODES.has(code),
      retry: undefined,
      diag,
    },
  };
  return test;
}
