// Node's global fetch through the fetch/undici patch, against real loopback servers.
// This file never imports the undici package, so Node's bundled undici owns the global dispatcher.
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CircuitOpenError } from '../../src/breaker/errors.js';
import { expectNoLeak, fetchHarness, LEGACY_SLOT, CURRENT_SLOT, slot, type FetchHarness } from './fetch-harness.js';
import { startTestServer, type TestServer } from './servers.js';

// Taken before the patch is enabled: must be protected all the same.
const capturedFetch = globalThis.fetch;

let h: FetchHarness;
let server: TestServer;

beforeAll(() => {
  // Make sure Node's bundled dispatcher exists, so enable() has one to protect and disable() one to restore.
  void globalThis.Headers;
});

afterEach(async () => {
  h?.disable();
  await server?.close();
});

async function setUp(options: Parameters<typeof fetchHarness>[0] = {}): Promise<void> {
  h = fetchHarness(options);
  h.enable();
  server = await startTestServer();
}

function causeOf(err: unknown): unknown {
  return (err as { cause?: unknown }).cause;
}

describe('global fetch', () => {
  it('goes closed -> open (fail fast, no connection) -> half-open (only the allowed probes) -> closed', async () => {
    await setUp({ failureThreshold: 3, openTimeoutMs: 1_000, halfOpenMaxCalls: 2, successThreshold: 2 });
    const b = h.breaker(server.port);
    // `connection: close` leaves no pooled socket: a permitted request would need a new connection.
    server.fail(503, { connection: 'close' });
    for (let i = 0; i < 3; i++) {
      const res = await capturedFetch(`${server.origin}/fail`);
      expect(res.status).toBe(503);
      await res.text();
    }
    expect(b.state).toBe('open');

    const connections = server.connections;
    const requests = server.requests;
    for (const f of [fetch, capturedFetch]) {
      const err = await f(`${server.origin}/open`).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TypeError);
      expect(causeOf(err)).toBeInstanceOf(CircuitOpenError);
      expect((causeOf(err) as CircuitOpenError).code).toBe('ECIRCUITOPEN');
      expect((causeOf(err) as CircuitOpenError).breakerName).toBe(`127.0.0.1:${server.port}`);
    }
    expect(server.connections).toBe(connections);
    expect(server.requests).toBe(requests);

    h.clock.advance(1_000);
    server.recover();
    const results = await Promise.allSettled(
      Array.from({ length: 5 }, () => fetch(`${server.origin}/probe`).then((r) => r.text())),
    );
    const passed = results.filter((r) => r.status === 'fulfilled');
    const rejected = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(passed).toHaveLength(2);
    expect(rejected).toHaveLength(3);
    for (const r of rejected) expect((causeOf(r.reason) as CircuitOpenError).state).toBe('half_open');
    expect(server.requests - requests).toBe(2);
    expect(b.state).toBe('closed');

    const m = b.metrics;
    expect(m.failedCalls).toBe(3);
    expect(m.successfulCalls).toBe(2);
    expect(m.rejectedCalls).toBe(5);
    expect(m.successfulCalls + m.failedCalls).toBe(server.requests);
    expect(m.stateTransitions).toEqual({ 'closed->open': 1, 'open->half_open': 1, 'half_open->closed': 1 });
    expect(expectNoLeak(b)).toEqual({ inFlight: 0, balanced: true });
  });

  it('keys breakers by host:port and leaves excluded destinations alone', async () => {
    await setUp();
    const res = await fetch(`http://localhost:${server.port}/x`);
    await res.text();
    expect([...h.breakers.keys()]).toContain(`localhost:${server.port}`);
    const b = h.breaker(server.port, 'localhost');
    expect(b.metrics.successfulCalls).toBe(1);
  });

  it('settles on the response headers: a body never read still frees the permit', async () => {
    await setUp();
    const b = h.breaker(server.port);
    const res = await fetch(`${server.origin}/unread`);
    expect(res.status).toBe(200);
    expect(expectNoLeak(b)).toEqual({ inFlight: 0, balanced: true });
    expect(b.metrics.successfulCalls).toBe(1);
    await res.body?.cancel();
  });

  it('counts 5xx, 408 and 429 as failures and other statuses as successes', async () => {
    await setUp({ failureThreshold: 10 });
    const b = h.breaker(server.port);
    for (const status of [404, 400, 201]) {
      server.ok('x', status);
      await (await fetch(server.origin)).text();
    }
    for (const status of [500, 502, 408, 429]) {
      server.fail(status);
      await (await fetch(server.origin)).text();
    }
    expect(b.metrics.successfulCalls).toBe(3);
    expect(b.metrics.failedCalls).toBe(4);
  });

  it('lets Retry-After on 503 lengthen the open wait', async () => {
    await setUp({ failureThreshold: 1, openTimeoutMs: 1_000 });
    const b = h.breaker(server.port);
    server.fail(503, { 'retry-after': '30' });
    await (await fetch(server.origin)).text();
    expect(b.state).toBe('open');
    expect(b.retryAfterMs()).toBe(30_000);
  });

  it('counts a refused connection as a failure', async () => {
    await setUp();
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const err = await fetch(`http://127.0.0.1:${port}/`).catch((e: unknown) => e);
    expect((causeOf(err) as { code?: string }).code).toBe('ECONNREFUSED');
    const b = h.breaker(port);
    expect(b.metrics.failedCalls).toBe(1);
    expect(expectNoLeak(b)).toEqual({ inFlight: 0, balanced: true });
  });

  it('counts a reset connection as a failure', async () => {
    await setUp();
    server.reset();
    const err = await fetch(server.origin).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TypeError);
    const b = h.breaker(server.port);
    expect(b.metrics.failedCalls).toBe(1);
    expect(expectNoLeak(b)).toEqual({ inFlight: 0, balanced: true });
  });

  it('counts AbortSignal.timeout on a hung server as a failure', async () => {
    await setUp();
    server.hang();
    const err = await fetch(server.origin, { signal: AbortSignal.timeout(100) }).catch((e: unknown) => e);
    expect((err as Error).name).toBe('TimeoutError');
    const b = h.breaker(server.port);
    expect(b.metrics.failedCalls).toBe(1);
    expect(expectNoLeak(b)).toEqual({ inFlight: 0, balanced: true });
  });

  it("ignores the caller's own abort", async () => {
    await setUp();
    server.hang();
    const ac = new AbortController();
    const pending = fetch(server.origin, { signal: ac.signal }).catch((e: unknown) => e);
    await server.waitForRequests(1);
    ac.abort();
    expect(((await pending) as Error).name).toBe('AbortError');
    const b = h.breaker(server.port);
    expect(b.metrics.ignoredCalls).toBe(1);
    expect(b.metrics.failedCalls).toBe(0);
    expect(expectNoLeak(b)).toEqual({ inFlight: 0, balanced: true });
  });

  it('keeps a success when the caller aborts while reading the body', async () => {
    await setUp();
    const ac = new AbortController();
    const res = await fetch(server.origin, { signal: ac.signal });
    ac.abort();
    await res.text().catch(() => undefined);
    const b = h.breaker(server.port);
    expect(b.metrics.successfulCalls).toBe(1);
    expect(expectNoLeak(b)).toEqual({ inFlight: 0, balanced: true });
  });

  it("protects Node's WebSocket handshake, which also goes through the global dispatcher", async () => {
    await setUp({ failureThreshold: 1 });
    const wsServer = http.createServer((_req, res) => res.writeHead(503, { connection: 'close' }).end());
    let accept = true;
    wsServer.on('upgrade', (req, socket) => {
      if (!accept) {
        socket.end('HTTP/1.1 503 Service Unavailable\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
        return;
      }
      const key = createHash('sha1')
        .update(`${String(req.headers['sec-websocket-key'])}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`)
        .digest('base64');
      socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${key}\r\n\r\n`);
      socket.on('error', () => socket.destroy());
      socket.on('data', () => socket.destroy());
    });
    await new Promise<void>((resolve) => wsServer.listen(0, '127.0.0.1', resolve));
    const port = (wsServer.address() as AddressInfo).port;
    const connect = (): Promise<string> =>
      new Promise((resolve) => {
        const ws = new WebSocket(`ws://127.0.0.1:${port}/`);
        ws.onopen = () => {
          ws.close();
          resolve('open');
        };
        ws.onerror = () => resolve('error');
      });
    try {
      expect(await connect()).toBe('open');
      const b = h.breaker(port);
      expect(b.metrics.successfulCalls).toBe(1);
      accept = false;
      expect(await connect()).toBe('error');
      expect(b.state).toBe('open');
      let connections = 0;
      wsServer.on('connection', () => connections++);
      expect(await connect()).toBe('error');
      expect(connections).toBe(0);
      expect(b.metrics.rejectedCalls).toBe(1);
    } finally {
      wsServer.closeAllConnections();
      await new Promise<void>((resolve) => wsServer.close(() => resolve()));
    }
  });

  it('lets the request through unprotected when the patch itself fails, and reports it', async () => {
    await setUp();
    h.faulty = true;
    const res = await fetch(server.origin);
    expect(await res.text()).toBe('ok');
    expect(h.diagErrors.length).toBeGreaterThan(0);
    h.faulty = false;
  });

  it('lets the response through when classifying it throws, and leaks no permit', async () => {
    await setUp();
    const isFailureStatus = h.ctx.isFailureStatus;
    h.ctx.isFailureStatus = () => {
      throw new Error('classifier exploded');
    };
    try {
      const res = await fetch(server.origin);
      expect(await res.text()).toBe('ok');
      expect(h.diagErrors.length).toBeGreaterThan(0);
      const b = h.breaker(server.port);
      expect(b.metrics.ignoredCalls).toBe(1);
      expect(expectNoLeak(b)).toEqual({ inFlight: 0, balanced: true });
    } finally {
      h.ctx.isFailureStatus = isFailureStatus;
    }
  });

  it('disable() restores the global dispatcher and fetch itself', async () => {
    const original1 = slot(LEGACY_SLOT);
    const original2 = slot(CURRENT_SLOT);
    const originalFetch = globalThis.fetch;
    await setUp({ failureThreshold: 1 });
    expect(slot(LEGACY_SLOT)).not.toBe(original1);
    expect(globalThis.fetch).not.toBe(originalFetch);
    server.fail(500);
    await (await fetch(server.origin)).text();
    expect(h.breaker(server.port).state).toBe('open');

    h.disable();
    expect(slot(LEGACY_SLOT)).toBe(original1);
    expect(slot(CURRENT_SLOT)).toBe(original2);
    expect(globalThis.fetch).toBe(originalFetch);
    // Open breaker, but nothing is protected any more.
    const before = server.requests;
    await (await capturedFetch(server.origin)).text();
    expect(server.requests).toBe(before + 1);

    // And enabling again protects again.
    h.enable();
    expect(await fetch(server.origin).catch((e: unknown) => causeOf(e))).toBeInstanceOf(CircuitOpenError);
  });
});

