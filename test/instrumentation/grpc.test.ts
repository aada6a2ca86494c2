/**
 * The gRPC patch against a real grpc-js server, through a hand-built ClientContext.
 *
 * How the patch is applied here: vitest imports @grpc/grpc-js through Node's ESM loader, which
 * does not run require-in-the-middle hooks, so this file calls the module definition's
 * `patch(moduleExports)` directly (and `unpatch` to check that it undoes itself). The hook path —
 * BreakwaterInstrumentation patching grpc-js when the application requires or imports it — is
 * covered in grpc-instrumentation.test.ts.
 */
import { createRequire } from 'node:module';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import type * as Grpc from '@grpc/grpc-js';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CircuitOpenError } from '../../src/breaker/errors.js';
import type { CircuitBreaker } from '../../src/breaker/circuit-breaker.js';
import { grpcModuleDefinitions } from '../../src/instrumentation/grpc.js';
import { isPatched } from '../../src/instrumentation/wrap.js';
import { CALL_KINDS, callOnce, startCall, type CallResult } from './grpc-calls.js';
import { makeTestContext } from './grpc-context.js';
import {
  closedPort,
  echoServiceDefinition,
  jsonDeserialize,
  jsonSerialize,
  loadEchoClient,
  RAW_ECHO_PATH,
  startGrpcTestServer,
  type GrpcTestServer,
} from './grpc-test-server.js';

const require = createRequire(import.meta.url);
const grpc = require('@grpc/grpc-js') as typeof Grpc;
const { status } = grpc;
const insecure = grpc.credentials.createInsecure();
const Echo = loadEchoClient();

const t = makeTestContext();
const [definition] = grpcModuleDefinitions(t.ctx);
const originalCreateCall = grpc.Channel.prototype.createCall;

beforeAll(() => {
  definition!.patch!(grpc);
});
afterAll(() => {
  definition!.unpatch!(grpc);
});

/** Every permit settled, and the counters add up (DESIGN.md invariant). */
function expectSettled(b: CircuitBreaker): void {
  const m = b.metrics;
  expect(b.inFlight).toBe(0);
  expect(m.totalCalls).toBe(m.successfulCalls + m.failedCalls + m.ignoredCalls + m.rejectedCalls);
}

function expectRejected(r: CallResult, key: string): void {
  expect(r.code).toBe(status.UNAVAILABLE);
  expect(r.error?.code).toBe(status.UNAVAILABLE);
  expect(r.error?.details).toMatch(new RegExp(`^circuit breaker "${key.replace(/\./g, '\\.')}" is`));
  expect(r.error?.cause).toBeInstanceOf(CircuitOpenError);
  const cause = r.error?.cause as CircuitOpenError;
  expect(cause.code).toBe('ECIRCUITOPEN');
  expect(cause.breakerName).toBe(key);
  expect(r.error?.metadata).toBeInstanceOf(grpc.Metadata);
}

it('patches Channel.prototype.createCall and restores it on unpatch', () => {
  expect(isPatched(grpc.Channel.prototype, 'createCall')).toBe(true);
  expect(grpc.Channel.prototype.createCall).not.toBe(originalCreateCall);
  definition!.unpatch!(grpc);
  expect(grpc.Channel.prototype.createCall).toBe(originalCreateCall);
  definition!.patch!(grpc);
  expect(isPatched(grpc.Channel.prototype, 'createCall')).toBe(true);
});

