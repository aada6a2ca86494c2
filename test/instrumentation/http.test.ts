// node:http and node:https requests through the breakwater patch, against real loopback servers.
import http from 'node:http';
import https from 'node:https';
import { EventEmitter } from 'node:events';
import { request as namedRequest, get as namedGet } from 'node:http';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CircuitOpenError } from '../../src/breaker/errors.js';
import { isHttpPatched } from '../../src/instrumentation/http.js';
import { closed, errorOf, settle } from './http-calls.js';
import { endHttpTest, httpHarness, type HttpHarness } from './http-harness.js';
import { startTestServer, testTls, type TestServer } from './servers.js';

let server: TestServer;
let h: HttpHarness;
let key: string;

beforeAll(async () => {
  server = await startTestServer();
  key = `127.0.0.1:${server.port}`;
});
afterAll(() => server.close());
beforeEach(() => {
  server.recover();
  server.resetCounts();
  h = httpHarness();
  h.enable();
});
afterEach(() => endHttpTest(h, [server]));

/** Every permit settled, and the counters add up. */
function expectSettled(name = key): void {
  const b = h.breaker(name);
  const m = b.metrics;
  expect(b.inFlight).toBe(0);
  expect(m.totalCalls).toBe(m.successfulCalls + m.failedCalls + m.ignoredCalls + m.rejectedCalls);
}

async function tripOpen(): Promise<void> {
  server.fail(500);
  for (let i = 0; i < 3; i++) expect((await settle(http.get(`${server.origin}/trip`))).status).toBe(500);
  expect(h.breaker(key).state).toBe('open');
}

describe('node:http lifecycle', () => {
  it('goes closed -> open (no connection at all) -> half-open (one probe) -> closed, and the metrics match the server', async () => {
    await tripOpen();
    const seenWhenOpened = { connections: server.connections, requests: server.requests };
    http.globalAgent.destroy(); // no idle kept-alive socket either: a rejected request could not take one

    const rejected = await Promise.all(Array.from({ length: 5 }, () => errorOf(http.get(`${server.origin}/fast`))));
    for (const err of rejected) {
      expect(err).toBeInstanceOf(CircuitOpenError);
      expect(err.code).toBe('ECIRCUITOPEN');
    }
    expect({ connections: server.connections, requests: server.requests }).toEqual(seenWhenOpened);

    server.recover();
    h.clock.advance(1_000);
    // Three requests at once: the half-open breaker admits one probe and rejects the others.
    const calls = [1, 2, 3].map(() => settle(http.get(`${server.origin}/probe`)).catch((e: Error) => e));
    const results = await Promise.all(calls);
    expect(results.filter((r) => r instanceof CircuitOpenError)).toHaveLength(2);
    expect(results.filter((r) => !(r instanceof Error))).toEqual([{ status: 200, body: 'ok' }]);
    expect(server.requests).toBe(seenWhenOpened.requests + 1);
    expect(h.breaker(key).state).toBe('closed');

    expect((await settle(http.get(`${server.origin}/after`))).status).toBe(200);
    const m = h.breaker(key).metrics;
    expect(m).toMatchObject({ totalCalls: 12, successfulCalls: 2, failedCalls: 3, rejectedCalls: 7, ignoredCalls: 0 });
    expect(m.successfulCalls + m.failedCalls).toBe(server.requests);
    expect(m.stateTransitions).toEqual({ 'closed->open': 1, 'open->half_open': 1, 'half_open->closed': 1 });
    expectSettled();
  });

  it('a failed probe re-opens the breaker', async () => {
    await tripOpen();
    h.clock.advance(1_000);
    server.fail(503);
    expect((await settle(http.get(server.origin))).status).toBe(503);
    expect(h.breaker(key).state).toBe('open');
    expect(h.breaker(key).metrics.stateTransitions['half_open->open']).toBe(1);
    expectSettled();
  });
});

