// The shared test server behaves as the client tests assume: each mode, the counters, TLS, IPv6.
import http from 'node:http';
import https from 'node:https';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestServer, testTls, type TestServer } from './servers.js';

function get(url: string, options: https.RequestOptions = {}): Promise<{ status: number; body: string }> {
  const mod = url.startsWith('https:') ? https : http;
  return new Promise((resolve, reject) => {
    mod
      .get(url, { agent: false, ...options }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on('error', reject);
  });
}

describe('test server helper', () => {
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('switches between ok, fail, reset, hang and recover, counting connections and requests', async () => {
    server = await startTestServer();
    expect(await get(`${server.origin}/a`)).toEqual({ status: 200, body: 'ok' });
    server.fail(503, { 'retry-after': '3' });
    expect((await get(`${server.origin}/b`)).status).toBe(503);
    server.reset();
    await expect(get(`${server.origin}/c`)).rejects.toMatchObject({ code: 'ECONNRESET' });
    server.hang();
    const req = http.get(`${server.origin}/d`, { agent: false });
    const failed = new Promise((resolve) => req.on('error', resolve));
    await server.waitForRequests(4);
    req.destroy();
    await failed;
    server.recover();
    expect((await get(`${server.origin}/e`)).status).toBe(200);
    expect(server.requests).toBe(5);
    expect(server.connections).toBe(5);
    expect(server.seen.map((r) => r.url)).toEqual(['/a', '/b', '/c', '/d', '/e']);
    server.resetCounts();
    expect([server.requests, server.connections]).toEqual([0, 0]);
  });

  it('serves HTTPS with the fixture certificate and binds IPv6 loopback', async () => {
    server = await startTestServer({ tls: true });
    expect(await get(`${server.origin}/`, { ca: testTls.cert })).toEqual({ status: 200, body: 'ok' });
    await server.close();
    server = await startTestServer({ host: '::1' });
    expect(server.origin).toBe(`http://[::1]:${server.port}`);
    expect((await get(`${server.origin}/`)).status).toBe(200);
  });

  it('close() ends hung connections', async () => {
    server = await startTestServer();
    server.hang();
    const req = http.get(server.origin, { agent: false });
    const err = new Promise<NodeJS.ErrnoException>((resolve) => req.on('error', resolve));
    await server.waitForRequests(1);
    await server.close();
    server = undefined;
    expect((await err).code).toBe('ECONNRESET');
  });
});
