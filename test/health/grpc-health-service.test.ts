import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { HealthStatus } from '../../src/health/check-types.js';
import { grpcHealthDefinition, MAX_LISTED_SERVICES } from '../../src/health/grpc-health-service.js';
import { HealthCheckManager } from '../../src/health/manager.js';

interface HealthClient extends grpc.Client {
  Check(
    request: { service: string },
    options: grpc.CallOptions,
    callback: (error: grpc.ServiceError | null, response?: { status: string }) => void,
  ): void;
  Watch(request: { service: string }): grpc.ClientReadableStream<{ status: string }>;
  List(
    request: Record<string, never>,
    options: grpc.CallOptions,
    callback: (error: grpc.ServiceError | null, response?: { statuses: Record<string, { status: string }> }) => void,
  ): void;
}

// An independent protobuf implementation (proto-loader + the canonical .proto) on the client side.
const packageDefinition = protoLoader.loadSync(fileURLToPath(new URL('./fixtures/health.proto', import.meta.url)), { enums: String, defaults: true });
const proto = grpc.loadPackageDefinition(packageDefinition) as unknown as {
  grpc: { health: { v1: { Health: new (address: string, credentials: grpc.ChannelCredentials) => HealthClient } } };
};

function check(client: HealthClient, service: string): Promise<string> {
  return new Promise((resolve, reject) =>
    client.Check({ service }, { deadline: Date.now() + 5_000 }, (error, response) => (error ? reject(error) : resolve(response!.status))),
  );
}

function list(client: HealthClient): Promise<Record<string, string>> {
  return new Promise((resolve, reject) =>
    client.List({}, { deadline: Date.now() + 5_000 }, (error, response) =>
      error ? reject(error) : resolve(Object.fromEntries(Object.entries(response!.statuses).map(([k, v]) => [k, v.status])))),
  );
}

/** Collects a Watch stream's statuses; `next(n)` resolves once n have arrived. */
function watch(client: HealthClient, service: string) {
  const call = client.Watch({ service });
  const seen: string[] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  let ended = false;
  const endWaiters: (() => void)[] = [];
  call.on('data', (msg: { status: string }) => {
    seen.push(msg.status);
    for (const w of [...waiters]) if (seen.length >= w.n) w.resolve();
  });
  call.on('error', () => {});
  call.on('status', () => {
    ended = true;
    for (const r of endWaiters) r();
  });
  return {
    seen,
    call,
    next: (n: number) => new Promise<void>((resolve) => (seen.length >= n ? resolve() : waiters.push({ n, resolve }))),
    ended: () => new Promise<void>((resolve) => (ended ? resolve() : endWaiters.push(resolve))),
  };
}

