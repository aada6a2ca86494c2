import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/common/config-error.js';
import { CircuitBreaker } from '../../src/breaker/circuit-breaker.js';
import type { CircuitBreakerSnapshot } from '../../src/breaker/types.js';
import { ManualClock, failTimes, invariantHolds } from './helpers.js';

describe('toJSON() and initialState', () => {
  it('round-trips through JSON; the open wait continues with the time that was left', async () => {
    const clock = new ManualClock();
    const a = new CircuitBreaker({ name: 'db', failureThreshold: 1, openTimeoutMs: 1_000, clock });
    await a.execute(async () => 1);
    await failTimes(a, 1);
    clock.advance(300);
    const saved = JSON.stringify(a);
    const snap = JSON.parse(saved) as CircuitBreakerSnapshot;
    expect(snap).toEqual({
      name: 'db',
      state: 'open',
      openUntil: clock.t + 700,
      openings: 1,
      forced: false,
      metrics: {
        totalCalls: 2,
        successfulCalls: 1,
        failedCalls: 1,
        ignoredCalls: 0,
        rejectedCalls: 0,
        rejectedCallsHalfOpen: 0,
        stateTransitions: { 'closed->open': 1 },
        lastFailureTime: clock.t - 300,
        lastSuccessTime: clock.t - 300,
      },
    });

    // "restart": 200 ms later a new process restores it
    clock.advance(200);
    const b = new CircuitBreaker({ name: 'db', failureThreshold: 1, openTimeoutMs: 1_000, clock, initialState: snap });
    expect(b.state).toBe('open');
    expect(b.retryAfterMs()).toBe(500);
    expect(b.metrics).toEqual(snap.metrics);
    clock.advance(500);
    expect(b.state).toBe('half_open');
    // the back-off continues from the saved number of openings
    await failTimes(b, 1);
    expect(b.retryAfterMs()).toBe(2_000);
  });

  it('restores closed, half-open and forced states', () => {
    const base = new CircuitBreaker({ name: 'x' }).toJSON();
    expect(new CircuitBreaker({ name: 'x', initialState: base }).state).toBe('closed');
    const half = new CircuitBreaker({ name: 'x', initialState: { ...base, state: 'half_open' } });
    expect(half.state).toBe('half_open');
    expect(half.tryAcquire()).toBeDefined();
    expect(half.tryAcquire()).toBeUndefined();
    const forced = new CircuitBreaker({ name: 'x' });
    forced.forceOpen();
    const snap = forced.toJSON();
    expect(snap).toMatchObject({ state: 'open', forced: true, openUntil: null });
    const restored = new CircuitBreaker({ name: 'x', initialState: snap });
    expect(restored.state).toBe('open');
    expect(restored.retryAfterMs()).toBe(Infinity);
    restored.reset();
    expect(restored.state).toBe('closed');
  });

  it('a snapshot whose open wait ends beyond the cap (clock skew between hosts) waits at most the cap', () => {
    const clock = new ManualClock();
    const snap = new CircuitBreaker({ name: 'x' }).toJSON();
    const b = new CircuitBreaker({
      name: 'x',
      clock,
      maxOpenTimeoutMs: 10_000,
      initialState: { ...snap, state: 'open', openUntil: clock.t + 86_400_000, openings: 3 },
    });
    expect(b.retryAfterMs()).toBe(10_000);
  });

  it('reports the lazily computed state (open whose wait is over is saved as half_open)', async () => {
    const clock = new ManualClock();
    const a = new CircuitBreaker({ name: 'x', failureThreshold: 1, openTimeoutMs: 10, clock });
    await failTimes(a, 1);
    clock.advance(10);
    expect(a.toJSON()).toMatchObject({ state: 'half_open', openUntil: null });
  });

  it('counts calls that were in flight at snapshot time as ignored, so the invariant holds', () => {
    const a = new CircuitBreaker({ name: 'x' });
    a.tryAcquire();
    const snap = a.toJSON();
    expect(snap.metrics.totalCalls).toBe(1);
    const b = new CircuitBreaker({ name: 'x', initialState: snap });
    expect(b.metrics.ignoredCalls).toBe(1);
    expect(invariantHolds(b)).toBe(true);
  });

  it('keeps the half-open rejections, and restores a snapshot saved before they were counted', async () => {
    const clock = new ManualClock();
    const a = new CircuitBreaker({ name: 'x', failureThreshold: 1, openTimeoutMs: 1_000, clock });
    await failTimes(a, 1);
    await a.execute(async () => 1).catch(() => {}); // rejected while open
    clock.advance(1_000);
    const probe = a.tryAcquire();
    expect(a.tryAcquire()).toBeUndefined(); // rejected while half-open
    probe!.success();
    expect(a.metrics).toMatchObject({ rejectedCalls: 2, rejectedCallsHalfOpen: 1 });
    const saved = JSON.parse(JSON.stringify(a)) as CircuitBreakerSnapshot;
    expect(new CircuitBreaker({ name: 'x', initialState: saved }).metrics.rejectedCallsHalfOpen).toBe(1);

    const { rejectedCallsHalfOpen, ...older } = saved.metrics;
    expect(rejectedCallsHalfOpen).toBe(1);
    const b = new CircuitBreaker({ name: 'x', initialState: { ...saved, metrics: older } as CircuitBreakerSnapshot });
    expect(b.metrics).toMatchObject({ rejectedCalls: 2, rejectedCallsHalfOpen: 0 });
  });

  it('rejects a malformed snapshot, naming the field and value', () => {
    const good = new CircuitBreaker({ name: 'x' }).toJSON();
    const bad = (patch: object): (() => CircuitBreaker) => () =>
      new CircuitBreaker({ name: 'x', initialState: { ...good, ...patch } as CircuitBreakerSnapshot });
    expect(bad({ state: 'ajar' })).toThrow(/"initialState\.state" must be "closed", "open" or "half_open", got "ajar"/);
    expect(bad({ openings: -1 })).toThrow(ConfigError);
    expect(bad({ openings: -1 })).toThrow(/"initialState\.openings" must be an integer >= 0, got -1/);
    expect(bad({ state: 'open', openUntil: null })).toThrow(/"initialState\.openUntil"/);
    expect(bad({ forced: 'no' })).toThrow(/"initialState\.forced" must be a boolean/);
    expect(bad({ metrics: { ...good.metrics, totalCalls: 'a' } })).toThrow(/"initialState\.metrics\.totalCalls"/);
    expect(bad({ metrics: { ...good.metrics, successfulCalls: 5 } })).toThrow(
      /"initialState\.metrics\.totalCalls" must be >= the sum of outcomes \(5\), got 0/,
    );
    expect(bad({ metrics: { ...good.metrics, stateTransitions: { 'up->down': 1 } } })).toThrow(/stateTransitions/);
    expect(bad({ metrics: { ...good.metrics, rejectedCallsHalfOpen: -1 } })).toThrow(/"initialState\.metrics\.rejectedCallsHalfOpen" must be an integer >= 0, got -1/);
    expect(bad({ metrics: { ...good.metrics, totalCalls: 2, rejectedCalls: 1, rejectedCallsHalfOpen: 2 } })).toThrow(
      /"initialState\.metrics\.rejectedCallsHalfOpen" must be <= metrics\.rejectedCalls \(1\), got 2/,
    );
    expect(() => new CircuitBreaker({ name: 'x', initialState: 'open' as never })).toThrow(TypeError);
  });
});
