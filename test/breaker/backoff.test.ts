import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { backoffMs } from '../../src/breaker/backoff.js';

const settings = { initialMs: 1_000, maxMs: 60_000, multiplier: 2, jitter: 0 };

describe('backoffMs', () => {
  it('follows min(initial * multiplier^(n-1), max)', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8].map((n) => backoffMs(n, settings))).toEqual([
      1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 60_000, 60_000,
    ]);
  });

  it('stays at the cap for huge n (no overflow to NaN), also with initial 0', () => {
    expect(backoffMs(10_000, settings)).toBe(60_000);
    expect(backoffMs(10_000, { ...settings, initialMs: 0 })).toBe(0);
    expect(backoffMs(0, settings)).toBe(1_000);
  });

  it('with multiplier 1 the wait is constant', () => {
    expect(backoffMs(9, { ...settings, multiplier: 1 })).toBe(1_000);
  });

  it('jitter keeps every wait within [(1 - jitter) * base, base]', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 60 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (n, jitter, random) => {
          const base = backoffMs(n, settings);
          const wait = backoffMs(n, { ...settings, jitter }, random);
          return wait <= base && wait >= (1 - jitter) * base - 1e-9;
        },
      ),
    );
  });

  it('is monotone in n without jitter', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 200 }), fc.double({ min: 1, max: 10, noNaN: true }), (n, multiplier) => {
        const s = { ...settings, multiplier };
        return backoffMs(n + 1, s) >= backoffMs(n, s);
      }),
    );
  });
});