describe('a rejected request', () => {
  beforeEach(() => tripOpen());

  it('fails like a refused connection: error on a later tick, then close; never a socket or a response', async () => {
    const before = server.connections;
    const events: string[] = [];
    let calledBack = false;
    const req = http.request(`${server.origin}/x`, { method: 'POST' }, () => (calledBack = true));
    req.on('socket', () => events.push('socket'));
    req.on('error', (e: NodeJS.ErrnoException) => events.push(`error:${e.code}`));
    req.on('close', () => events.push('close'));
    // Headers, writes and end on a request that is about to fail must not throw (the caller has not seen the error yet).
    req.setHeader('x-late', '1');
    expect(req.write('body')).toBeTypeOf('boolean');
    req.end('end');
    expect(events).toEqual([]); // nothing synchronous
    await closed(req);
    expect(events).toEqual(['error:ECIRCUITOPEN', 'close']);
    expect(calledBack).toBe(false);
    expect(server.connections).toBe(before);
  });

  it('carries the breaker name, state and remaining wait', async () => {
    h.clock.advance(400);
    const err = await errorOf(http.get(server.origin));
    expect(err).toMatchObject({ name: 'CircuitOpenError', breakerName: key, state: 'open', retryAfterMs: 600 });
  });

  it('is rejected for request, get, named imports, URL objects, the options form and agent: false alike', async () => {
    const url = `${server.origin}/forms`;
    const reqs = [
      http.request(url),
      http.request(new URL(url)),
      http.request({ host: '127.0.0.1', port: server.port, path: '/' }),
      http.request({ hostname: '127.0.0.1', port: String(server.port) }),
      http.request(url, { agent: false }, () => {}),
      http.get(url),
      http.get({ host: '127.0.0.1', port: server.port }, () => {}),
      namedRequest(url),
      namedGet(new URL(url)),
    ];
    const errors = reqs.map((req) => errorOf(req.end()));
    for (const err of await Promise.all(errors)) expect(err.code).toBe('ECIRCUITOPEN');
    expect(h.breaker(key).metrics.rejectedCalls).toBe(reqs.length);
    expect(server.requests).toBe(3);
  });
});

describe('keys', () => {
  // Every destination here is forced open first, so nothing is sent (and nothing could leave the machine:
  // all of them are loopback names).
  function keyed(make: () => http.ClientRequest): Promise<NodeJS.ErrnoException> {
    const req = make();
    req.end();
    return errorOf(req);
  }

  it('uses host:port with default ports, IPv6 literals without brackets and lower-case names', async () => {
    h.ctx.breakerFor('localhost', 80)!.forceOpen();
    h.ctx.breakerFor('localhost', 443)!.forceOpen();
    h.ctx.breakerFor('::1', 8080)!.forceOpen();
    h.ctx.breakerFor('127.0.0.1', 8443)!.forceOpen();
    h.asked.length = 0;

    const forms: [() => http.ClientRequest, string][] = [
      [() => http.get('http://localhost/'), 'localhost:80'],
      [() => http.request({ host: 'LOCALHOST', path: '/' }), 'localhost:80'],
      [() => http.request({}), 'localhost:80'],
      [() => https.get('https://localhost/'), 'localhost:443'],
      [() => https.request({ hostname: 'localhost' }), 'localhost:443'],
      [() => http.get('http://[::1]:8080/'), '[::1]:8080'],
      [() => http.request({ hostname: '[::1]', port: 8080 }), '[::1]:8080'],
      [() => http.request({ host: '::1', port: '8080' }), '[::1]:8080'],
      // hostname wins over host, as in Node
      [() => http.request({ hostname: 'localhost', host: 'ignored.invalid' }), 'localhost:80'],
      [() => https.request('https://127.0.0.1:8443/x', { ca: testTls.cert }), '127.0.0.1:8443'],
      [() => https.request(new URL('https://127.0.0.1:8443/'), { agent: false }), '127.0.0.1:8443'],
    ];
    for (const [make, name] of forms) {
      const err = await keyed(make);
      expect(err, name).toBeInstanceOf(CircuitOpenError);
      expect((err as CircuitOpenError).breakerName).toBe(name);
    }
  });

  it('leaves socketPath requests and excluded destinations alone', async () => {
    h.disable();
    h = httpHarness({}, [`127.0.0.1:${server.port}`]);
    h.enable();
    const err = await errorOf(http.request({ socketPath: '/nonexistent/breakwater.sock' }).end());
    expect(err.code).toBe('ENOENT');
    expect(h.asked).toEqual([]);
    expect((await settle(http.get(server.origin))).status).toBe(200);
    expect(h.asked).toEqual([{ host: '127.0.0.1', port: server.port }]);
    expect(h.breakers.size).toBe(0);
  });
});

