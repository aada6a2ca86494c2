// Libraries built on node:http(s) are protected without patches of their own: axios and got go
// closed -> open (zero connections) -> half-open (one probe) -> closed, and see an ordinary error.
import https from 'node:https';
import axios from 'axios';
import got from 'got';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CircuitOpenError } from '../../src/breaker/errors.js';
import { endHttpTest, httpHarness, type HttpHarness } from './http-harness.js';
import { startTestServer, testTls, type TestServer } from './servers.js';

interface Client {
  name: string;
  /** Resolves with the status of a GET (any status), rejects with the client's own error. */
  get(url: string): Promise<number>;
  /** Where the client puts the underlying error. */
  cause(err: unknown): unknown;
}

const clients: Client[] = [
  {
    name: 'axios',
    get: async (url) => (await axios.get(url, { validateStatus: () => true, httpsAgent: new https.Agent({ ca: testTls.cert }) })).status,
    cause: (err) => (err as { cause?: unknown }).cause,
  },
  {
    name: 'got',
    // got retries some statuses and errors by default; the test counts every request, so no retries.
    get: async (url) =>
      (await got(url, { throwHttpErrors: false, retry: { limit: 0 }, https: { certificateAuthority: testTls.cert } })).statusCode,
    cause: (err) => (err as { cause?: unknown }).cause,
  },
];

let server: TestServer;
let tlsServer: TestServer;
let h: HttpHarness;

beforeAll(async () => {
  server = await startTestServer();
  tlsServer = await startTestServer({ tls: true });
});
afterAll(async () => {
  await server.close();
  await tlsServer.close();
});
beforeEach(() => {
  h = httpHarness();
  h.enable();
});
afterEach(() => {
  endHttpTest(h, [server, tlsServer]);
  for (const s of [server, tlsServer]) {
    s.recover();
    s.resetCounts();
  }
});

describe.each(clients)('$name', (client) => {
  for (const tls of [false, true]) {
    it(`goes closed -> open -> half-open -> closed over ${tls ? 'https' : 'http'}, the error carrying ECIRCUITOPEN`, async () => {
      const s = tls ? tlsServer : server;
      const key = `127.0.0.1:${s.port}`;
      s.fail(503);
      for (let i = 0; i < 3; i++) expect(await client.get(`${s.origin}/fail`)).toBe(503);
      expect(h.breaker(key).state).toBe('open');

      const before = { connections: s.connections, requests: s.requests };
      for (let i = 0; i < 4; i++) {
        const err = await client.get(`${s.origin}/open`).then(
          () => expect.fail('expected a rejection'),
          (e: unknown) => e,
        );
        expect(err).toBeInstanceOf(Error);
        expect((err as { code?: string }).code).toBe('ECIRCUITOPEN');
        expect(client.cause(err)).toBeInstanceOf(CircuitOpenError);
      }
      expect({ connections: s.connections, requests: s.requests }).toEqual(before);

      s.recover();
      h.clock.advance(1_000);
      const probes = await Promise.allSettled([1, 2, 3].map(() => client.get(`${s.origin}/probe`)));
      expect(probes.filter((p) => p.status === 'fulfilled')).toHaveLength(1);
      expect(s.requests).toBe(before.requests + 1);
      expect(h.breaker(key).state).toBe('closed');
      expect(await client.get(`${s.origin}/ok`)).toBe(200);

      const m = h.breaker(key).metrics;
      expect(m).toMatchObject({ failedCalls: 3, successfulCalls: 2, rejectedCalls: 6, ignoredCalls: 0, totalCalls: 11 });
      expect(m.failedCalls + m.successfulCalls).toBe(s.requests);
      expect(h.breaker(key).inFlight).toBe(0);
    });
  }

  it('a hung server with the client timeout counts as a failure; a reset too', async () => {
    const key = `127.0.0.1:${server.port}`;
    server.hang();
    const timeoutGet =
      client.name === 'axios'
        ? axios.get(server.origin, { timeout: 50 })
        : got(server.origin, { timeout: { request: 50 }, retry: { limit: 0 } });
    await expect(timeoutGet).rejects.toThrow();
    server.reset();
    await expect(client.get(server.origin)).rejects.toMatchObject({ code: 'ECONNRESET' });
    // The hung request's permit settles when the client destroys it on its timeout.
    await vitestWaitFor(() => h.breaker(key).inFlight === 0);
    expect(h.breaker(key).metrics).toMatchObject({ failedCalls: 2, ignoredCalls: 0 });
  });

  it('a caller abort is ignored', async () => {
    const key = `127.0.0.1:${server.port}`;
    server.hang();
    const controller = new AbortController();
    const call =
      client.name === 'axios'
        ? axios.get(server.origin, { signal: controller.signal })
        : got(server.origin, { signal: controller.signal, retry: { limit: 0 } });
    const settled = call.catch((e: unknown) => e);
    await server.waitForRequests(1);
    controller.abort();
    await settled;
    await vitestWaitFor(() => h.breaker(key).inFlight === 0);
    expect(h.breaker(key).metrics).toMatchObject({ failedCalls: 0, ignoredCalls: 1 });
  });
});

describe('got with its default retry policy', () => {
  it('does not retry a rejection (ECIRCUITOPEN is not a network error code it retries)', async () => {
    const key = `127.0.0.1:${server.port}`;
    h.ctx.breakerFor('127.0.0.1', server.port)!.forceOpen();
    const err = await got(`${server.origin}/default-retry`).then(
      () => expect.fail('expected a rejection'),
      (e: unknown) => e as { code?: string; name?: string },
    );
    expect(err).toMatchObject({ name: 'RequestError', code: 'ECIRCUITOPEN' });
    expect(h.breaker(key).metrics.rejectedCalls).toBe(1);
    expect(server.requests).toBe(0);
  });
});

async function vitestWaitFor(ok: () => boolean): Promise<void> {
  for (let i = 0; i < 1000 && !ok(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(ok()).toBe(true);
}
