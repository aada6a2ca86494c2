import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { CircuitBreaker } from '../../src/breaker/circuit-breaker.js';
import { BreakerRegistry } from '../../src/breaker/registry.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const macrotask = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** WeakRefs stay alive until the current job ends, so collect from a fresh macrotask. */
async function collected(ref: WeakRef<object>): Promise<boolean> {
  for (let i = 0; i < 5 && ref.deref() !== undefined; i++) {
    await macrotask();
    gc();
  }
  return ref.deref() === undefined;
}

describe('an idle breaker holds no timers or global references', () => {
  it('is garbage-collected once dropped, after calls, timeouts, listeners and an open period', async () => {
    // Only this function holds the breaker; the test keeps a WeakRef.
    const use = async (): Promise<WeakRef<CircuitBreaker>> => {
      const breaker = new CircuitBreaker({ name: 'gc', failureThreshold: 1 });
      breaker.on('stateChange', () => undefined);
      await breaker.execute(async () => 1);
      await breaker.execute(async () => 1, { callTimeoutMs: 60_000 });
      await breaker.execute(() => Promise.reject(new Error('x'))).catch(() => undefined);
      await breaker.execute(async () => 1).catch(() => undefined); // rejected: open
      expect(breaker.state).toBe('open');
      return new WeakRef(breaker);
    };
    expect(await collected(await use())).toBe(true);
  });

  it('an evicted registry breaker is collectable too', async () => {
    const registry = new BreakerRegistry({ maxBreakers: 1 });
    const ref = new WeakRef(registry.get('a'));
    await registry.get('a').execute(async () => 1);
    registry.get('b'); // evicts a
    expect(await collected(ref)).toBe(true);
  });
});
