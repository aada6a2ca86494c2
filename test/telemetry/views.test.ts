import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/common/config-error.js';
import { breakwaterViews } from '../../src/telemetry/views.js';

const limitOf = (options?: Parameters<typeof breakwaterViews>[0]) => breakwaterViews(options)[0]!.aggregationCardinalityLimit;

describe('breakwaterViews()', () => {
  it('raises the limit to every series of maxBreakers + otherBreakers breakers (6 each, +1 overflow slot)', () => {
    expect(limitOf()).toBe(6 * (250 + 100) + 1);
    expect(limitOf({ maxBreakers: 10, otherBreakers: 10 })).toBe(2000); // never below the SDK default
    expect(limitOf({ maxBreakers: 1000 })).toBe(6 * 1100 + 1);
    expect(limitOf({ maxBreakers: 1000, otherBreakers: 0 })).toBe(6 * 1000 + 1);
  });

  it('validates its options as the constructors do: a string or NaN is refused, not turned into a nonsense limit', () => {
    const cases: [object, string][] = [
      [{ maxBreakers: '1000' }, 'breakwaterViews(): option "maxBreakers" must be an integer >= 1, got "1000"'],
      [{ maxBreakers: Number.NaN }, 'breakwaterViews(): option "maxBreakers" must be an integer >= 1, got NaN'],
      [{ maxBreakers: 0 }, 'option "maxBreakers" must be an integer >= 1, got 0'],
      [{ maxBreakers: 2.5 }, 'option "maxBreakers" must be an integer >= 1, got 2.5'],
      [{ otherBreakers: -1 }, 'option "otherBreakers" must be an integer >= 0, got -1'],
      [{ maxBreaker: 2000 }, 'breakwaterViews(): unknown option "maxBreaker" (did you mean "maxBreakers"?)'],
    ];
    for (const [options, message] of cases) {
      expect(() => breakwaterViews(options as never)).toThrow(ConfigError);
      expect(() => breakwaterViews(options as never)).toThrow(message);
    }
    expect(() => breakwaterViews(null as never)).toThrow('breakwaterViews(): option "options" must be an object, got null');
  });
});