describe.each(CALL_KINDS)('%s calls', (kind) => {
  let server: GrpcTestServer;
  let client: Grpc.Client;
  let key: string;
  const breaker = (): CircuitBreaker => t.breaker(key);

  beforeEach(async () => {
    server = await startGrpcTestServer();
    client = new Echo(server.target, insecure);
    key = server.target;
  });
  afterEach(async () => {
    client.close();
    await server.close();
  });

  it('go closed → open (nothing reaches the server) → half-open (exactly the probes reach it) → closed', async () => {
    const failWith = kind === 'unary' || kind === 'serverStream' ? status.UNAVAILABLE : status.INTERNAL;

    // closed
    expect((await callOnce(kind, client)).code).toBe(status.OK);
    expect(server.calls).toBe(1);
    expect(breaker().state).toBe('closed');

    // three failures open it
    server.fail(failWith);
    for (let i = 0; i < 3; i++) {
      const r = await callOnce(kind, client);
      expect(r.code).toBe(failWith);
      expect(r.error?.cause).toBeUndefined();
    }
    expect(server.calls).toBe(4);
    expect(breaker().state).toBe('open');

    // open: every call fails fast, no call and no connection reaches the server
    const connections = server.connections;
    const rejected = await Promise.all(Array.from({ length: 5 }, () => callOnce(kind, client)));
    for (const r of rejected) {
      expectRejected(r, key);
      expect(r.replies).toEqual([]);
    }
    expect(server.calls).toBe(4);
    expect(server.connections).toBe(connections);

    // half-open: two probe slots; the server holds the probes so that they stay in flight
    t.clock.advance(1_000);
    server.hang();
    const started = Array.from({ length: 5 }, () => startCall(kind, client));
    // createCall is synchronous in every client method: the first two calls hold the probe slots
    for (const s of started.slice(2)) {
      const r = await s.done;
      expectRejected(r, key);
      expect((r.error?.cause as CircuitOpenError).state).toBe('half_open');
    }
    await server.waitForCalls(6);
    expect(breaker().state).toBe('half_open');
    expect(breaker().inFlight).toBe(2);

    // recovery: both probes succeed and close it
    server.recover();
    for (const s of started.slice(0, 2)) expect((await s.done).code).toBe(status.OK);
    expect(server.calls).toBe(6);
    expect(breaker().state).toBe('closed');

    expect((await callOnce(kind, client)).code).toBe(status.OK);
    expect(server.calls).toBe(7);

    // the breaker saw what the server saw
    const m = breaker().metrics;
    expect(m).toMatchObject({ successfulCalls: 4, failedCalls: 3, ignoredCalls: 0, rejectedCalls: 8, totalCalls: 15 });
    expect(m.successfulCalls + m.failedCalls).toBe(server.calls);
    expect(m.stateTransitions).toEqual({ 'closed->open': 1, 'open->half_open': 1, 'half_open->closed': 1 });
    expectSettled(breaker());
  });

  it('hold the permit until the call has ended', async () => {
    server.hang();
    const s = startCall(kind, client);
    await server.waitForCalls(1);
    if (kind === 'serverStream' || kind === 'bidi') await s.firstReply; // a reply is in, the stream is open
    expect(breaker().inFlight).toBe(1);
    expect(breaker().metrics.successfulCalls).toBe(0);
    server.recover();
    const r = await s.done;
    expect(r.code).toBe(status.OK);
    expect(r.replies.length).toBeGreaterThan(0);
    expect(breaker().metrics.successfulCalls).toBe(1);
    expectSettled(breaker());
  });

  it('hold the permit of a destroy()ed stream while grpc-js keeps the call open; cancel() ends both', async () => {
    if (kind === 'unary') return; // a unary call is no stream
    server.hang();
    const s = startCall(kind, client);
    await server.waitForCalls(1);
    if (kind !== 'clientStream') await s.firstReply;
    // grpc-js streams do not cancel their call on destroy(): the HTTP/2 stream stays open until
    // a status (server, deadline, cancel), and the permit with it — an honest in-flight call.
    (s.call as unknown as { destroy(): void }).destroy();
    await new Promise((resolve) => setImmediate(resolve));
    expect(breaker().inFlight).toBe(1);
    s.call.cancel();
    expect((await s.done).code).toBe(status.CANCELLED);
    expect(breaker().metrics.ignoredCalls).toBe(1);
    expectSettled(breaker());
  });

  it('settle the permit on every path: OK, an answer, a failure, a deadline, a cancel', async () => {
    const counts = (): unknown => {
      const { successfulCalls, failedCalls, ignoredCalls } = breaker().metrics;
      return { successfulCalls, failedCalls, ignoredCalls };
    };

    expect((await callOnce(kind, client)).code).toBe(status.OK);
    expect(counts()).toEqual({ successfulCalls: 1, failedCalls: 0, ignoredCalls: 0 });

    server.fail(status.NOT_FOUND); // an answer, not a fault of the server
    expect((await callOnce(kind, client)).code).toBe(status.NOT_FOUND);
    expect(counts()).toEqual({ successfulCalls: 2, failedCalls: 0, ignoredCalls: 0 });

    server.fail(status.RESOURCE_EXHAUSTED);
    expect((await callOnce(kind, client)).code).toBe(status.RESOURCE_EXHAUSTED);
    expect(counts()).toEqual({ successfulCalls: 2, failedCalls: 1, ignoredCalls: 0 });
    expectSettled(breaker());

    server.hang();
    const late = await callOnce(kind, client, { deadline: Date.now() + 150 });
    expect(late.code).toBe(status.DEADLINE_EXCEEDED);
    expect(counts()).toEqual({ successfulCalls: 2, failedCalls: 2, ignoredCalls: 0 });
    expectSettled(breaker());

    // cancelled by the caller once the server has it…
    const calls = server.calls;
    const s = startCall(kind, client);
    await server.waitForCalls(calls + 1);
    s.call.cancel();
    expect((await s.done).code).toBe(status.CANCELLED);
    expect(counts()).toEqual({ successfulCalls: 2, failedCalls: 2, ignoredCalls: 1 });

    // …and before anything was sent
    const early = startCall(kind, client);
    early.call.cancel();
    expect((await early.done).code).toBe(status.CANCELLED);
    expect(counts()).toEqual({ successfulCalls: 2, failedCalls: 2, ignoredCalls: 2 });
    expectSettled(breaker());
    expect(breaker().state).toBe('closed'); // two failures, not three in a row
  });

  it('count calls to a server that resets every connection as failures', async () => {
    const resetting = net.createServer((socket) => socket.resetAndDestroy());
    await new Promise<void>((resolve) => resetting.listen(0, '127.0.0.1', resolve));
    const target = `127.0.0.1:${(resetting.address() as AddressInfo).port}`;
    const victim = new Echo(target, insecure);
    try {
      for (let i = 0; i < 3; i++) expect((await callOnce(kind, victim)).code).toBe(status.UNAVAILABLE);
      expect(t.breaker(target).state).toBe('open');
      expectRejected(await callOnce(kind, victim), target);
      expectSettled(t.breaker(target));
    } finally {
      victim.close();
      await new Promise((resolve) => resetting.close(resolve));
    }
  });

  it('count calls to a port where nothing listens as failures, then fail fast without connecting', async () => {
    const port = await closedPort();
    const target = `127.0.0.1:${port}`;
    const lonely = new Echo(target, insecure);
    try {
      for (let i = 0; i < 3; i++) {
        const r = await callOnce(kind, lonely);
        expect(r.code).toBe(status.UNAVAILABLE);
        expect(r.error?.cause).toBeUndefined();
      }
      expect(t.breaker(target).state).toBe('open');
      expectRejected(await callOnce(kind, lonely), target);
      expect(t.breaker(target).metrics).toMatchObject({ failedCalls: 3, rejectedCalls: 1 });
      expectSettled(t.breaker(target));
    } finally {
      lonely.close();
    }
  });
});

