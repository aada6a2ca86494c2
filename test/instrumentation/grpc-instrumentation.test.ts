/**
 * The gRPC patch as BreakwaterInstrumentation applies it: through the module hook, with the
 * instrumentation's own registry and configuration, and undone by disable().
 *
 * How the hook fires here: vitest loads @grpc/grpc-js through Node's ESM loader, which does not run
 * require hooks, so the test requires grpc-js again with `createRequire` after the instrumentation
 * is constructed — what a CommonJS application does. require-in-the-middle then hands the (already
 * loaded) exports to the instrumentation, which patches them; the first test checks that the patch
 * really is in place. The ESM application path (`--import breakwater/register`) and coexistence
 * with instrumentation-grpc run in child processes (grpc-child-process.test.ts).
 */
import { createRequire } from 'node:module';
import type * as Grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CircuitOpenError } from '../../src/breaker/errors.js';
import { BreakwaterInstrumentation } from '../../src/instrumentation/instrumentation.js';
import { isPatched } from '../../src/instrumentation/wrap.js';
import { CALL_KINDS, callOnce } from './grpc-calls.js';
import { loadEchoClient, startGrpcTestServer, type GrpcTestServer } from './grpc-test-server.js';

const require = createRequire(import.meta.url);

let now = 5_000_000;
const clock = { now: () => now };

describe('BreakwaterInstrumentation({ instrument: ["grpc"] })', () => {
  let instrumentation: BreakwaterInstrumentation;
  let grpc: typeof Grpc;
  let server: GrpcTestServer;
  let client: Grpc.Client;

  beforeAll(async () => {
    instrumentation = new BreakwaterInstrumentation({
      instrument: ['grpc'],
      breaker: { failureThreshold: 2, openTimeoutMs: 10_000, halfOpenMaxCalls: 1, clock },
    });
    grpc = require('@grpc/grpc-js') as typeof Grpc;
    server = await startGrpcTestServer();
    client = new (loadEchoClient())(server.target, grpc.credentials.createInsecure());
  });
  afterAll(async () => {
    client.close();
    await server.close();
    instrumentation.disable();
  });

  it('patches grpc-js through the require hook', () => {
    expect(isPatched(grpc.Channel.prototype, 'createCall')).toBe(true);
  });

  it('creates one breaker per channel target, with server.address and server.port', async () => {
    expect((await callOnce('unary', client)).code).toBe(grpc.status.OK);
    const breaker = instrumentation.registry.peek(server.target);
    expect(breaker).toBeDefined();
    expect(breaker!.attributes).toMatchObject({ 'server.address': '127.0.0.1', 'server.port': server.port });
    expect(breaker!.metrics.successfulCalls).toBe(1);
  });

  it('opens on the default failure codes and then sends nothing, for every call type', async () => {
    server.fail(grpc.status.UNAVAILABLE);
    for (let i = 0; i < 2; i++) expect((await callOnce('unary', client)).code).toBe(grpc.status.UNAVAILABLE);
    const breaker = instrumentation.registry.peek(server.target)!;
    expect(breaker.state).toBe('open');
    const calls = server.calls;
    for (const kind of CALL_KINDS) {
      const r = await callOnce(kind, client);
      expect(r.code).toBe(grpc.status.UNAVAILABLE);
      expect(r.error?.details).toContain(`circuit breaker "${server.target}" is open`);
      expect(r.error?.cause).toBeInstanceOf(CircuitOpenError);
    }
    expect(server.calls).toBe(calls);
    expect(breaker.metrics).toMatchObject({ successfulCalls: 1, failedCalls: 2, rejectedCalls: 4 });
  });

  it('disable() unpatches: calls reach the server although the breaker is open', async () => {
    instrumentation.disable();
    expect(isPatched(grpc.Channel.prototype, 'createCall')).toBe(false);
    const calls = server.calls;
    expect((await callOnce('unary', client)).code).toBe(grpc.status.UNAVAILABLE); // the server's own answer
    expect(server.calls).toBe(calls + 1);
    expect(instrumentation.registry.peek(server.target)!.metrics.totalCalls).toBe(7);
  });

  it('enable() patches again: the open breaker rejects, then recovers through a probe', async () => {
    instrumentation.enable();
    expect(isPatched(grpc.Channel.prototype, 'createCall')).toBe(true);
    const breaker = instrumentation.registry.peek(server.target)!;
    const calls = server.calls;
    expect((await callOnce('bidi', client)).error?.cause).toBeInstanceOf(CircuitOpenError);
    expect(server.calls).toBe(calls);

    now += 10_000;
    server.recover();
    expect((await callOnce('serverStream', client)).code).toBe(grpc.status.OK);
    expect(server.calls).toBe(calls + 1);
    expect(breaker.state).toBe('closed');
    expect(breaker.inFlight).toBe(0);
  });
});
