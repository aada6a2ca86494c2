import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CircuitBreaker } from '../../src/breaker/circuit-breaker.js';
import { deliverRejection, nextTurn, rejectionOverBudget, REJECTIONS_PER_TURN } from '../../src/common/rejection-turns.js';

// setImmediate is faked: a "turn" ends when the test runs the pending immediates.
beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setImmediate', 'clearImmediate'] });
});
afterEach(() => {
  vi.runOnlyPendingTimers();
  vi.useRealTimers();
});

describe('rejection turns', () => {
  it('lets a turn deliver REJECTIONS_PER_TURN rejections at once, then defers each one', () => {
    expect(REJECTIONS_PER_TURN).toBe(128);
    const over = Array.from({ length: 200 }, () => rejectionOverBudget());
    expect(over.indexOf(true)).toBe(128);
    expect(over.slice(128).every(Boolean)).toBe(true);
  });

  it('starts a new count once the event loop has run its immediates', () => {
    for (let i = 0; i < 300; i++) rejectionOverBudget();
    expect(rejectionOverBudget()).toBe(true);
    vi.runOnlyPendingTimers();
    const over = Array.from({ length: 129 }, () => rejectionOverBudget());
    expect(over.filter(Boolean)).toHaveLength(1);
    expect(over[128]).toBe(true);
  });

  it('does not carry a quiet turn over into the next: a few rejections per turn always go at once', () => {
    for (let turn = 0; turn < 10; turn++) {
      for (let i = 0; i < 100; i++) expect(rejectionOverBudget()).toBe(false);
      vi.runOnlyPendingTimers();
    }
  });

  it('deliverRejection() calls at once within the budget and on setImmediate past it, in order, with its arguments', () => {
    const got: string[] = [];
    const deliver = (who: string, n: number): void => void got.push(`${who}${n}`);
    for (let i = 0; i < 130; i++) deliverRejection(deliver, 'r', i);
    expect(got).toHaveLength(128);
    expect(got[127]).toBe('r127');
    vi.runOnlyPendingTimers();
    expect(got.slice(128)).toEqual(['r128', 'r129']);
  });

  it('nextTurn() resolves only after the immediates have run', async () => {
    let done = false;
    const p = nextTurn().then(() => (done = true));
    await Promise.resolve();
    expect(done).toBe(false);
    vi.runOnlyPendingTimers();
    await p;
    expect(done).toBe(true);
  });

  it('execute() on an open breaker rejects past the budget only after setImmediate', async () => {
    const breaker = new CircuitBreaker({ name: 'turns' });
    breaker.forceOpen();
    const settled: number[] = [];
    const calls = Array.from({ length: 130 }, (_, i) =>
      breaker.execute(() => 1).catch((err: { code: string }) => {
        expect(err.code).toBe('ECIRCUITOPEN');
        settled.push(i);
      }),
    );
    for (let i = 0; i < 5; i++) await Promise.resolve();
    expect(settled).toHaveLength(128);
    vi.runOnlyPendingTimers();
    await Promise.all(calls);
    expect(settled.slice(128)).toEqual([128, 129]);
    expect(breaker.metrics.rejectedCalls).toBe(130);
  });

  it('execute() with call options (async path) defers past the budget too, fallback included', async () => {
    const breaker = new CircuitBreaker({ name: 'turns-options' });
    breaker.forceOpen();
    const settled: number[] = [];
    const calls = Array.from({ length: 130 }, (_, i) =>
      breaker.execute(() => 1, { fallback: () => -1 }).then((v) => {
        expect(v).toBe(-1);
        settled.push(i);
      }),
    );
    for (let i = 0; i < 10; i++) await Promise.resolve();
    expect(settled).toHaveLength(128);
    vi.runOnlyPendingTimers();
    await Promise.all(calls);
    expect(settled).toHaveLength(130);
  });
});