describe('clients of every make', () => {
  let server: GrpcTestServer;
  beforeEach(async () => {
    server = await startGrpcTestServer();
  });
  afterEach(async () => {
    await server.close();
  });

  function rawUnary(client: Grpc.Client, body: unknown, serialize = jsonSerialize): Promise<CallResult> {
    return new Promise((resolve) => {
      client.makeUnaryRequest(RAW_ECHO_PATH, serialize, jsonDeserialize, body, (err, reply) => {
        resolve({ code: err ? err.code : 0, error: err ?? undefined, replies: reply ? [reply as never] : [] });
      });
    });
  }

  it('a plain grpc.Client with its own serializers is protected too', async () => {
    const client = new grpc.Client(server.target, insecure);
    try {
      expect(await rawUnary(client, { hello: 1 })).toMatchObject({ code: 0, replies: [{ echo: { hello: 1 } }] });
      server.fail(status.UNAVAILABLE);
      for (let i = 0; i < 3; i++) expect((await rawUnary(client, {})).code).toBe(status.UNAVAILABLE);
      expect(server.calls).toBe(4);
      expectRejected(await rawUnary(client, {}), server.target);
      expect(server.calls).toBe(4);
      expectSettled(t.breaker(server.target));
    } finally {
      client.close();
    }
  });

  it('a request that fails to serialize on the client is ignored, not blamed on the server', async () => {
    const client = new grpc.Client(server.target, insecure);
    try {
      const r = await rawUnary(client, {}, () => {
        throw new Error('cannot serialize');
      });
      expect(r.code).toBe(status.INTERNAL);
      expect(server.calls).toBe(0);
      expect(t.breaker(server.target).metrics).toMatchObject({ failedCalls: 0, ignoredCalls: 1 });
      expectSettled(t.breaker(server.target));
    } finally {
      client.close();
    }
  });

  it('a client from makeClientConstructor, with the user’s own interceptors, is protected too', async () => {
    const Ctor = grpc.makeClientConstructor(echoServiceDefinition(), 'Echo');
    const seen: number[] = [];
    // An interceptor provider on the client and an interceptor on the call: the call's replaces
    // the client's (grpc-js rule), and breakwater works under both because it sits below them.
    const observe: Grpc.Interceptor = (options, nextCall) =>
      new grpc.InterceptingCall(nextCall(options), {
        start: (metadata, listener, next) =>
          next(metadata, {
            onReceiveStatus: (s, nextStatus) => {
              seen.push(s.code);
              nextStatus(s);
            },
          }),
      });
    const client = new Ctor(server.target, insecure, { interceptor_providers: [() => observe] });
    try {
      server.fail(status.UNAVAILABLE);
      for (let i = 0; i < 3; i++) expect((await callOnce('unary', client)).code).toBe(status.UNAVAILABLE);
      expectRejected(await callOnce('unary', client), server.target);
      expectRejected(await callOnce('unary', client, { interceptors: [observe] }), server.target);
      expect(seen).toEqual([14, 14, 14, 14, 14]);
      expect(server.calls).toBe(3);
    } finally {
      client.close();
    }
  });

  it('a grpc-retry-pushback-ms trailer lengthens the open wait, as Retry-After does for HTTP', async () => {
    const client = new Echo(server.target, insecure);
    try {
      server.fail(status.RESOURCE_EXHAUSTED, { 'grpc-retry-pushback-ms': '7500' });
      for (let i = 0; i < 3; i++) expect((await callOnce('unary', client)).code).toBe(status.RESOURCE_EXHAUSTED);
      const b = t.breaker(server.target);
      expect(b.state).toBe('open');
      expect(b.retryAfterMs()).toBe(7_500); // the back-off alone would be 1_000
    } finally {
      client.close();
    }
  });

  it('a dns:/// target shares the breaker of the plain host:port target', async () => {
    const a = new Echo(server.target, insecure);
    const b = new Echo(`dns:///${server.target}`, insecure);
    try {
      t.lookups.length = 0;
      await callOnce('unary', a);
      await callOnce('unary', b);
      expect(t.lookups).toEqual([server.target, server.target]);
      expect(t.breaker(server.target).metrics.successfulCalls).toBe(2);
    } finally {
      a.close();
      b.close();
    }
  });

  it('a call on a closed client throws as before, and its permit is given back', async () => {
    const client = new Echo(server.target, insecure);
    await callOnce('unary', client);
    client.close();
    await expect(callOnce('unary', client)).rejects.toThrow(/shut down/i);
    expect(t.breaker(server.target).metrics).toMatchObject({ successfulCalls: 1, ignoredCalls: 1 });
    expectSettled(t.breaker(server.target));
  });
});