describe('every way a request ends settles its permit once', () => {
  const outcome = (): { s: number; f: number; i: number } => {
    const m = h.breaker(key).metrics;
    return { s: m.successfulCalls, f: m.failedCalls, i: m.ignoredCalls };
  };

  it('success, with the body never read and no response listener at all', async () => {
    const req = http.get(server.origin);
    await closed(req);
    // Without a listener Node dumps the response: the patch must not stop that (the socket must be freed).
    const res = await settle(http.get(server.origin, (r) => r.resume()));
    expect(res.status).toBe(200);
    expect(outcome()).toEqual({ s: 2, f: 0, i: 0 });
    expectSettled();
  });

  it('a failure status (503 with Retry-After lengthens the open wait) and a non-failure one (404)', async () => {
    server.fail(404);
    expect((await settle(http.get(server.origin))).status).toBe(404);
    expect(outcome()).toEqual({ s: 1, f: 0, i: 0 });
    server.fail(503, { 'retry-after': '30' });
    for (let i = 0; i < 3; i++) await settle(http.get(server.origin));
    expect(outcome()).toEqual({ s: 1, f: 3, i: 0 });
    expect(h.breaker(key).state).toBe('open');
    expect(h.breaker(key).retryAfterMs()).toBe(30_000);
    expectSettled();
  });

  it('429 and 408 count as failures', async () => {
    server.fail(429);
    await settle(http.get(server.origin));
    server.fail(408);
    await settle(http.get(server.origin));
    expect(outcome()).toEqual({ s: 0, f: 2, i: 0 });
  });

  it('ECONNREFUSED', async () => {
    const gone = await startTestServer();
    const goneKey = `127.0.0.1:${gone.port}`;
    await gone.close();
    const err = await errorOf(http.get(gone.origin));
    expect(err.code).toBe('ECONNREFUSED');
    expect(h.breaker(goneKey).metrics.failedCalls).toBe(1);
    expectSettled(goneKey);
  });

  it('ECONNRESET from the server', async () => {
    server.reset();
    const err = await errorOf(http.get(server.origin));
    expect(err.code).toBe('ECONNRESET');
    expect(outcome()).toEqual({ s: 0, f: 1, i: 0 });
    expectSettled();
  });

  it('a reset on a reused keep-alive socket (the idle-close race) is ignored; the next one, on a fresh socket, fails', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      expect((await settle(http.get(server.origin, { agent }))).status).toBe(200);
      server.reset();
      const stale = http.get(server.origin, { agent });
      expect((await errorOf(stale)).code).toBe('ECONNRESET');
      expect(stale.reusedSocket).toBe(true);
      const fresh = http.get(server.origin, { agent });
      expect((await errorOf(fresh)).code).toBe('ECONNRESET');
      expect(fresh.reusedSocket).toBe(false);
      expect(outcome()).toEqual({ s: 1, f: 1, i: 1 });
      expectSettled();
    } finally {
      agent.destroy();
    }
  });

  it('a hung server and the caller destroying on timeout (setTimeout, and the timeout option)', async () => {
    server.hang();
    const a = http.get(server.origin);
    a.setTimeout(30, () => a.destroy());
    expect((await errorOf(a)).code).toBe('ECONNRESET');
    const b = http.get(server.origin, { timeout: 30 });
    b.on('timeout', () => b.destroy(new Error('gave up')));
    expect((await errorOf(b)).message).toBe('gave up');
    expect(outcome()).toEqual({ s: 0, f: 2, i: 0 });
    expectSettled();
  });

  it('an AbortSignal.timeout() firing before the response is a failure (a plain abort is not, see below)', async () => {
    server.hang();
    const err = await errorOf(http.get(server.origin, { signal: AbortSignal.timeout(30) }));
    expect(err.name).toBe('AbortError');
    expect(outcome()).toEqual({ s: 0, f: 1, i: 0 });
    expectSettled();
  });

  it('a timeout the caller answers with abort() (close without an error) is a failure too', async () => {
    server.hang();
    const req = http.get(server.origin, { timeout: 30 });
    req.on('timeout', () => req.abort());
    req.on('error', () => {});
    await closed(req);
    expect(outcome()).toEqual({ s: 0, f: 1, i: 0 });
  });

  it('the caller aborting through an AbortSignal, or destroying before the response, is ignored', async () => {
    server.hang();
    const controller = new AbortController();
    const a = http.get(server.origin, { signal: controller.signal });
    const aErr = errorOf(a);
    await server.waitForRequests(1);
    controller.abort();
    expect((await aErr).name).toBe('AbortError');

    const b = http.get(server.origin);
    const bErr = errorOf(b);
    await server.waitForRequests(2);
    b.destroy();
    expect((await bErr).code).toBe('ECONNRESET');

    // Destroyed in the same tick, before it even had a socket.
    const c = http.get(server.origin);
    c.destroy();
    await errorOf(c);

    const d = http.get(server.origin);
    d.abort();
    await closed(d);

    expect(outcome()).toEqual({ s: 0, f: 0, i: 4 });
    expect(h.breaker(key).state).toBe('closed');
    expectSettled();
  });

  it('an AbortSignal already aborted: Node fails the request itself and nothing is counted', async () => {
    const req = http.get(server.origin, { signal: AbortSignal.abort() });
    expect((await errorOf(req)).name).toBe('AbortError');
    expect(h.breakers.has(key)).toBe(false);
  });

  it('destroy after the response is still a success', async () => {
    const req = http.get(server.origin, (res) => res.destroy());
    await closed(req);
    const req2 = http.get(server.origin, () => req2.destroy());
    await closed(req2);
    expect(outcome()).toEqual({ s: 2, f: 0, i: 0 });
    expectSettled();
  });

  it('a streamed upload that errors in the caller is ignored', async () => {
    const req = http.request(server.origin, { method: 'PUT' });
    req.write('part');
    const err = errorOf(req);
    setImmediate(() => req.destroy(new Error('source failed')));
    expect((await err).message).toBe('source failed');
    expect(outcome()).toEqual({ s: 0, f: 0, i: 1 });
  });
});