describe('grpc.health.v1 service', () => {
  let health: HealthCheckManager;
  let server: grpc.Server;
  let client: HealthClient;
  let address: string;
  const status: Record<string, HealthStatus> = {};

  beforeEach(async () => {
    Object.assign(status, { database: 'healthy', cache: 'healthy' });
    health = new HealthCheckManager({ checkIntervalMs: 60_000 });
    health.register({ name: 'database', componentType: 'database', critical: true, check: () => ({ status: status.database! }) });
    health.register({ name: 'cache', check: () => ({ status: status.cache! }) });
    await health.runAll();
    server = new grpc.Server();
    const service = health.grpcService({ services: { 'shop.Orders': ['database', 'cache'] } });
    server.addService(service.definition, service.implementation);
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, p) => (error ? reject(error) : resolve(p))),
    );
    address = `127.0.0.1:${port}`;
    client = new proto.grpc.health.v1.Health(address, grpc.credentials.createInsecure());
  });

  afterEach(async () => {
    client.close();
    await health.stop();
    await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
  });

  it('Check answers for the whole service (""), for a check and for a mapped gRPC service', async () => {
    expect(await check(client, '')).toBe('SERVING');
    expect(await check(client, 'database')).toBe('SERVING');
    expect(await check(client, 'shop.Orders')).toBe('SERVING');
    status.cache = 'unhealthy';
    await health.runAll();
    expect(await check(client, 'cache')).toBe('NOT_SERVING');
    expect(await check(client, 'shop.Orders')).toBe('NOT_SERVING');
    expect(await check(client, '')).toBe('SERVING'); // cache is not critical and the score is 50
    status.database = 'unhealthy';
    await health.runAll();
    expect(await check(client, '')).toBe('NOT_SERVING');
  });

  it('Check fails with NOT_FOUND for an unknown service', async () => {
    await expect(check(client, 'no.Such')).rejects.toMatchObject({ code: grpc.status.NOT_FOUND, details: 'unknown service "no.Such"' });
  });

  it('Watch sends the current status, then every change and nothing else', async () => {
    const w = watch(client, 'database');
    await w.next(1);
    expect(w.seen).toEqual(['SERVING']);
    await health.runAll(); // no change: nothing sent
    status.database = 'unhealthy';
    await health.runAll();
    await w.next(2);
    status.database = 'degraded';
    await health.runAll();
    await w.next(3);
    expect(w.seen).toEqual(['SERVING', 'NOT_SERVING', 'SERVING']);
    w.call.cancel();
  });

  it('Watch of an unknown service sends SERVICE_UNKNOWN and keeps the call open until it appears', async () => {
    const w = watch(client, 'queue');
    await w.next(1);
    expect(w.seen).toEqual(['SERVICE_UNKNOWN']);
    health.register({ name: 'queue', check: () => true });
    await health.runAll();
    await w.next(3);
    expect(w.seen).toEqual(['SERVICE_UNKNOWN', 'UNKNOWN', 'SERVING']);
    w.call.cancel();
  });

  it('Watch of the whole service follows the overall status; stop() ends the stream', async () => {
    const w = watch(client, '');
    await w.next(1);
    status.database = 'unhealthy';
    await health.runAll();
    await w.next(2);
    expect(w.seen).toEqual(['SERVING', 'NOT_SERVING']);
    await health.stop();
    await w.ended();
  });

  it('drain() makes every known service NOT_SERVING at once, Watch streams included', async () => {
    const w = watch(client, 'shop.Orders');
    await w.next(1);
    void health.drain();
    await w.next(2);
    expect(w.seen).toEqual(['SERVING', 'NOT_SERVING']);
    expect(await check(client, '')).toBe('NOT_SERVING');
    expect(await check(client, 'cache')).toBe('NOT_SERVING');
    await expect(check(client, 'no.Such')).rejects.toMatchObject({ code: grpc.status.NOT_FOUND });
    w.call.cancel();
  });

  it('List (gRFC A90) answers every service Check knows: the whole service, mapped services and checks', async () => {
    status.cache = 'unhealthy';
    await health.runAll();
    health.register({ name: 'queue', check: () => true }); // registered, not run yet
    expect(await list(client)).toEqual({
      '': 'SERVING',
      'shop.Orders': 'NOT_SERVING',
      database: 'SERVING',
      cache: 'NOT_SERVING',
      queue: 'UNKNOWN',
    });
    expect(health.unregister('cache')).toBe(true);
    expect(Object.keys(await list(client)).sort()).toEqual(['', 'database', 'queue', 'shop.Orders']);
  });

  it('List says NOT_SERVING for every service while draining', async () => {
    void health.drain();
    expect(new Set(Object.values(await list(client)))).toEqual(new Set(['NOT_SERVING']));
  });

  it('List fails with RESOURCE_EXHAUSTED beyond MAX_LISTED_SERVICES, and answers again below it', async () => {
    // '', shop.Orders, database, cache: 4 already; add checks up to the bound, then one more.
    for (let i = 0; i < MAX_LISTED_SERVICES - 4; i++) health.register({ name: `extra${i}`, check: () => true });
    expect(Object.keys(await list(client))).toHaveLength(MAX_LISTED_SERVICES);
    health.register({ name: 'one_too_many', check: () => true });
    await expect(list(client)).rejects.toMatchObject({ code: grpc.status.RESOURCE_EXHAUSTED });
    health.unregister('one_too_many');
    expect(Object.keys(await list(client))).toHaveLength(MAX_LISTED_SERVICES);
  });

  it('grpcHealthDefinition also serves as a client definition', async () => {
    const Client = grpc.makeGenericClientConstructor(grpcHealthDefinition as never, 'grpc.health.v1.Health');
    const generic = new Client(address, grpc.credentials.createInsecure()) as unknown as HealthClient;
    try {
      expect(await check(generic, 'cache')).toBe('SERVING');
      expect(await list(generic)).toEqual({ '': 'SERVING', 'shop.Orders': 'SERVING', database: 'SERVING', cache: 'SERVING' });
    } finally {
      generic.close();
    }
  });
});