describe('a rejected call', () => {
  let server: GrpcTestServer;
  let client: Grpc.Client;
  beforeEach(async () => {
    server = await startGrpcTestServer();
    client = new Echo(server.target, insecure);
    t.breaker(server.target).forceOpen();
  });
  afterEach(async () => {
    client.close();
    await server.close();
  });

  it('acknowledges client-stream writes and lets end() finish, so writers never hang', async () => {
    const stream = (client as unknown as Record<string, (cb: () => void) => Grpc.ClientWritableStream<unknown>>)
      .ClientStream!(() => {});
    const written = new Promise<void>((resolve) => stream.write({ text: 'a' }, () => resolve()));
    const finished = new Promise<void>((resolve) => stream.on('finish', () => resolve()));
    stream.end();
    await written;
    await finished;
    expect(server.calls).toBe(0);
  });

  it('keeps its UNAVAILABLE status when the caller cancels it at once', async () => {
    const s = startCall('serverStream', client);
    s.call.cancel();
    expectRejected(await s.done, server.target);
    expect(t.breaker(server.target).metrics).toMatchObject({ rejectedCalls: 1, ignoredCalls: 0 });
  });

  it('carries the CircuitOpenError on the status event too', async () => {
    const stream = (client as unknown as Record<string, (r: unknown) => Grpc.ClientReadableStream<unknown>>).ServerStream!({});
    stream.on('error', () => {});
    const finalStatus = await new Promise<Grpc.StatusObject & { cause?: unknown }>((resolve) => stream.on('status', resolve));
    expect(finalStatus.code).toBe(status.UNAVAILABLE);
    expect(finalStatus.cause).toBeInstanceOf(CircuitOpenError);
  });

  it('reports the peer as the channel target', () => {
    const call = (client as unknown as Record<string, (r: unknown, cb: () => void) => Grpc.ClientUnaryCall>).Unary!(
      {},
      () => {},
    );
    expect(call.getPeer()).toBe(`dns:${server.target}`);
  });
});