describe('upgrade', () => {
  it('an accepted upgrade (101) settles as a success', async () => {
    const upgrading = http.createServer();
    upgrading.on('upgrade', (_req, socket) => {
      socket.end('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: test\r\n\r\n');
    });
    await new Promise<void>((resolve) => upgrading.listen(0, '127.0.0.1', resolve));
    const port = (upgrading.address() as { port: number }).port;
    try {
      const req = http.request({ host: '127.0.0.1', port, headers: { connection: 'Upgrade', upgrade: 'test' } });
      const upgraded = new Promise<number>((resolve) =>
        req.on('upgrade', (res, socket) => {
          socket.destroy();
          resolve(res.statusCode ?? 0);
        }),
      );
      req.end();
      expect(await upgraded).toBe(101);
      expect(h.breaker(`127.0.0.1:${port}`).metrics).toMatchObject({ successfulCalls: 1, failedCalls: 0 });
      expect(h.breaker(`127.0.0.1:${port}`).inFlight).toBe(0);
    } finally {
      upgrading.closeAllConnections();
      await new Promise((resolve) => upgrading.close(resolve));
    }
  });
});

describe('https', () => {
  it('goes open and back to closed against a TLS server, with no TLS connection while open', async () => {
    const tls = await startTestServer({ tls: true });
    const tlsKey = `127.0.0.1:${tls.port}`;
    try {
      const get = (): http.ClientRequest => https.get(`${tls.origin}/`, { ca: testTls.cert });
      tls.fail(502);
      for (let i = 0; i < 3; i++) expect((await settle(get())).status).toBe(502);
      const before = tls.connections;
      expect((await errorOf(get())).code).toBe('ECIRCUITOPEN');
      expect(tls.connections).toBe(before);
      tls.recover();
      h.clock.advance(1_000);
      expect((await settle(get())).status).toBe(200);
      expect(h.breaker(tlsKey).state).toBe('closed');
      expect(h.breaker(tlsKey).metrics).toMatchObject({ successfulCalls: 1, failedCalls: 3, rejectedCalls: 1 });
    } finally {
      await tls.close();
    }
  });

  it('a TLS handshake failure (untrusted certificate) is a failure', async () => {
    const tls = await startTestServer({ tls: true });
    try {
      const err = await errorOf(https.get(tls.origin));
      expect(err.code).toBe('DEPTH_ZERO_SELF_SIGNED_CERT');
      expect(h.breaker(`127.0.0.1:${tls.port}`).metrics.failedCalls).toBe(1);
    } finally {
      await tls.close();
    }
  });
});

