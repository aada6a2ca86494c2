import { context, diag } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { suppressTracing } from '@opentelemetry/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BreakerRegistry } from '../../src/breaker/registry.js';
import { boundedLabel, MAX_LABEL_LENGTH } from '../../src/common/bounded-label.js';
import { resolveConfig } from '../../src/config/resolve.js';
import type { BreakwaterInstrumentationConfig } from '../../src/instrumentation/types.js';
import { DestinationContext } from '../../src/instrumentation/destination-context.js';

// DestinationContext remembers, per destination, what depends only on the destination and the
// settings (key, exclusion, options of a new breaker). These check that the memory never shows:
// settings changes, evictions and the registry's LRU order behave as with no memory at all.

const contextManager = new AsyncLocalStorageContextManager();
beforeAll(() => context.setGlobalContextManager(contextManager.enable()));
afterAll(() => {
  context.disable();
  contextManager.disable();
});

function destinations(config: BreakwaterInstrumentationConfig = {}, maxBreakers = 500) {
  const registry = new BreakerRegistry({ maxBreakers });
  const ctx = new DestinationContext(registry, resolveConfig(config), diag);
  ctx.enabled = true;
  return { registry, ctx };
}

describe('DestinationContext', () => {
  it('takes the host as the client has it: any case, IPv6 with or without brackets, one breaker per destination', () => {
    const { registry, ctx } = destinations();
    const a = ctx.breakerFor('API.Example.COM', 443)!;
    expect(a.name).toBe('api.example.com:443');
    expect(ctx.breakerFor('api.example.com', 443)).toBe(a);
    const v6 = ctx.breakerFor('[::1]', 8080)!;
    expect(v6.name).toBe('[::1]:8080');
    expect(ctx.breakerFor('::1', 8080)).toBe(v6);
    expect(registry.size).toBe(2);
  });

  it('bounds names and server.address built from long hosts and gRPC targets; patterns still see the whole host', () => {
    const long = `${'a'.repeat(70_000)}.example.com`;
    const { registry, ctx } = destinations({ excludeHosts: [`${'b'.repeat(300)}.example.com`], destinations: { '*.example.com': { failureThreshold: 2 } } });
    const http = ctx.breakerFor(long.toUpperCase(), 443)!;
    expect(http.name).toHaveLength(MAX_LABEL_LENGTH);
    expect(http.name).toBe(boundedLabel(`${long}:443`));
    expect(http.attributes).toEqual({ 'server.address': boundedLabel(long), 'server.port': 443 });
    expect(ctx.breakerFor(long, 443)).toBe(http);
    expect(ctx.breakerFor(`${long}x`, 443)).not.toBe(http);
    expect(ctx.breakerFor(`${'b'.repeat(300)}.example.com`, 80)).toBeUndefined();
    let n = 0;
    while (http.state === 'closed' && n < 10) { http.tryAcquire()!.failure(new Error('x')); n++; }
    expect(n).toBe(2); // the *.example.com override matched the full host

    const grpc = ctx.breakerForTarget(`${long}:50051`)!;
    expect(grpc.name).toBe(boundedLabel(`${long}:50051`));
    expect(grpc.attributes).toEqual({ 'server.address': boundedLabel(long), 'server.port': 50051 });
    expect(ctx.breakerForTarget(`${long}:50051`)).toBe(grpc);
    expect(registry.size).toBe(3);
  });

  it('answers each request from the registry: the same breaker, the disabled and suppressed cases still checked every time', () => {
    const { registry, ctx } = destinations();
    const a = ctx.breakerFor('api.example.com', 443)!;
    expect(ctx.breakerFor('api.example.com', 443)).toBe(a);
    expect(ctx.breakerFor('api.example.com', 8443)).not.toBe(a); // another port, another breaker
    expect(registry.peek('api.example.com:443')).toBe(a);
    expect(context.with(suppressTracing(context.active()), () => ctx.breakerFor('api.example.com', 443))).toBeUndefined();
    ctx.enabled = false;
    expect(ctx.breakerFor('api.example.com', 443)).toBeUndefined();
    ctx.enabled = true;
    expect(ctx.breakerFor('api.example.com', 443)).toBe(a);
  });

  it('the same destination twice in a row, then another port, another host and back, each gets its own breaker', () => {
    const { ctx } = destinations({ excludeHosts: ['skip'] });
    const a = ctx.breakerFor('a', 80)!;
    expect(ctx.breakerFor('a', 80)).toBe(a);
    const a81 = ctx.breakerFor('a', 81)!;
    expect(a81.name).toBe('a:81');
    expect(ctx.breakerFor('skip', 80)).toBeUndefined();
    expect(ctx.breakerFor('skip', 80)).toBeUndefined();
    expect(ctx.breakerFor('b', 80)!.name).toBe('b:80');
    expect(ctx.breakerFor('a', 80)).toBe(a);
    expect(ctx.breakerFor('A', 81)).toBe(a81);
  });

  it('new settings apply to the next request: exclusions and per-destination options are worked out again', () => {
    const { ctx } = destinations({ excludeHosts: ['internal'] });
    expect(ctx.breakerFor('internal', 80)).toBeUndefined();
    expect(ctx.breakerFor('api', 80)).toBeDefined();
    ctx.settings = resolveConfig({ excludeHosts: ['api'], destinations: { internal: { failureThreshold: 2 } } });
    expect(ctx.breakerFor('api', 80)).toBeUndefined();
    const internal = ctx.breakerFor('internal', 80)!;
    internal.tryAcquire()!.failure(new Error('x'));
    internal.tryAcquire()!.failure(new Error('x'));
    expect(internal.state).toBe('open');
  });

  it('an evicted breaker is replaced by a fresh one with the destination options and attributes', () => {
    const { registry, ctx } = destinations({ destinations: { 'db:5432': { failureThreshold: 1 } } });
    const db = ctx.breakerFor('db', 5432)!;
    db.forceOpen();
    registry.delete('db:5432');
    const fresh = ctx.breakerFor('db', 5432)!;
    expect(fresh).not.toBe(db);
    expect(fresh.state).toBe('closed');
    expect(fresh.attributes).toEqual({ 'server.address': 'db', 'server.port': 5432 });
    fresh.tryAcquire()!.failure(new Error('x'));
    expect(fresh.state).toBe('open'); // failureThreshold 1 from `destinations`, not the default
  });

  it("every request counts as a use in the registry's least-recently-used order", () => {
    const { registry, ctx } = destinations({}, 2);
    const hot = ctx.breakerFor('hot', 80)!;
    ctx.breakerFor('cold', 80);
    ctx.breakerFor('hot', 80); // hot is now the most recently used
    ctx.breakerFor('new', 80); // the registry is full: the least recently used (cold) makes room
    expect(registry.peek('hot:80')).toBe(hot);
    expect(registry.peek('cold:80')).toBeUndefined();
  });

  it('keys IPv6 hosts in brackets and gRPC targets as given; both remember exclusions', () => {
    const { ctx } = destinations({ excludeHosts: ['[::1]:9000', 'grpc.internal'] });
    expect(ctx.breakerFor('::1', 8080)!.name).toBe('[::1]:8080');
    expect(ctx.breakerFor('::1', 9000)).toBeUndefined();
    expect(ctx.breakerForTarget('grpc.example.com:50051')!.name).toBe('grpc.example.com:50051');
    expect(ctx.breakerForTarget('grpc.example.com:50051')).toBe(ctx.breakerForTarget('grpc.example.com:50051'));
    expect(ctx.breakerForTarget('grpc.internal:50051')).toBeUndefined();
    expect(ctx.breakerForTarget('grpc.internal:50051')).toBeUndefined();
  });

  it('stays correct past the number of destinations it remembers', () => {
    const { ctx } = destinations({ excludeHosts: ['h7'] }, 5000);
    const first = ctx.breakerFor('h1', 1)!;
    for (let i = 0; i < 2100; i++) ctx.breakerFor(`host-${i}`, 80);
    for (let port = 0; port < 40; port++) ctx.breakerFor('h1', 1000 + port);
    expect(ctx.breakerFor('h1', 1)).toBe(first);
    expect(ctx.breakerFor('h7', 1)).toBeUndefined();
  });
});