describe('internal faults and unprotected calls', () => {
  let server: GrpcTestServer;
  let client: Grpc.Client;
  beforeEach(async () => {
    server = await startGrpcTestServer();
    client = new Echo(server.target, insecure);
  });
  afterEach(async () => {
    client.close();
    await server.close();
    t.failLookups = false;
    t.unprotected.clear();
    t.diagErrors.length = 0;
  });

  it('a failing breaker lookup goes to diag and the call proceeds unprotected', async () => {
    t.failLookups = true;
    expect((await callOnce('unary', client)).code).toBe(status.OK);
    expect(server.calls).toBe(1);
    expect(t.diagErrors).toHaveLength(1);
    expect(String(t.diagErrors[0]![0])).toMatch(/proceeds unprotected/);
    expect(t.breakers.has(server.target)).toBe(false);
  });

  it('a failing outcome rule goes to diag and the permit is given back', async () => {
    const original = t.ctx.isFailureGrpcCode;
    t.ctx.isFailureGrpcCode = () => {
      throw new Error('rule exploded');
    };
    try {
      server.fail(status.INTERNAL);
      const r = await callOnce('unary', client);
      expect(r.code).toBe(status.INTERNAL); // the caller sees the server's status, untouched
      expect(t.diagErrors).toHaveLength(1);
      expect(t.breaker(server.target).metrics).toMatchObject({ failedCalls: 0, ignoredCalls: 1 });
      expectSettled(t.breaker(server.target));
    } finally {
      t.ctx.isFailureGrpcCode = original;
    }
  });

  it('a destination the context leaves unprotected gets no breaker', async () => {
    t.unprotected.add(server.target);
    server.fail(status.UNAVAILABLE);
    for (let i = 0; i < 5; i++) expect((await callOnce('unary', client)).code).toBe(status.UNAVAILABLE);
    expect(server.calls).toBe(5);
    expect(t.breakers.has(server.target)).toBe(false);
  });
});
