import { describe, expect, it } from 'vitest';
import { CircuitBreaker } from '../../src/breaker/circuit-breaker.js';
import { BreakerRegistry, defaultRegistry } from '../../src/breaker/registry.js';

describe('BreakerRegistry', () => {
  it('gets or creates by key; the key is the name; options only apply on creation', () => {
    const r = new BreakerRegistry({ defaults: { failureThreshold: 2 } });
    const a = r.get('api:443', { attributes: { 'server.port': 443 } });
    expect(a).toBeInstanceOf(CircuitBreaker);
    expect(a.name).toBe('api:443');
    expect(a.attributes).toEqual({ 'server.port': 443 });
    expect(r.get('api:443', { failureThreshold: 99 })).toBe(a);
    expect(r.peek('api:443')).toBe(a);
    expect(r.peek('nope')).toBeUndefined();
    expect(r.size).toBe(1);
  });

  it('applies defaults, with per-get options on top', async () => {
    const r = new BreakerRegistry({ defaults: { failureThreshold: 1, openTimeoutMs: 123 } });
    const shared = r.get('a');
    await shared.execute(() => Promise.reject(new Error('x'))).catch(() => undefined);
    expect(shared.state).toBe('open');
    expect(shared.retryAfterMs()).toBeLessThanOrEqual(123);
    const own = r.get('b', { failureThreshold: 2 });
    await own.execute(() => Promise.reject(new Error('x'))).catch(() => undefined);
    expect(own.state).toBe('closed');
  });

  it('validates its options and defaults at construction', () => {
    expect(() => new BreakerRegistry({ maxBreakers: 0 })).toThrow(/"maxBreakers" must be an integer >= 1, got 0/);
    expect(() => new BreakerRegistry({ maxBreakers: '5' as never })).toThrow(TypeError);
    expect(() => new BreakerRegistry({ defaults: { halfOpenMaxCalls: 0 } })).toThrow(
      /BreakerRegistry: option "defaults.halfOpenMaxCalls" must be an integer >= 1, got 0/,
    );
    expect(() => new BreakerRegistry({ defaults: { attributes: { a: {} as never } } })).toThrow('BreakerRegistry: option "defaults.attributes.a"');
    expect(() => new BreakerRegistry({ defaults: { failureTreshold: 2 } as never })).toThrow(
      'BreakerRegistry: unknown option "defaults.failureTreshold" (did you mean "failureThreshold"?)',
    );
    expect(() => new BreakerRegistry({ maxBreaker: 2 } as never)).toThrow('BreakerRegistry: unknown option "maxBreaker" (did you mean "maxBreakers"?)');
    expect(() => new BreakerRegistry().get('k', { sucessThreshold: 2 } as never)).toThrow('unknown option "sucessThreshold" (did you mean "successThreshold"?)');
    const r = new BreakerRegistry();
    expect(() => r.get('')).toThrow(TypeError);
    expect(() => r.get('k', { jitter: 2 })).toThrow(/"jitter"/);
    expect(r.size).toBe(0);
    expect(r.maxBreakers).toBe(500);
  });

  it('evicts the least recently used idle breaker when full, and fires evict', () => {
    const r = new BreakerRegistry({ maxBreakers: 3 });
    const evicted: string[] = [];
    const created: string[] = [];
    r.on('evict', (b) => evicted.push(b.name));
    r.on('create', (b) => created.push(b.name));
    r.get('a');
    r.get('b');
    r.get('c');
    r.get('a'); // a is now the most recent: b is the LRU
    r.peek('b'); // peek is not a use
    r.get('d');
    expect(evicted).toEqual(['b']);
    expect([...r].map((b) => b.name)).toEqual(['a', 'c', 'd']);
    r.get('c');
    r.get('a');
    r.get('e'); // d is now the least recently used
    expect(evicted).toEqual(['b', 'd']);
    expect(created).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it('skips busy breakers (permits in flight) when choosing whom to evict', () => {
    const r = new BreakerRegistry({ maxBreakers: 2 });
    const a = r.get('a');
    const permit = a.tryAcquire()!;
    r.get('b');
    r.get('c');
    expect([...r].map((b) => b.name)).toEqual(['a', 'c']);
    permit.success();
  });

  it('grows past maxBreakers while every breaker is busy, and shrinks back as they go idle', () => {
    const r = new BreakerRegistry({ maxBreakers: 2 });
    const permits = [r.get('a').tryAcquire()!, r.get('b').tryAcquire()!];
    const c = r.get('c');
    expect(r.size).toBe(3);
    expect(c.name).toBe('c');
    for (const p of permits) p.success();
    r.get('d');
    expect([...r].map((b) => b.name)).toEqual(['c', 'd']);
  });

  it('a breaker evicted and asked for again starts fresh', async () => {
    const r = new BreakerRegistry({ maxBreakers: 1, defaults: { failureThreshold: 1 } });
    const a = r.get('a');
    await a.execute(() => Promise.reject(new Error('x'))).catch(() => undefined);
    expect(a.state).toBe('open');
    r.get('b');
    const again = r.get('a');
    expect(again).not.toBe(a);
    expect(again.state).toBe('closed');
    expect(again.metrics.totalCalls).toBe(0);
  });

  it('delete() and clear() remove breakers and fire evict', () => {
    const r = new BreakerRegistry();
    const evicted: string[] = [];
    const off = r.on('evict', (b) => evicted.push(b.name));
    r.get('a');
    r.get('b');
    r.get('c');
    expect(r.delete('b')).toBe(true);
    expect(r.delete('b')).toBe(false);
    r.clear();
    expect(r.size).toBe(0);
    expect(evicted).toEqual(['b', 'a', 'c']);
    off();
    r.get('x');
    r.clear();
    expect(evicted).toEqual(['b', 'a', 'c']);
  });

  it('restores a breaker from initialState given to get()', () => {
    const clock = { now: () => 1_000 };
    const saved = new CircuitBreaker({ name: 'db:5432', clock });
    saved.forceOpen();
    const r = new BreakerRegistry({ defaults: { clock } });
    const b = r.get('db:5432', { initialState: saved.toJSON() });
    expect(b.state).toBe('open');
    expect(b.metrics.stateTransitions).toEqual({ 'closed->open': 1 });
  });

  it('iterates breakers in creation order', () => {
    const r = new BreakerRegistry();
    r.get('a');
    r.get('b');
    r.get('a');
    expect(Array.from(r, (b) => b.name)).toEqual(['a', 'b']);
  });

  it('breakers made from the defaults plus attributes keep the defaults', async () => {
    const r = new BreakerRegistry({ defaults: { failureThreshold: 1, attributes: { team: 'x' } } });
    const b = r.get('h:1', { attributes: { 'server.port': 1 } });
    expect(b.attributes).toEqual({ 'server.port': 1 });
    expect(r.get('h:2').attributes).toEqual({ team: 'x' });
    await b.execute(() => Promise.reject(new Error('x'))).catch(() => undefined);
    expect(b.state).toBe('open');
    expect(() => r.get('h:3', { attributes: { bad: null as never } })).toThrow(/"attributes\.bad"/);
  });

  it('rejects unknown events', () => {
    expect(() => new BreakerRegistry().on('change' as never, () => undefined)).toThrow(/unknown event "change"/);
  });

  it('a throwing listener does not stop creation', () => {
    const r = new BreakerRegistry();
    const original = process.emitWarning;
    process.emitWarning = () => undefined;
    try {
      r.on('create', () => {
        throw new Error('bug');
      });
      expect(r.get('a').name).toBe('a');
    } finally {
      process.emitWarning = original;
    }
  });

  it('exports a module-level default registry, capped lower than a plain registry (cardinality budget)', () => {
    expect(defaultRegistry).toBeInstanceOf(BreakerRegistry);
    // 64, not a plain registry's 500: its series share the SDK's 2000 per metric with the
    // instrumentation's 250 breakers (test/telemetry/cardinality.test.ts).
    expect(defaultRegistry.maxBreakers).toBe(64);
  });
});
