import { describe, expect, it } from 'vitest';
import { CircuitBreaker } from '../../src/breaker/circuit-breaker.js';
import type { CircuitBreakerOptions } from '../../src/breaker/types.js';

function make(extra: Record<string, unknown>): () => CircuitBreaker {
  return () => new CircuitBreaker({ name: 'opts', ...extra } as CircuitBreakerOptions);
}

describe('CircuitBreaker options validation', () => {
  const rangeCases: [string, Record<string, unknown>, RegExp][] = [
    ['negative threshold', { failureThreshold: -1 }, /option "failureThreshold" must be an integer >= 1, got -1/],
    ['zero threshold', { failureThreshold: 0 }, /"failureThreshold".*got 0/],
    ['fractional threshold', { failureThreshold: 2.5 }, /"failureThreshold".*got 2\.5/],
    ['NaN threshold', { failureThreshold: Number.NaN }, /"failureThreshold".*got NaN/],
    ['Infinity timeout', { openTimeoutMs: Infinity }, /"openTimeoutMs".*got Infinity/],
    ['halfOpenMaxCalls: 0', { halfOpenMaxCalls: 0 }, /"halfOpenMaxCalls" must be an integer >= 1, got 0/],
    ['successThreshold: 0', { successThreshold: 0 }, /"successThreshold".*got 0/],
    ['negative openTimeoutMs', { openTimeoutMs: -5 }, /"openTimeoutMs" must be a finite number >= 0, got -5/],
    [
      'maxOpenTimeoutMs < openTimeoutMs',
      { openTimeoutMs: 10_000, maxOpenTimeoutMs: 5_000 },
      /"maxOpenTimeoutMs" must be >= openTimeoutMs \(10000\), got 5000/,
    ],
    ['backoffMultiplier < 1', { backoffMultiplier: 0.5 }, /"backoffMultiplier".*>= 1, got 0\.5/],
    ['jitter > 1', { jitter: 1.5 }, /"jitter" must be a finite number >= 0 <= 1, got 1\.5/],
    ['negative jitter', { jitter: -0.1 }, /"jitter".*got -0\.1/],
    ['failureRateThreshold 0', { failureRateThreshold: 0 }, /"failureRateThreshold".*> 0 <= 100, got 0/],
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
  ];
  for (const [title, extra, message] of rangeCases) {
    it(`RangeError for ${title}`, () => {
      expect(make(extra)).toThrow(RangeError);
      expect(make(extra)).toThrow(message);
    });
  }

  const typeCases: [string, Record<string, unknown>, RegExp][] = [
    ['missing name', { name: undefined }, /option "name" must be a non-empty string, got undefined/],
    ['empty name', { name: '' }, /option "name" must be a non-empty string, got ""/],
    ['string threshold', { failureThreshold: '5' }, /option "failureThreshold" must be a number, got "5"/],
    ['isFailure not a function', { isFailure: true }, /"isFailure" must be a function, got true/],
    ['isResultFailure not a function', { isResultFailure: 1 }, /"isResultFailure" must be a function, got 1/],
    ['shadow not a boolean', { shadow: 'yes' }, /"shadow" must be a boolean, got "yes"/],
    ['clock without now', { clock: {} }, /"clock" must be an object with a now\(\) method, got \{\}/],
    ['random not a function', { random: 0.5 }, /"random" must be a function, got 0\.5/],
    ['attributes not an object', { attributes: 'x' }, /"attributes" must be an object, got "x"/],
    ['attribute value', { attributes: { a: true } }, /"attributes\.a" must be a string or a finite number, got true/],
    ['retry without attempts', { retry: {} }, /"retry\.attempts" must be a number, got undefined/],
    ['retry.retryOn', { retry: { attempts: 2, retryOn: 'all' } }, /"retry\.retryOn" must be a function, got "all"/],
  ];
  for (const [title, extra, message] of typeCases) {
    it(`TypeError for ${title}`, () => {
      expect(make(extra)).toThrow(TypeError);
      expect(make(extra)).toThrow(message);
    });
  }

  it('names the breaker in the message', () => {
    expect(make({ failureThreshold: -1 })).toThrow(/^CircuitBreaker "opts": /);
  });

  it('rejects non-object options', () => {
    expect(() => new CircuitBreaker(null as unknown as CircuitBreakerOptions)).toThrow(TypeError);
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
        openTimeoutMs: 0,
        maxOpenTimeoutMs: 0,
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
      /execute\(\): option "callTimeoutMs" must be a finite number > 0, got 0/,
    );
    await expect(b.execute(async () => 1, { retry: { attempts: -2 } })).rejects.toThrow(RangeError);
    await expect(b.execute(async () => 1, { fallback: 3 as never })).rejects.toThrow(/"fallback" must be a function/);
    await expect(b.execute(async () => 1, { signal: {} as AbortSignal })).rejects.toThrow(/"signal" must be an AbortSignal/);
    expect(b.metrics.totalCalls).toBe(0);
  });
});
