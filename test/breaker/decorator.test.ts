import { describe, expect, it } from 'vitest';
import { circuitBreaker } from '../../src/breaker/decorator.js';
import { CircuitOpenError } from '../../src/breaker/errors.js';
import { defaultRegistry } from '../../src/breaker/registry.js';

describe('@circuitBreaker', () => {
  it('runs the method through the named breaker of defaultRegistry, keeping `this` and arguments', async () => {
    class Api {
      constructor(private readonly base: number) {}
      @circuitBreaker('deco-basic', { failureThreshold: 2 })
      async add(x: number, y: number): Promise<number> {
        return this.base + x + y;
      }
    }
    await expect(new Api(10).add(1, 2)).resolves.toBe(13);
    const breaker = defaultRegistry.peek('deco-basic')!;
    expect(breaker.metrics.successfulCalls).toBe(1);
  });

  it('shares one breaker per name across instances (and methods)', async () => {
    class Flaky {
      calls = 0;
      @circuitBreaker('deco-shared', { failureThreshold: 2 })
      async fail(): Promise<never> {
        this.calls++;
        throw new Error('down');
      }
      @circuitBreaker('deco-shared')
      async ok(): Promise<string> {
        return 'fine';
      }
    }
    const a = new Flaky();
    const b = new Flaky();
    await expect(a.fail()).rejects.toThrow('down');
    await expect(b.fail()).rejects.toThrow('down');
    expect(defaultRegistry.peek('deco-shared')!.state).toBe('open');
    await expect(a.fail()).rejects.toBeInstanceOf(CircuitOpenError);
    await expect(b.ok()).rejects.toBeInstanceOf(CircuitOpenError);
    expect(a.calls + b.calls).toBe(2);
  });

  it('creates the breaker when the class is defined and validates options then', () => {
    class _Defined {
      @circuitBreaker('deco-eager')
      async m(): Promise<void> {}
    }
    expect(defaultRegistry.peek('deco-eager')).toBeDefined();
    expect(() => {
      class _Bad {
        @circuitBreaker('deco-bad', { failureThreshold: -3 })
        async m(): Promise<void> {}
      }
    }).toThrow(/"failureThreshold" must be an integer >= 1, got -3/);
  });

  it('keeps working after its breaker is evicted: a fresh one is created on the next call', async () => {
    class S {
      @circuitBreaker('deco-evicted')
      async m(): Promise<number> {
        return 1;
      }
    }
    const before = defaultRegistry.peek('deco-evicted');
    defaultRegistry.delete('deco-evicted');
    await expect(new S().m()).resolves.toBe(1);
    const after = defaultRegistry.peek('deco-evicted');
    expect(after).toBeDefined();
    expect(after).not.toBe(before);
  });

  it('is typed for async methods; a synchronous one (a type error) still works and returns a promise', async () => {
    class Sync {
      // @ts-expect-error the decorator takes methods that return a promise
      @circuitBreaker('deco-sync')
      twice(x: number): number {
        return x * 2;
      }
    }
    const result = new Sync().twice(4);
    expect(result).toBeInstanceOf(Promise);
    await expect(result).resolves.toBe(8);
  });

  it('refuses to decorate anything but a method', () => {
    const decorate = circuitBreaker('deco-field') as unknown as (v: unknown, c: { kind: string }) => unknown;
    expect(() => decorate(undefined, { kind: 'field' })).toThrow(/decorates methods, not a field/);
  });
});