describe('patch lifecycle and faults', () => {
  it('disable() restores the original agent and requests are no longer seen', async () => {
    await tripOpen();
    expect(isHttpPatched()).toBe(true);
    h.disable();
    expect(isHttpPatched()).toBe(false);
    expect((await settle(http.get(server.origin))).status).toBe(500);
    h.enable();
    expect((await errorOf(http.get(server.origin))).code).toBe('ECIRCUITOPEN');
  });

  it('disable() leaves ClientRequest.prototype as it found it (emit inherited again, destroy restored)', () => {
    const proto = http.ClientRequest.prototype;
    const watchedDestroy = proto.destroy;
    expect(Object.hasOwn(proto, 'emit')).toBe(true); // watched while enabled
    h.disable();
    expect(Object.hasOwn(proto, 'emit')).toBe(false);
    expect(proto.emit).toBe(EventEmitter.prototype.emit);
    const originalDestroy = proto.destroy;
    expect(originalDestroy).not.toBe(watchedDestroy);
    h.enable();
    expect(proto.destroy).not.toBe(originalDestroy);
    h.disable();
    expect(proto.destroy).toBe(originalDestroy);
    h.enable();
  });

  it('a response\'s headers are left unbuilt unless the status is 429 or 503 (Node builds them on first read)', async () => {
    // Node keeps the parsed headers object under a private symbol, null until `res.headers` is read.
    // If Node renames it, this test fails here rather than passing without checking anything.
    const built = (res: http.IncomingMessage): boolean => {
      const symbol = Object.getOwnPropertySymbols(res).find((s) => s.description === 'kHeaders');
      if (symbol === undefined) throw new Error('Node no longer keeps kHeaders on IncomingMessage: update this test');
      return (res as unknown as Record<symbol, unknown>)[symbol] != null;
    };
    const seen = async (): Promise<boolean> => {
      const req = http.get(server.origin);
      const res = await new Promise<http.IncomingMessage>((resolve) => req.on('response', resolve));
      const wasBuilt = built(res);
      res.resume();
      await closed(req);
      return wasBuilt;
    };
    server.ok();
    expect(await seen()).toBe(false);
    server.fail(500);
    expect(await seen()).toBe(false);
    server.fail(503, { 'retry-after': '1' });
    expect(await seen()).toBe(true); // read for its Retry-After
  });

  it('stays patched while either module definition is applied (an app may load only https)', () => {
    h.disable();
    const [httpDef, httpsDef] = h.definitions;
    httpsDef!.patch!(https);
    expect(isHttpPatched()).toBe(true);
    httpDef!.patch!(http);
    httpDef!.unpatch!(http);
    expect(isHttpPatched()).toBe(true);
    httpsDef!.unpatch!(https);
    expect(isHttpPatched()).toBe(false);
  });

  it('an internal fault goes to diag and the request proceeds unprotected', async () => {
    h.ctx.breakerFor = () => {
      throw new Error('registry broke');
    };
    expect((await settle(http.get(server.origin))).status).toBe(200);
    expect(h.diagErrors).toHaveLength(1);
    expect(String(h.diagErrors[0]![1])).toContain('registry broke');
  });

  it('a destination it cannot read (a bad port) goes to diag, and Node reports the bad request as usual', async () => {
    let thrown: unknown;
    let err: NodeJS.ErrnoException | undefined;
    try {
      err = await errorOf(http.get({ host: '127.0.0.1', port: 'not-a-port' }));
    } catch (e) {
      thrown = e;
    }
    expect(err?.code ?? (thrown as NodeJS.ErrnoException).code).toBe('ERR_SOCKET_BAD_PORT');
    expect(h.diagErrors).toHaveLength(1);
    expect(String(h.diagErrors[0]![1])).toContain('not-a-port');
    expect(h.breakers.size).toBe(0);
  });

  it('a fault while settling goes to diag and does not reach the caller', async () => {
    h.ctx.isFailureStatus = () => {
      throw new Error('classifier broke');
    };
    expect((await settle(http.get(server.origin))).status).toBe(200);
    expect(String(h.diagErrors[0]![1])).toContain('classifier broke');
  });

  it('a request Node refuses to start (invalid header) throws as before and leaks no permit', () => {
    expect(() => http.request(server.origin, { headers: { 'bad\nname': 'x' } })).toThrow();
    expect(() => http.request({ host: '127.0.0.1', port: server.port, method: 'BAD METHOD' })).toThrow();
  });
});
