import { describe, expect, it } from 'vitest';
import { CircuitBreaker } from '../../src/breaker/circuit-breaker.js';
import { ConfigError } from '../../src/common/config-error.js';
import { MAX_TIMER_TEXT } from '../../src/common/timer-limit.js';
import type { CircuitBreakerOptions } from '../../src/breaker/types.js';

function make(extra: Record<string, unknown>): () => CircuitBreaker {
  return () => new CircuitBreaker({ name: 'opts', ...extra } as CircuitBreakerOptions);
}

describe('CircuitBreaker options validation', () => {
  const cases: [string, Record<string, unknown>, RegExp][] = [
    ['negative threshold', { failureThreshold: -1 }, /option "failureThreshold" must be an integer >= 1, got -1/],
    ['zero threshold', { failureThreshold: 0 }, /"failureThreshold".*got 0/],
    ['fractional threshold', { failureThreshold: 2.5 }, /"failureThreshold".*got 2\.5/],
    ['NaN threshold', { failureThreshold: Number.NaN }, /"failureThreshold".*got NaN/],
    ['Infinity timeout', { openTimeoutMs: Infinity }, /"openTimeoutMs".*got Infinity/],
    ['halfOpenMaxCalls: 0', { halfOpenMaxCalls: 0 }, /"halfOpenMaxCalls" must be an integer >= 1, got 0/],
    ['successThreshold: 0', { successThreshold: 0 }, /"successThreshold".*got 0/],
    ['negative openTimeoutMs', { openTimeoutMs: -5 }, /"openTimeoutMs" must be a number > 0, got -5/],
    // 0 would turn fail-fast off: half-open again at once after every opening.
    ['openTimeoutMs 0', { openTimeoutMs: 0 }, /"openTimeoutMs" must be a number > 0, got 0/],
    ['maxOpenTimeoutMs 0', { openTimeoutMs: 1, maxOpenTimeoutMs: 0 }, /"maxOpenTimeoutMs" must be a number > 0, got 0/],
    [
      'maxOpenTimeoutMs < openTimeoutMs',
      { openTimeoutMs: 10_000, maxOpenTimeoutMs: 5_000 },
      /"maxOpenTimeoutMs" must be >= openTimeoutMs \(10000\), got 5000/,
    ],
    ['backoffMultiplier < 1', { backoffMultiplier: 0.5 }, /"backoffMultiplier".*>= 1, got 0\.5/],
    ['jitter > 1', { jitter: 1.5 }, /"jitter" must be a number from 0 to 1, got 1\.5/],
    ['negative jitter', { jitter: -0.1 }, /"jitter".*got -0\.1/],
    ['failureRateThreshold 0', { failureRateThreshold: 0 }, /"failureRateThreshold" must be a number > 0 and <= 100, got 0/],
    ['failureRateThreshold > 100', { failureRateThreshold: 101 }, /"failureRateThreshold".*got 101/],
    ['slidingWindowSize 0', { slidingWindowSize: 0 }, /"slidingWindowSize".*got 0/],
    [
      'minimumNumberOfCalls > window',
      { slidingWindowSize: 5, minimumNumberOfCalls: 6 },
      /"minimumNumberOfCalls" must be <= slidingWindowSize \(5\), got 6/,
    ],
    ['slowCallDurationMs 0', { slowCallDurationMs: 0 }, /"slowCallDurationMs".*> 0, got 0/],
    ['callTimeoutMs negative', { callTimeoutMs: -1 }, /"callTimeoutMs".*got -1/],
    ['retry.attempts 0', { retry: { attempts: 0 } }, /"retry\.attempts" must be an integer >= 1, got 0/],
    ['retry.jitter 2', { retry: { attempts: 2, jitter: 2 } }, /"retry\.jitter".*got 2/],
    [
      'retry.maxDelayMs < baseDelayMs',
      { retry: { attempts: 2, baseDelayMs: 100, maxDelayMs: 10 } },
      /"retry\.maxDelayMs" must be >= retry\.baseDelayMs \(100\), got 10/,
    ],
    ['missing name', { name: undefined }, /option "name" must be a non-empty string, got undefined/],
    ['empty name', { name: '' }, /option "name" must be a non-empty string, got ""/],
    ['string threshold', { failureThreshold: '5' }, /option "failureThreshold" must be an integer >= 1, got "5"/],
    ['isFailure not a function', { isFailure: true }, /"isFailure" must be a function, got true/],
    ['isResultFailure not a function', { isResultFailure: 1 }, /"isResultFailure" must be a function, got 1/],
    ['shadow not a boolean', { shadow: 'yes' }, /"shadow" must be true or false, got "yes"/],
    ['clock without now', { clock: {} }, /"clock" must be an object with a now\(\) method, got \{\}/],
    ['random not a function', { random: 0.5 }, /"random" must be a function, got 0\.5/],
    ['attributes not an object', { attributes: 'x' }, /"attributes" must be an object, got "x"/],
    ['attribute value', { attributes: { a: true } }, /"attributes\.a" must be a string or a finite number, got true/],
    ['retry without attempts', { retry: {} }, /"retry\.attempts" must be an integer >= 1, got undefined/],
    ['retry.retryOn', { retry: { attempts: 2, retryOn: 'all' } }, /"retry\.retryOn" must be a function, got "all"/],
  ];
  for (const [title, extra, message] of cases) {
    it(`ConfigError for ${title}`, () => {
      expect(make(extra)).toThrow(ConfigError);
      expect(make(extra)).toThrow(message);
    });
  }

  it('a ConfigError is a TypeError carrying the option, the value and the rule', () => {
    const err = (() => {
      try {
        make({ halfOpenMaxCalls: 0 })();
      } catch (e) {
        return e as ConfigError;
      }
    })();
    expect(err).toBeInstanceOf(TypeError);
    expect(err).toMatchObject({ name: 'ConfigError', option: 'halfOpenMaxCalls', value: 0, expected: 'an integer >= 1' });
  });

  it('refuses a misspelt option name, suggesting the right one, instead of ignoring it', () => {
    expect(make({ failureTreshold: 3 })).toThrow('CircuitBreaker "opts": unknown option "failureTreshold" (did you mean "failureThreshold"?)');
    expect(make({ openTimeoutMS: 3 })).toThrow('unknown option "openTimeoutMS" (did you mean "openTimeoutMs"?)');
    expect(make({ retry: { attempts: 2, baseDelay: 5 } })).toThrow('unknown option "retry.baseDelay" (did you mean "baseDelayMs"?)');
    expect(make({ colour: 'red' })).toThrow(/unknown option "colour"$/);
    expect(make({ colour: 'red' })).toThrow(ConfigError);
  });

  it('refuses timer delays Node would turn into 1 ms, naming the maximum', () => {
    expect(make({ callTimeoutMs: Number.MAX_SAFE_INTEGER })).toThrow(
      `option "callTimeoutMs" must be a number of milliseconds > 0 and at most ${MAX_TIMER_TEXT}, got ${Number.MAX_SAFE_INTEGER}`,
    );
    expect(make({ retry: { attempts: 2, baseDelayMs: 2 ** 31 } })).toThrow(`option "retry.baseDelayMs" must be a number of milliseconds from 0 to ${MAX_TIMER_TEXT}, got ${2 ** 31}`);
    expect(make({ retry: { attempts: 2, maxDelayMs: 2 ** 31 } })).toThrow(`"retry.maxDelayMs"`);
    expect(make({ callTimeoutMs: 2 ** 31 - 1, retry: { attempts: 2, baseDelayMs: 2 ** 31 - 1, maxDelayMs: 2 ** 31 - 1 } })).not.toThrow();
  });

  it('names the breaker in the message', () => {
    expect(make({ failureThreshold: -1 })).toThrow(/^CircuitBreaker "opts": /);
  });

  it('rejects non-object options', () => {
    expect(() => new CircuitBreaker(null as unknown as CircuitBreakerOptions)).toThrow('CircuitBreaker: option "options" must be an object, got null');
  });

  it('accepts every option at its edge', () => {
    expect(
      make({
        failureThreshold: 1,
        failureRateThreshold: 100,
        slidingWindowSize: 1,
        minimumNumberOfCalls: 1,
        slowCallDurationMs: 0.5,
        successThreshold: 1,
        openTimeoutMs: 0.5,
        maxOpenTimeoutMs: 0.5,
        backoffMultiplier: 1,
        jitter: 1,
        halfOpenMaxCalls: 1,
        callTimeoutMs: 1,
        retry: { attempts: 1, baseDelayMs: 0, maxDelayMs: 0, multiplier: 1, jitter: 0 },
        shadow: false,
        attributes: {},
      }),
    ).not.toThrow();
  });

  it('a bad per-call option rejects the call, naming it', async () => {
    const b = new CircuitBreaker({ name: 'opts' });
    await expect(b.execute(async () => 1, { callTimeoutMs: 0 })).rejects.toThrow(
      /execute\(\): option "callTimeoutMs" must be a number of milliseconds > 0 and at most 2147483647 .*, got 0/,
    );
    await expect(b.execute(async () => 1, { retry: { attempts: -2 } })).rejects.toThrow(ConfigError);
    await expect(b.execute(async () => 1, { callTimeoutMs: 2 ** 31 })).rejects.toThrow(MAX_TIMER_TEXT);
    await expect(b.execute(async () => 1, { timeoutMs: 5 } as never)).rejects.toThrow('unknown option "timeoutMs"');
    await expect(b.execute(async () => 1, { fallback: 3 as never })).rejects.toThrow(/"fallback" must be a function/);
    await expect(b.execute(async () => 1, { signal: {} as AbortSignal })).rejects.toThrow(/"signal" must be an AbortSignal/);
    expect(b.metrics.totalCalls).toBe(0);
  });
});
