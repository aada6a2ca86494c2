import { CircuitBreaker } from '../../src/breaker/circuit-breaker.js';
import type { CircuitBreakerOptions } from '../../src/breaker/types.js';

/** A clock the test moves by hand. */
export class ManualClock {
  constructor(public t = 1_700_000_000_000) {}
  now(): number {
    return this.t;
  }
  advance(ms: number): void {
    this.t += ms;
  }
}

export function breakerWith(options: Partial<CircuitBreakerOptions> = {}): { breaker: CircuitBreaker; clock: ManualClock } {
  const clock = (options.clock as ManualClock | undefined) ?? new ManualClock();
  const breaker = new CircuitBreaker({ name: 'test', ...options, clock });
  return { breaker, clock };
}

export const boom = (): never => {
  throw new Error('boom');
};

/** Fails `n` calls through execute(). */
export async function failTimes(breaker: CircuitBreaker, n: number): Promise<void> {
  for (let i = 0; i < n; i++) await breaker.execute(boom).catch(() => undefined);
}

export function invariantHolds(breaker: CircuitBreaker): boolean {
  const m = breaker.metrics;
  return m.totalCalls === m.successfulCalls + m.failedCalls + m.ignoredCalls + m.rejectedCalls;
}
