import { describe, expect, it } from 'vitest';
import { CircuitOpenError } from '../../src/breaker/errors.js';
import { breakerWith, failTimes } from './helpers.js';

describe('half-open under a crowd', () => {
  for (const halfOpenMaxCalls of [1, 3]) {
    it(`1,000 callers arriving while half-open: exactly ${halfOpenMaxCalls} reach the function`, async () => {
      const { breaker, clock } = breakerWith({ failureThreshold: 1, openTimeoutMs: 100, halfOpenMaxCalls });
      await failTimes(breaker, 1);
      clock.advance(100);
      let reached = 0;
      const release: (() => void)[] = [];
      const probe = (): Promise<string> =>
        new Promise<string>((resolve) => {
          reached++;
          release.push(() => resolve('probe ok'));
        });
      const calls: Promise<unknown>[] = [];
      // half of them in one synchronous burst, the rest spread over microtasks and a macrotask
      for (let i = 0; i < 500; i++) calls.push(breaker.execute(probe).catch((e: unknown) => e));
      for (let i = 0; i < 250; i++) {
        await Promise.resolve();
        calls.push(breaker.execute(probe).catch((e: unknown) => e));
      }
      await new Promise((r) => setImmediate(r));
      for (let i = 0; i < 250; i++) calls.push(breaker.execute(probe).catch((e: unknown) => e));

      expect(reached).toBe(halfOpenMaxCalls);
      expect(breaker.inFlight).toBe(halfOpenMaxCalls);
      for (const r of release) r();
      const results = await Promise.all(calls);
      expect(results.filter((r) => r === 'probe ok')).toHaveLength(halfOpenMaxCalls);
      const rejected = results.filter((r) => r instanceof CircuitOpenError) as CircuitOpenError[];
      expect(rejected).toHaveLength(1_000 - halfOpenMaxCalls);
      expect(rejected.every((e) => e.state === 'half_open')).toBe(true);
      expect(breaker.state).toBe('closed');
      expect(breaker.metrics).toMatchObject({
        totalCalls: 1_001,
        successfulCalls: halfOpenMaxCalls,
        failedCalls: 1,
        rejectedCalls: 1_000 - halfOpenMaxCalls,
        rejectedCallsHalfOpen: 1_000 - halfOpenMaxCalls,
      });
    });
  }
});
