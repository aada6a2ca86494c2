// grpcHealthCheck against real grpc-js servers (the manager's own health service). The socket and
// handle tests are in grpc-handles.test.ts, with servers whose sockets they can count.
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CheckResult } from '../../../src/health/check-types.js';
import { grpcHealthCheck } from '../../../src/health/checks/grpc.js';
import { HealthCheckManager } from '../../../src/health/manager.js';
import { testTls } from '../../instrumentation/servers.js';

function runCheck(registration: { check: (signal: AbortSignal) => unknown }, signal = new AbortController().signal): Promise<CheckResult> {
  return Promise.resolve(registration.check(signal)) as Promise<CheckResult>;
}

function bind(server: grpc.Server, credentials = grpc.ServerCredentials.createInsecure()): Promise<number> {
  return new Promise((resolve, reject) => server.bindAsync('127.0.0.1:0', credentials, (err, port) => (err ? reject(err) : resolve(port))));
}

/** A grpc-js server with the manager's own health service; `database` answers as `dbHealthy` says. */
let dbHealthy = true;
const served = new HealthCheckManager();
served.register({ name: 'database', check: () => dbHealthy });
let grpcServer: grpc.Server;
let target: string;

beforeAll(async () => {
  await served.runAll();
  grpcServer = new grpc.Server();
  const { definition, implementation } = served.grpcService({ services: { 'shop.Orders': ['database'] } });
  grpcServer.addService(definition, implementation);
  target = `127.0.0.1:${await bind(grpcServer)}`;
});
afterAll(async () => {
  await served.stop();
  grpcServer.forceShutdown();
});

describe('grpcHealthCheck against grpc-js and the manager\'s own health service', () => {
  it('SERVING is healthy; the whole server ("") by default, or the service named', async () => {
    dbHealthy = true;
    await served.runAll();
    expect(await runCheck(grpcHealthCheck({ name: 'orders', target }))).toEqual({ status: 'healthy', message: 'SERVING' });
    expect(await runCheck(grpcHealthCheck({ name: 'orders', target, service: 'shop.Orders' }))).toEqual({ status: 'healthy', message: 'SERVING' });
  });

  it('NOT_SERVING is unhealthy', async () => {
    dbHealthy = false;
    await served.runAll();
    expect(await runCheck(grpcHealthCheck({ name: 'orders', target, service: 'shop.Orders' }))).toEqual({ status: 'unhealthy', message: 'NOT_SERVING' });
    dbHealthy = true;
    await served.runAll();
  });

  it('an unknown service, and a server without a health service, are unhealthy and say so', async () => {
    expect((await runCheck(grpcHealthCheck({ name: 'orders', target, service: 'shop.Nothing' }))).message).toBe('service unknown to the server (NOT_FOUND)');
    const bare = new grpc.Server();
    const echo = { path: '/test.Echo/Echo', requestStream: false, responseStream: false, requestSerialize: (b: Buffer) => b, requestDeserialize: (b: Buffer) => b, responseSerialize: (b: Buffer) => b, responseDeserialize: (b: Buffer) => b };
    bare.addService({ Echo: echo }, { Echo: (call: { request: Buffer }, callback: (e: null, b: Buffer) => void) => callback(null, call.request) });
    const port = await bind(bare);
    try {
      expect(await runCheck(grpcHealthCheck({ name: 'bare', target: `127.0.0.1:${port}` }))).toEqual({
        status: 'unhealthy',
        message: 'no grpc.health.v1 service (UNIMPLEMENTED)',
      });
    } finally {
      bare.forceShutdown();
    }
  });

  it('over TLS with the given CA', async () => {
    const secure = new grpc.Server();
    secure.addService(...(Object.values(served.grpcService()) as [grpc.ServiceDefinition, grpc.UntypedServiceImplementation]));
    const port = await bind(secure, grpc.ServerCredentials.createSsl(null, [{ private_key: testTls.key, cert_chain: testTls.cert }]));
    try {
      const check = grpcHealthCheck({ name: 'secure', target: `localhost:${port}`, tls: { ca: testTls.cert } });
      expect(await runCheck(check)).toEqual({ status: 'healthy', message: 'SERVING' });
      await expect(runCheck(grpcHealthCheck({ name: 'secure', target: `localhost:${port}`, tls: true }))).rejects.toThrow(
        /^gRPC health call failed \((DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN)\)$/,
      );
    } finally {
      secure.forceShutdown();
    }
  });
});

