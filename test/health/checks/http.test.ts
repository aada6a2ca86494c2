import http from 'node:http';
import { context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CheckResult } from '../../../src/health/check-types.js';
import { httpCheck } from '../../../src/health/checks/http.js';
import { HealthCheckManager } from '../../../src/health/manager.js';
import { BreakwaterInstrumentation } from '../../../src/instrumentation/instrumentation.js';
import { settle } from '../../instrumentation/http-calls.js';
import { startTestServer, testTls, type TestServer } from '../../instrumentation/servers.js';
import { countUnrefdSockets, manualTimers, openSockets, refusedPort, track, withRuns } from './loopback.js';

const sockets = countUnrefdSockets();

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

/** One run of the check, as the manager would start it. */
function runCheck(registration: { check: (signal: AbortSignal) => unknown }, signal = new AbortController().signal): Promise<CheckResult> {
  return Promise.resolve(registration.check(signal)) as Promise<CheckResult>;
}

describe('httpCheck', () => {
  it('is healthy on an expected status, and its socket is closed when the run settles', async () => {
    server.recover();
    const clients = openSockets() - server.open;
    const unrefs = sockets.unrefs();
    const result = await runCheck(httpCheck({ name: 'api', url: `${server.origin}/healthz` }));
    expect(result).toEqual({ status: 'healthy', message: 'HTTP 200', details: { status_code: 200 } });
    expect(server.seen.at(-1)).toMatchObject({ method: 'GET', url: '/healthz' });
    // Only the server's end may still be open: the client's is gone.
    expect(openSockets() - server.open).toBe(clients);
    expect(sockets.unrefs()).toBe(unrefs + 1); // a background run does not hold the process
  });

  it('is unhealthy on another status, naming it and the expected set; expectStatus changes the set', async () => {
    server.fail(503);
    expect(await runCheck(httpCheck({ name: 'api', url: server.origin }))).toEqual({
      status: 'unhealthy',
      message: 'HTTP 503, expected 200-299',
      details: { status_code: 503 },
    });
    expect((await runCheck(httpCheck({ name: 'api', url: server.origin, expectStatus: [200, 503] }))).status).toBe('healthy');
    expect((await runCheck(httpCheck({ name: 'api', url: server.origin, expectStatus: '500-599', method: 'HEAD' }))).status).toBe('healthy');
    expect(server.seen.at(-1)?.method).toBe('HEAD');
    server.recover();
  });

  it('sends the headers it is given', async () => {
    server.recover();
    await runCheck(httpCheck({ name: 'api', url: server.origin, headers: { authorization: 'Bearer t' } }));
    expect(server.seen.at(-1)?.headers.authorization).toBe('Bearer t');
  });

  it('does not wait for a body that never ends', async () => {
    const endless = await track(
      http.createServer((_req, res) => {
        res.writeHead(200);
        res.write('part of a body that never ends');
      }),
    );
    try {
      const clients = openSockets() - endless.open;
      const result = await runCheck(httpCheck({ name: 'api', url: `http://127.0.0.1:${endless.port}/` }));
      expect(result.status).toBe('healthy');
      expect(openSockets() - endless.open).toBe(clients);
    } finally {
      await endless.close();
    }
  });

  it('a refused connection is unhealthy by its error code, without the address', async () => {
    const port = await refusedPort();
    const health = new HealthCheckManager();
    health.register(httpCheck({ name: 'api', url: `http://127.0.0.1:${port}/` }));
    const before = openSockets();
    const { components } = await health.runAll();
    expect(openSockets()).toBe(before);
    expect(components.api).toMatchObject({ status: 'unhealthy', message: 'request failed: connection refused (ECONNREFUSED)' });
    expect(components.api!.message).not.toContain('127.0.0.1');
    expect(components.api!.message).not.toContain(String(port));
  });

  it('a hanging server: the timeout aborts the request, the socket is closed and no timer is left behind', async () => {
    server.hang();
    const timers = manualTimers();
    const health = new HealthCheckManager({ timers: timers.timers, timeoutMs: 1_000 });
    const { registration, runs } = withRuns(httpCheck({ name: 'api', url: server.origin }));
    health.register(registration);
    const clients = openSockets() - server.open;
    const requests = server.requests;
    const round = health.runAll();
    await server.waitForRequests(requests + 1);
    expect(openSockets() - server.open).toBe(clients + 1); // the hung request's
    timers.fireAll();
    expect((await round).components.api).toMatchObject({ status: 'unhealthy', message: 'timed out after 1000 ms' });
    expect(await runs[0]).toBeInstanceOf(Error); // the run itself ended, aborted
    expect(openSockets() - server.open).toBe(clients);
    expect(timers.pending).toBe(0); // the check sets no timer of its own; the manager's was cleared
    await health.stop();
    server.recover();
  });

  it('stop() aborts a request in progress', async () => {
    server.hang();
    const health = new HealthCheckManager({ timeoutMs: 60_000 });
    const { registration, runs } = withRuns(httpCheck({ name: 'api', url: server.origin }));
    health.register(registration);
    const clients = openSockets() - server.open;
    const requests = server.requests;
    void health.start();
    await server.waitForRequests(requests + 1);
    await health.stop();
    await runs[0];
    expect(openSockets() - server.open).toBe(clients);
    server.recover();
  });

  it('https: trusts the given CA; without it the certificate error is named by its code', async () => {
    const secure = await startTestServer({ tls: true });
    try {
      const url = `${secure.origin}/`;
      expect((await runCheck(httpCheck({ name: 'api', url, tls: { ca: testTls.cert } }))).message).toBe('HTTP 200');
      await expect(runCheck(httpCheck({ name: 'api', url }))).rejects.toThrow(/^request failed \((DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN)\)$/);
    } finally {
      await secure.close();
    }
  });

  it('goes around breakwater\'s breakers (suppressed context): the check sees the dependency, not the breaker', async () => {
    const contextManager = new AsyncLocalStorageContextManager().enable();
    context.setGlobalContextManager(contextManager);
    const inst = new BreakwaterInstrumentation({ instrument: ['http'] });
    try {
      server.recover();
      expect((await runCheck(httpCheck({ name: 'api', url: server.origin }))).status).toBe('healthy');
      expect(inst.registry.peek(`127.0.0.1:${server.port}`)).toBeUndefined();
      // ...while the application's own request to the same destination is protected.
      expect((await settle(http.get(server.origin))).status).toBe(200);
      expect(inst.registry.peek(`127.0.0.1:${server.port}`)?.metrics.successfulCalls).toBe(1);
    } finally {
      inst.disable();
      context.disable();
    }
  });

  it('refuses bad options at construction, naming the option and the value', () => {
    const url = server.origin;
    expect(() => httpCheck({ name: 'api', url: 'ftp://example.test/' })).toThrow('httpCheck(): option "url" must be an http: or https: URL, got "ftp://example.test/"');
    expect(() => httpCheck({ name: 'api', url: 'not a url' })).toThrow('option "url"');
    expect(() => httpCheck({ name: 'api', url, expectStatus: '2xx' })).toThrow(
      `httpCheck(): option "expectStatus" must be HTTP statuses (100-599) or ranges like '200-299', comma separated, or an array of statuses, got "2xx"`,
    );
    expect(() => httpCheck({ name: 'api', url, expectStatus: [] })).toThrow('option "expectStatus"');
    expect(() => httpCheck({ name: 'api', url, method: 'POST' as 'GET' })).toThrow(`httpCheck(): option "method" must be 'GET' or 'HEAD', got "POST"`);
    expect(() => httpCheck({ name: 'api', url, headers: { a: 1 as unknown as string } })).toThrow('option "headers"');
    expect(() => httpCheck({ url } as never)).toThrow('httpCheck(): option "name" must be a non-empty string without spaces, got undefined');
    expect(() => httpCheck({ name: 'api', url, timeoutMs: -1 })).toThrow(/httpCheck\(\): option "timeoutMs" must be a number of milliseconds > 0 and at most 2147483647 .*, got -1$/);
    expect(() => httpCheck({ name: 'api', url, groups: ['a b'] })).toThrow('httpCheck(): option "groups[0]"');
    expect(() => httpCheck(undefined as never)).toThrow('httpCheck(): option "options" must be an object, got undefined');
  });

  it('registers with the options it was given', () => {
    const registration = httpCheck({ name: 'api', url: server.origin, intervalMs: 2_000, timeoutMs: 500, weight: 2, critical: true, groups: ['traffic'], componentType: 'grpc_server' });
    expect(registration).toMatchObject({ name: 'api', componentType: 'grpc_server', intervalMs: 2_000, timeoutMs: 500, weight: 2, critical: true, groups: ['traffic'] });
    expect(httpCheck({ name: 'api', url: server.origin })).toMatchObject({ componentType: 'custom', critical: false });
  });
});
