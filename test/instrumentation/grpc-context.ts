/**
 * The gRPC patch tests' view of the shared test ClientContext (test-context.ts): one
 * CircuitBreaker per channel target on a manual clock (so open → half-open needs no sleeping), the
 * default gRPC failure codes, and a diag that records what the patch reports.
 */
import type { CircuitBreaker } from '../../src/breaker/circuit-breaker.js';
import type { CircuitBreakerOptions } from '../../src/breaker/types.js';
import { DEFAULT_FAILURE_CODES, testClientContext, type ManualClock, type MutableClientContext } from './test-context.js';

export interface TestContext {
  ctx: MutableClientContext;
  clock: ManualClock;
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
  const { ctx, clock, breakers, breakerNamed, diagErrors } = testClientContext({
    successThreshold: 2,
    halfOpenMaxCalls: 2,
    ...options,
  });
  const lookups: string[] = [];
  const test: TestContext = {
    ctx,
    clock,
    breakers,
    lookups,
    diagErrors,
    unprotected: new Set(),
    failLookups: false,
    breaker: breakerNamed,
  };
  ctx.breakerForTarget = (target) => {
    lookups.push(target);
    if (test.failLookups) throw new Error('lookup exploded');
    if (test.unprotected.has(target)) return undefined;
    return test.breaker(target);
  };
  ctx.isFailureStatus = () => false;
  ctx.isFailureGrpcCode = (code) => DEFAULT_FAILURE_CODES.has(code);
  return test;
}
