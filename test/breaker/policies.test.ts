import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConsecutiveFailures, FailureRateWindow } from '../../src/breaker/policies.js';

describe('ConsecutiveFailures', () => {
  it('trips on the threshold-th failure in a row', () => {
    const p = new ConsecutiveFailures(3);
    expect([p.failure(), p.failure(), p.failure()]).toEqual([false, false, true]);
    p.reset();
    expect(p.failure()).toBe(false);
    p.success();
    expect([p.failure(), p.failure()]).toEqual([false, false]);
  });
});

describe('FailureRateWindow', () => {
  it('agrees with a plain array model for any outcome sequence (window spans several bit words)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 100 }),
        fc.integer({ min: 1, max: 100 }),
        fc.double({ min: 1, max: 100, noNaN: true }),
        fc.array(fc.boolean(), { maxLength: 400 }),
        (size, minCallsRaw, threshold, outcomes) => {
          const minCalls = Math.min(minCallsRaw, size);
          const p = new FailureRateWindow(threshold, size, minCalls);
          const window: boolean[] = [];
          for (const failed of outcomes) {
            window.push(failed);
            if (window.length > size) window.shift();
            const failures = window.filter(Boolean).length;
            const expected = failed && window.length >= minCalls && failures * 100 >= threshold * window.length;
            if (failed) {
              if (p.failure() !== expected) return false;
            } else {
              p.success();
            }
          }
          return true;
        },
      ),
    );
  });

  it('reset() empties the window', () => {
    const p = new FailureRateWindow(50, 4, 2);
    p.failure();
    p.reset();
    expect(p.failure()).toBe(false); // one call: below the minimum
    expect(p.failure()).toBe(true);
  });
});
