// Every permit handed out is settled, whatever happens to the instrumentation meanwhile: disable()
// and enable() toggled while requests are in flight leave no breaker with a call in flight.
import http from 'node:http';
import { createRequire } from 'node:module';
import type * as Grpc from '@grpc/grpc-js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { BreakerRegistry } from '../../src/breaker/registry.js';
import { BreakwaterInstrumentation } from '../../src/instrumentation/instrumentation.js';
import { callOnce } from './grpc-calls.js';
import { loadEchoClient, startGrpcTestServer } from './grpc-test-server.js';
import { settle } from './http-calls.js';
import { fetchOutcome, statusServer, type StatusServer } from './instrumentation-harness.js';

const require = createRequire(import.meta.url);
const TOGGLES = 300;

let server: StatusServer;
let inst: BreakwaterInstrumentation | undefined;
beforeAll(async () => {
  server = await statusServer();
});
afterAll(() => server.close());
afterEach(() => {
  inst?.disable();
  inst = undefined;
  http.globalAgent.destroy();
});

/**
 * One call per toggle, started just before it: each disable() meets a call in flight that then
 * ends while disabled; each enable() meets an unprotected one that ends while enabled.
 */
async function toggleUnderTraffic(instrumentation: BreakwaterInstrumentation, call: () => Promise<unknown>, toggles = TOGGLES): Promise<void> {
  const calls: Promise<unknown>[] = [];
  for (let i = 0; i < toggles; i++) {
    const c = call().catch(() => undefined);
    calls.push(c);
    if (i % 2 === 0) {
      instrumentation.disable();
      await c;
    } else {
      instrumentation.enable();
    }
  }
  await Promise.all(calls);
}

function inFlight(registry: BreakerRegistry): Record<string, number> {
  return Object.fromEntries([...registry].map((b) => [b.name, b.inFlight]));
}

describe('disable() with calls in flight', () => {
  it('node:http: every permit is settled', async () => {
    inst = new BreakwaterInstrumentation({ instrument: ['http'] });
    const key = `127.0.0.1:${server.port}`;
    await toggleUnderTraffic(inst, () => settle(http.get(server.origin)));
    const breaker = inst.registry.peek(key)!;
    expect(inFlight(inst.registry)).toEqual({ [key]: 0 });
    expect(breaker.metrics.successfulCalls).toBe(breaker.metrics.totalCalls);
    expect(breaker.metrics.totalCalls).toBeGreaterThanOrEqual(TOGGLES / 2);
  });

  it('node:http: a half-open probe that ends while disabled still closes the breaker', async () => {
    let now = 1_000_000;
    inst = new BreakwaterInstrumentation({ instrument: ['http'], breaker: { failureThreshold: 1, openTimeoutMs: 1_000, clock: { now: () => now } } });
    const key = `127.0.0.1:${server.port}`;
    server.status = 503;
    expect((await settle(http.get(server.origin))).status).toBe(503);
    const breaker = inst.registry.peek(key)!;
    expect(breaker.state).toBe('open');
    server.status = 200;
    now += 1_000;
    const probe = settle(http.get(server.origin));
    expect(breaker.state).toBe('half_open');
    inst.disable();
    expect((await probe).status).toBe(200);
    inst.enable();
    expect(breaker.state).toBe('closed');
    expect((await settle(http.get(server.origin))).status).toBe(200);
    expect(breaker.inFlight).toBe(0);
  });

  it('fetch: every permit is settled', async () => {
    inst = new BreakwaterInstrumentation({ instrument: ['fetch'] });
    const key = `127.0.0.1:${server.port}`;
    await toggleUnderTraffic(inst, () => fetchOutcome(server.origin));
    expect(inFlight(inst.registry)).toEqual({ [key]: 0 });
    expect(inst.registry.peek(key)!.metrics.successfulCalls).toBeGreaterThan(0);
  });

  it('gRPC: every permit is settled', async () => {
    inst = new BreakwaterInstrumentation({ instrument: ['grpc'] });
    const grpc = require('@grpc/grpc-js') as typeof Grpc;
    const grpcServer = await startGrpcTestServer();
    const client = new (loadEchoClient())(grpcServer.target, grpc.credentials.createInsecure());
    try {
      // Fewer toggles: a unary call on a fresh loopback channel takes tens of milliseconds.
      await toggleUnderTraffic(inst, () => callOnce('unary', client), 100);
      expect(inFlight(inst.registry)).toEqual({ [grpcServer.target]: 0 });
      expect(inst.registry.peek(grpcServer.target)!.metrics.successfulCalls).toBeGreaterThan(0);
    } finally {
      client.close();
      await grpcServer.close();
    }
  });
});