describe('global fetch with retry', () => {
  // A server answering from a script of statuses, then 200.
  let scripted: http.Server | undefined;
  let seen: string[] = [];
  async function scriptedServer(statuses: number[]): Promise<string> {
    seen = [];
    scripted = http.createServer((req, res) => {
      seen.push(req.method ?? '');
      req.resume();
      req.on('end', () => {
        const status = statuses.shift() ?? 200;
        res.writeHead(status, { 'content-type': 'text/plain' });
        res.end(status === 200 ? 'ok' : 'no');
      });
    });
    await new Promise<void>((resolve) => scripted!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(scripted.address() as AddressInfo).port}`;
  }
  afterAll(() => {
    scripted?.close();
  });
  afterEach(() => {
    scripted?.closeAllConnections();
    scripted?.close();
    scripted = undefined;
  });

  it('retries an idempotent request inside the breaker and counts one success', async () => {
    await setUp();
    h.ctx.retry = { attempts: 3, baseDelayMs: 1, jitter: 0 };
    const origin = await scriptedServer([503, 502]);
    const res = await fetch(`${origin}/r`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('ok');
    expect(seen).toEqual(['GET', 'GET', 'GET']);
    const b = h.breakers.get(new URL(origin).host)!;
    expect(b.metrics).toMatchObject({ totalCalls: 1, successfulCalls: 1, failedCalls: 0 });
  });

  it('gives the last failure to the caller and counts one failure when every attempt fails', async () => {
    await setUp();
    h.ctx.retry = { attempts: 3, baseDelayMs: 1, jitter: 0 };
    server.fail(503);
    const res = await fetch(server.origin);
    expect(res.status).toBe(503);
    await res.text();
    expect(server.requests).toBe(3);
    expect(h.breaker(server.port).metrics).toMatchObject({ totalCalls: 1, failedCalls: 1 });

    server.resetCounts();
    server.reset();
    const err = await fetch(server.origin).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TypeError);
    expect(server.requests).toBe(3);
    expect(h.breaker(server.port).metrics).toMatchObject({ totalCalls: 2, failedCalls: 2 });
  });

  it('does not retry POST, nor a PUT whose body fetch streams', async () => {
    await setUp();
    h.ctx.retry = { attempts: 3, baseDelayMs: 1, jitter: 0 };
    server.fail(503);
    await (await fetch(server.origin, { method: 'POST', body: 'x' })).text();
    await (await fetch(server.origin, { method: 'PUT', body: 'x' })).text();
    expect(server.requests).toBe(2);
    await (await fetch(server.origin, { method: 'DELETE' })).text();
    expect(server.requests).toBe(5);
  });

  it('stops retrying when the caller aborts during the wait, and ignores the call', async () => {
    await setUp();
    // retryOn runs when the 503's headers are parsed; the small body and its end are parsed in the
    // same go, so by the time this test's code runs again the retry is waiting.
    let decided!: () => void;
    const retryDecided = new Promise<void>((resolve) => (decided = resolve));
    h.ctx.retry = { attempts: 3, baseDelayMs: 60_000, jitter: 0, retryOn: () => (decided(), true) };
    server.fail(503);
    const ac = new AbortController();
    const pending = fetch(server.origin, { signal: ac.signal }).catch((e: unknown) => e);
    await retryDecided;
    ac.abort();
    expect(((await pending) as Error).name).toBe('AbortError');
    expect(server.requests).toBe(1);
    const b = h.breaker(server.port);
    expect(b.metrics).toMatchObject({ totalCalls: 1, ignoredCalls: 1 });
    expect(expectNoLeak(b)).toEqual({ inFlight: 0, balanced: true });
  });

  it('does not send a retry whose wait began before another call opened the breaker', async () => {
    await setUp({ failureThreshold: 1, openTimeoutMs: 60_000 });
    const b = h.breaker(server.port);
    let first = true;
    h.ctx.retry = {
      attempts: 3,
      baseDelayMs: 1,
      jitter: 0,
      // Decided when the 503's headers arrive: this call will retry. Meanwhile another call to the
      // same destination (a permit, as the http patch takes one) fails and opens the breaker.
      retryOn: () => {
        if (first) b.tryAcquire()!.failure(new Error('the other call failed'));
        first = false;
        return true;
      },
    };
    server.fail(503);
    const err = await fetch(server.origin).catch((e: unknown) => e);
    expect(b.state).toBe('open');
    expect(server.requests).toBe(1); // the retry was never sent
    expect(err).toBeInstanceOf(TypeError);
    expect(causeOf(err)).toBeInstanceOf(CircuitOpenError);
    expect(b.metrics).toMatchObject({ totalCalls: 2, failedCalls: 2 });
    expect(expectNoLeak(b)).toEqual({ inFlight: 0, balanced: true });
  });

  it("does not retry when Retry-After asks for a longer pause than a retry may wait", async () => {
    await setUp();
    h.ctx.retry = { attempts: 3, baseDelayMs: 1, maxDelayMs: 1_000, jitter: 0 };
    server.fail(503, { 'retry-after': '120' });
    expect((await fetch(server.origin)).status).toBe(503);
    expect(server.requests).toBe(1);
    server.fail(503, { 'retry-after': '0' });
    expect((await fetch(server.origin)).status).toBe(503);
    expect(server.requests).toBe(4);
  });

  it('uses retryOn to decide', async () => {
    await setUp();
    h.ctx.retry = { attempts: 3, baseDelayMs: 1, jitter: 0, retryOn: (err) => (err as { statusCode?: number }).statusCode === 502 };
    server.fail(503);
    await (await fetch(server.origin)).text();
    expect(server.requests).toBe(1);
  });
});
