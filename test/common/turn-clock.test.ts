import { afterEach, describe, expect, it, vi } from 'vitest';
import { CircuitBreaker } from '../../src/breaker/circuit-breaker.js';
import { turnNow } from '../../src/common/turn-clock.js';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('turnNow: Date.now() once per event-loop turn', () => {
  it('reads the clock once in a turn, and again in the next one', async () => {
    await new Promise((resolve) => setImmediate(resolve));
    const now = vi.spyOn(Date, 'now');
    now.mockReturnValue(1_000);
    expect(turnNow()).toBe(1_000);
    now.mockReturnValue(2_000);
    expect(turnNow()).toBe(1_000);
    expect(now).toHaveBeenCalledTimes(1);
    await new Promise((resolve) => setImmediate(resolve));
    expect(turnNow()).toBe(2_000);
    expect(now).toHaveBeenCalledTimes(2);
  });

  it("is what a default breaker's successes record: one clock read for many successes in a turn", async () => {
    await new Promise((resolve) => setImmediate(resolve));
    const breaker = new CircuitBreaker({ name: 'turns' });
    const now = vi.spyOn(Date, 'now').mockReturnValue(5_000);
    for (let i = 0; i < 100; i++) await breaker.execute(async () => i);
    expect(breaker.metrics.lastSuccessTime).toBe(5_000);
    expect(now).toHaveBeenCalledTimes(1);
    now.mockReturnValue(9_000);
    await new Promise((resolve) => setImmediate(resolve));
    await breaker.execute(async () => 0);
    expect(breaker.metrics.lastSuccessTime).toBe(9_000);
  });
});
