// grpcHealthCheck's connections: every run leaves no socket, whether it succeeds, times out or is
// aborted. Hand-made node:http2 servers here (grpc-js's own sockets could not be counted apart).
import http2 from 'node:http2';
import { describe, expect, it } from 'vitest';
import type { CheckResult } from '../../../src/health/check-types.js';
import { grpcHealthCheck } from '../../../src/health/checks/grpc.js';
import { encodeResponse } from '../../../src/health/grpc-health-codec.js';
import { HealthCheckManager } from '../../../src/health/manager.js';
import { countUnrefdSockets, manualTimers, openSockets, refusedPort, silentServer, track, withRuns, type TrackedServer } from './loopback.js';

const sockets = countUnrefdSockets();

function runCheck(registration: { check: (signal: AbortSignal) => unknown }, signal = new AbortController().signal): Promise<CheckResult> {
  return Promise.resolve(registration.check(signal)) as Promise<CheckResult>;
}

/** A hand-made gRPC server (node:http2), whose sockets the test can count; `answer` handles each call. */
async function handMade(answer: (stream: http2.ServerHttp2Stream) => void): Promise<TrackedServer & { target: string }> {
  const server = http2.createServer();
  server.on('stream', answer);
  const tracked = await track(server);
  return Object.assign(tracked, { target: `127.0.0.1:${tracked.port}` });
}

function serving(stream: http2.ServerHttp2Stream): void {
  stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
  stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
  const message = encodeResponse({ status: 'SERVING' });
  const head = Buffer.alloc(5);
  head.writeUInt32BE(message.length, 1);
  stream.end(Buffer.concat([head, message]));
}

describe('grpcHealthCheck: connections and handles', () => {
  it('a healthy run closes its HTTP/2 session before it settles', async () => {
    const server = await handMade(serving);
    try {
      const clients = openSockets() - server.open;
      const unrefs = sockets.unrefs();
      expect(await runCheck(grpcHealthCheck({ name: 'orders', target: server.target }))).toEqual({ status: 'healthy', message: 'SERVING' });
      expect(openSockets() - server.open).toBe(clients);
      expect(sockets.unrefs()).toBeGreaterThan(unrefs); // a background run does not hold the process
    } finally {
      await server.close();
    }
  });

  it('a refused port is unhealthy by its error code, without the address', async () => {
    const port = await refusedPort();
    const health = new HealthCheckManager();
    health.register(grpcHealthCheck({ name: 'orders', target: `127.0.0.1:${port}` }));
    const before = openSockets();
    const { components } = await health.runAll();
    expect(components.orders).toMatchObject({ status: 'unhealthy', message: 'gRPC health call failed: connection refused (ECONNREFUSED)' });
    expect(openSockets()).toBe(before);
  });

  it('a server that never answers the call: the timeout destroys the session, no socket is left', async () => {
    const server = await handMade(() => {}); // the stream is accepted and left hanging
    const timers = manualTimers();
    const health = new HealthCheckManager({ timers: timers.timers, timeoutMs: 1_000 });
    const { registration, runs } = withRuns(grpcHealthCheck({ name: 'orders', target: server.target }));
    health.register(registration);
    try {
      const clients = openSockets() - server.open;
      const round = health.runAll();
      await server.accepted();
      timers.fireAll();
      expect((await round).components.orders).toMatchObject({ status: 'unhealthy', message: 'timed out after 1000 ms' });
      expect(await runs[0]).toBeInstanceOf(Error);
      expect(openSockets() - server.open).toBe(clients);
    } finally {
      await health.stop();
      await server.close();
    }
  });

  it('a server that never speaks HTTP/2: an abort ends the session, no socket is left', async () => {
    const server = await silentServer();
    try {
      const clients = openSockets() - server.open;
      const controller = new AbortController();
      const run = runCheck(grpcHealthCheck({ name: 'orders', target: `127.0.0.1:${server.port}` }), controller.signal);
      await server.accepted();
      controller.abort(new Error('timed out after 1000 ms'));
      await expect(run).rejects.toThrow('gRPC health call failed');
      expect(openSockets() - server.open).toBe(clients);
    } finally {
      await server.close();
    }
  });

  it('an HTTP answer that is not gRPC, and a malformed reply, are unhealthy', async () => {
    const notGrpc = await handMade((stream) => {
      stream.respond({ ':status': 404 });
      stream.end();
    });
    const malformed = await handMade((stream) => {
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
      stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
      stream.end(Buffer.from([1, 0, 0, 0, 2, 8, 1])); // "compressed", though no compression was offered
    });
    try {
      expect(await runCheck(grpcHealthCheck({ name: 'orders', target: notGrpc.target }))).toEqual({ status: 'unhealthy', message: 'HTTP 404 instead of a gRPC reply' });
      expect(await runCheck(grpcHealthCheck({ name: 'orders', target: malformed.target }))).toEqual({ status: 'unhealthy', message: 'malformed health reply' });
    } finally {
      await notGrpc.close();
      await malformed.close();
    }
  });

  it('refuses bad options at construction, naming the option and the value', () => {
    const rule = "grpcHealthCheck(): option \"target\" must be 'host:port' (e.g. '127.0.0.1:50051' or '[::1]:50051')";
    expect(() => grpcHealthCheck({ name: 'g', target: 'dns:///orders:50051' })).toThrow(`${rule}, got "dns:///orders:50051"`);
    expect(() => grpcHealthCheck({ name: 'g', target: 'orders' })).toThrow(`${rule}, got "orders"`);
    expect(() => grpcHealthCheck({ name: 'g', target: 'orders:0' })).toThrow(rule);
    expect(() => grpcHealthCheck({ name: 'g', target: 'orders:1', service: 5 as unknown as string })).toThrow('grpcHealthCheck(): option "service" must be a string, got 5');
    expect(() => grpcHealthCheck({ name: 'g', target: 'orders:1', tls: 'yes' as unknown as boolean })).toThrow('grpcHealthCheck(): option "tls" must be a boolean or TLS options, got "yes"');
    expect(grpcHealthCheck({ name: 'g', target: '[::1]:50051' })).toMatchObject({ name: 'g', componentType: 'grpc_server' });
  });
});
