// The undici package (v8) through the fetch/undici patch: its request/fetch/stream APIs, Node's
// global fetch next to it, and an application's own setGlobalDispatcher (Agent, custom dispatcher,
// ProxyAgent through a real CONNECT proxy) after the patch is enabled.
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { Readable, Writable } from 'node:stream';
import * as undici from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { CircuitOpenError } from '../../src/breaker/errors.js';
import { CURRENT_SLOT, expectNoLeak, fetchHarness, LEGACY_SLOT, slot, type FetchHarness } from './fetch-harness.js';
import { startTestServer, testTls, type TestServer } from './servers.js';

let h: FetchHarness | undefined;
let server: TestServer;
const originalDispatcher = undici.getGlobalDispatcher();
const cleanups: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  h?.disable();
  h = undefined;
  for (const c of cleanups.splice(0).reverse()) await c();
  undici.setGlobalDispatcher(originalDispatcher);
  await server?.close();
});

async function setUp(options: Parameters<typeof fetchHarness>[0] = {}): Promise<FetchHarness> {
  h = fetchHarness(options);
  h.enable();
  server = await startTestServer();
  return h;
}

async function trip(harness: FetchHarness, threshold = 3): Promise<void> {
  server.fail(503, { connection: 'close' });
  for (let i = 0; i < threshold; i++) {
    const res = await undici.request(server.origin);
    await res.body.dump();
  }
  expect(harness.breaker(server.port).state).toBe('open');
}

/**
 * A minimal forward proxy on loopback: absolute-form requests (what ProxyAgent sends for http:
 * targets) and CONNECT tunnels (with `proxyTunnel: true`), counting both.
 */
async function loopbackProxy(): Promise<{ url: string; uses: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const state = { uses: 0 };
  const proxy = http.createServer((req, res) => {
    state.uses++;
    const target = new URL(req.url ?? '');
    const upstream = http.request(
      { host: target.hostname, port: target.port, path: target.pathname + target.search, method: req.method, headers: req.headers, agent: false },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  proxy.on('connection', (s: net.Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  proxy.on('connect', (req: http.IncomingMessage, client: net.Socket) => {
    state.uses++;
    const [host, port] = (req.url ?? '').split(':');
    const upstream = net.connect(Number(port), host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.pipe(client);
      client.pipe(upstream);
    });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => s.destroy());
      s.on('close', () => sockets.delete(s));
    }
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`,
    get uses() {
      return state.uses;
    },
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise<void>((resolve) => proxy.close(() => resolve()));
    },
  };
}

describe('undici package', () => {
  it('undici.request: closed -> open (CircuitOpenError, no connection) -> half-open -> closed', async () => {
    const harness = await setUp({ halfOpenMaxCalls: 1, successThreshold: 1 });
    await trip(harness);
    const connections = server.connections;
    const requests = server.requests;
    const err = await undici.request(`${server.origin}/open`).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CircuitOpenError);
    expect((err as CircuitOpenError).code).toBe('ECIRCUITOPEN');
    expect(server.connections).toBe(connections);
    expect(server.requests).toBe(requests);

    harness.clock.advance(1_000);
    server.recover();
    const results = await Promise.allSettled(
      Array.from({ length: 3 }, () => undici.request(server.origin).then((r) => r.body.text())),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(server.requests - requests).toBe(1);
    const b = harness.breaker(server.port);
    expect(b.state).toBe('closed');
    expect(b.metrics).toMatchObject({ failedCalls: 3, successfulCalls: 1, rejectedCalls: 3 });
    expect(b.metrics.failedCalls + b.metrics.successfulCalls).toBe(server.requests);
    expect(expectNoLeak(b)).toEqual({ inFlight: 0, balanced: true });
  });

  it('undici.fetch rejects with a TypeError caused by CircuitOpenError; undici.stream with CircuitOpenError', async () => {
    const harness = await setUp();
    await trip(harness);
    const connections = server.connections;
    const fetchErr = await undici.fetch(server.origin).catch((e: unknown) => e);
    expect(fetchErr).toBeInstanceOf(TypeError);
    expect((fetchErr as { cause?: unknown }).cause).toBeInstanceOf(CircuitOpenError);
    const streamErr = await undici
      .stream(server.origin, { method: 'GET' }, () => new Writable({ write: (_c, _e, cb) => cb() }))
      .catch((e: unknown) => e);
    expect(streamErr).toBeInstanceOf(CircuitOpenError);
    // Node's global fetch shares the (protected) global dispatcher with the package.
    const globalErr = await fetch(server.origin).catch((e: unknown) => e);
    expect((globalErr as { cause?: { code?: string } }).cause?.code).toBe('ECIRCUITOPEN');
    expect(server.connections).toBe(connections);
  });

  it('settles undici.request on headers even when the body is never read', async () => {
    const harness = await setUp();
    const res = await undici.request(server.origin);
    expect(res.statusCode).toBe(200);
    const b = harness.breaker(server.port);
    expect(expectNoLeak(b)).toEqual({ inFlight: 0, balanced: true });
    expect(b.metrics.successfulCalls).toBe(1);
    await res.body.dump();
  });

  it('ignores an abort through the signal and fails on undici timeouts', async () => {
    const harness = await setUp();
    server.hang();
    const ac = new AbortController();
    const pending = undici.request(server.origin, { signal: ac.signal }).catch((e: unknown) => e);
    await server.waitForRequests(1);
    ac.abort();
    expect(await pending).toBeInstanceOf(Error);
    const b = harness.breaker(server.port);
    expect(b.metrics).toMatchObject({ ignoredCalls: 1, failedCalls: 0 });

    const timedOut = await undici.request(server.origin, { headersTimeout: 50 }).catch((e: unknown) => e);
    expect((timedOut as { code?: string }).code).toBe('UND_ERR_HEADERS_TIMEOUT');
    expect(b.metrics).toMatchObject({ ignoredCalls: 1, failedCalls: 1 });
    expect(expectNoLeak(b)).toEqual({ inFlight: 0, balanced: true });
  });

  it('retries a PUT with an in-memory body, but not one with a streamed body', async () => {
    const harness = await setUp();
    harness.ctx.retry = { attempts: 3, baseDelayMs: 1, jitter: 0 };
    server.fail(503);
    const res = await undici.request(server.origin, { method: 'PUT', body: 'payload' });
    expect(res.statusCode).toBe(503);
    await res.body.dump();
    expect(server.requests).toBe(3);
    expect(harness.breaker(server.port).metrics).toMatchObject({ totalCalls: 1, failedCalls: 1 });

    server.resetCounts();
    const streamed = await undici.request(server.origin, {
      method: 'PUT',
      body: Readable.from(['payload']),
    });
    await streamed.body.dump();
    expect(server.requests).toBe(1);
  });
});

describe("the application's own global dispatcher", () => {
  it('a new Agent set after enable keeps working and is protected', async () => {
    const harness = await setUp();
    let connects = 0;
    const connector = undici.buildConnector({});
    const agent = new undici.Agent({
      connect: (options, callback) => {
        connects++;
        return connector(options, callback);
      },
    });
    cleanups.push(() => agent.close());
    undici.setGlobalDispatcher(agent);

    // Global fetch re-protects the swapped dispatcher before its first request.
    const res = await fetch(`${server.origin}/via-agent`);
    expect(await res.text()).toBe('ok');
    expect(connects).toBe(1);
    expect(harness.breaker(server.port).metrics.successfulCalls).toBe(1);

    await trip(harness);
    const connections = server.connections;
    const before = connects;
    expect(await undici.request(server.origin).catch((e: unknown) => e)).toBeInstanceOf(CircuitOpenError);
    expect((await fetch(server.origin).catch((e: unknown) => e) as { cause?: unknown }).cause).toBeInstanceOf(CircuitOpenError);
    expect(server.connections).toBe(connections);
    expect(connects).toBe(before);

    // disable() leaves the application's dispatcher in place.
    harness.disable();
    expect(slot(CURRENT_SLOT)).toBe(agent);
  });

  it("protects a dispatcher passed to global fetch's own options", async () => {
    const harness = await setUp({ failureThreshold: 2 });
    let connects = 0;
    const connector = undici.buildConnector({});
    const agent = new undici.Agent({
      connect: (options, callback) => {
        connects++;
        return connector(options, callback);
      },
    });
    cleanups.push(() => agent.close());
    // Node's bundled fetch speaks undici's legacy handler contract: an undici 8 Agent needs the wrapper.
    const dispatcher = new undici.Dispatcher1Wrapper(agent);
    const viaAgent = { dispatcher } as RequestInit;
    server.fail(503, { connection: 'close' });
    for (let i = 0; i < 2; i++) await (await fetch(server.origin, viaAgent)).text();
    expect(connects).toBe(2);
    expect(harness.breaker(server.port).state).toBe('open');
    const err = await fetch(server.origin, viaAgent).catch((e: unknown) => e);
    expect((err as { cause?: unknown }).cause).toBeInstanceOf(CircuitOpenError);
    expect(connects).toBe(2);
    expect(viaAgent).toEqual({ dispatcher }); // the caller's options are left as they were
  });

  it('protects HTTPS destinations (an Agent trusting the test certificate, set after enable)', async () => {
    const harness = await setUp({ failureThreshold: 2 });
    const tlsServer = await startTestServer({ tls: true });
    cleanups.push(() => tlsServer.close());
    const agent = new undici.Agent({ connect: { ca: testTls.cert } });
    cleanups.push(() => agent.close());
    undici.setGlobalDispatcher(agent);
    expect(await (await fetch(`${tlsServer.origin}/secure`)).text()).toBe('ok');
    tlsServer.fail(503, { connection: 'close' });
    for (let i = 0; i < 2; i++) await (await fetch(tlsServer.origin)).text();
    const b = harness.breaker(tlsServer.port);
    expect(b.state).toBe('open');
    const connections = tlsServer.connections;
    expect(await undici.request(tlsServer.origin).catch((e: unknown) => e)).toBeInstanceOf(CircuitOpenError);
    expect(((await fetch(tlsServer.origin).catch((e: unknown) => e)) as { cause?: unknown }).cause).toBeInstanceOf(CircuitOpenError);
    expect(tlsServer.connections).toBe(connections);
    expect(b.metrics).toMatchObject({ successfulCalls: 1, failedCalls: 2, rejectedCalls: 2 });
  });

  it('undici APIs pick up a swapped dispatcher from the request after the one that revealed it', async () => {
    const harness = await setUp({ failureThreshold: 1 });
    let dispatched = 0;
    const inner = new undici.Agent();
    cleanups.push(() => inner.close());
    const custom = {
      dispatch(opts: undici.Dispatcher.DispatchOptions, handler: undici.Dispatcher.DispatchHandler) {
        dispatched++;
        return inner.dispatch(opts, handler);
      },
    };
    undici.setGlobalDispatcher(custom as unknown as undici.Dispatcher);
    await (await undici.request(`${server.origin}/reveal`)).body.dump();
    expect(dispatched).toBe(1);
    server.fail(500);
    await (await undici.request(server.origin)).body.dump();
    expect(dispatched).toBe(2);
    expect(harness.breaker(server.port).state).toBe('open');
    expect(await undici.request(server.origin).catch((e: unknown) => e)).toBeInstanceOf(CircuitOpenError);
    expect(dispatched).toBe(2);
  });

  it.each([false, true])('a ProxyAgent (proxyTunnel: %s) set after enable goes through the proxy and is protected', async (proxyTunnel) => {
    const harness = await setUp();
    const proxy = await loopbackProxy();
    cleanups.push(() => proxy.close());
    const proxyAgent = new undici.ProxyAgent({ uri: proxy.url, proxyTunnel });
    cleanups.push(() => proxyAgent.close());
    undici.setGlobalDispatcher(proxyAgent);

    const res = await fetch(`${server.origin}/through-proxy`);
    expect(await res.text()).toBe('ok');
    expect(proxy.uses).toBe(1);
    // The breaker is the destination's, not the proxy's.
    expect(harness.breaker(server.port).metrics.successfulCalls).toBe(1);

    server.fail(503, { connection: 'close' });
    for (let i = 0; i < 3; i++) await (await fetch(server.origin)).text();
    expect(harness.breaker(server.port).state).toBe('open');
    const uses = proxy.uses;
    const connections = server.connections;
    expect((await fetch(server.origin).catch((e: unknown) => e) as { cause?: unknown }).cause).toBeInstanceOf(CircuitOpenError);
    expect(await undici.request(server.origin).catch((e: unknown) => e)).toBeInstanceOf(CircuitOpenError);
    expect(proxy.uses).toBe(uses);
    expect(server.connections).toBe(connections);
  });

  it('counts each request once when the protected dispatcher is put back with setGlobalDispatcher', async () => {
    const harness = await setUp();
    const protectedDispatcher = undici.getGlobalDispatcher();
    const other = new undici.Agent();
    cleanups.push(() => other.close());
    // The save/swap/restore pattern of test suites: the legacy slot then holds a
    // Dispatcher1Wrapper around the protected view, which breakwater protects once more.
    undici.setGlobalDispatcher(other);
    undici.setGlobalDispatcher(protectedDispatcher);
    await (await fetch(server.origin)).text();
    await (await fetch(server.origin)).text();
    await (await undici.request(server.origin)).body.dump();
    expect(harness.breaker(server.port).metrics).toMatchObject({ totalCalls: 3, successfulCalls: 3 });
    expect(server.requests).toBe(3);
  });

  it('protects both slots once, and disable() restores both', async () => {
    const before1 = slot(LEGACY_SLOT);
    const before2 = slot(CURRENT_SLOT);
    const harness = await setUp();
    expect(slot(LEGACY_SLOT)).not.toBe(before1);
    expect(slot(CURRENT_SLOT)).not.toBe(before2);
    // The protected view is still the same dispatcher to its users.
    expect(slot(CURRENT_SLOT)).toBeInstanceOf((before2 as object).constructor as new () => unknown);
    expect((slot(CURRENT_SLOT) as object).constructor).toBe((before2 as object).constructor);
    expect(typeof (slot(CURRENT_SLOT) as undici.Dispatcher).close).toBe('function');
    await (await fetch(server.origin)).text();
    await (await undici.request(server.origin)).body.dump();
    expect(harness.breaker(server.port).metrics.successfulCalls).toBe(2);
    harness.disable();
    expect(slot(LEGACY_SLOT)).toBe(before1);
    expect(slot(CURRENT_SLOT)).toBe(before2);
  });
});
