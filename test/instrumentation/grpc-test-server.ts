/**
 * A real grpc-js server on 127.0.0.1 for the gRPC instrumentation tests, behind a counting TCP
 * proxy, whose behaviour can be switched while it runs:
 *
 *   const server = await startGrpcTestServer();
 *   server.fail(grpc.status.UNAVAILABLE);   // every call ends with that status
 *   server.hang();                          // calls are received but never answered (streams send one reply first)
 *   server.recover();                       // answers the hung calls with OK and serves normally again
 *   server.calls; server.connections;       // handler invocations, TCP connections accepted
 *
 * Clients connect to `server.target` (the proxy), so `connections` counts every connection a
 * client opens. Services: `breakwater.test.Echo` from test/fixtures/echo.proto (unary, client
 * streaming, server streaming, bidi) and `/raw.Raw/Echo`, a unary method with JSON (de)serializers
 * for plain `grpc.Client` calls.
 */
import { createRequire } from 'node:module';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import type * as Grpc from '@grpc/grpc-js';

const require = createRequire(import.meta.url);
const grpc = require('@grpc/grpc-js') as typeof Grpc;
const protoLoader = require('@grpc/proto-loader') as typeof import('@grpc/proto-loader');

export const ECHO_PROTO = fileURLToPath(new URL('../fixtures/echo.proto', import.meta.url));
export const RAW_ECHO_PATH = '/raw.Raw/Echo';

export interface EchoRequest {
  text?: string;
  count?: number;
}
export interface EchoReply {
  text: string;
  count: number;
}

/** The Echo service's client class, loaded the usual way (proto-loader + loadPackageDefinition). */
export function loadEchoClient(): typeof Grpc.Client {
  const definition = protoLoader.loadSync(ECHO_PROTO, { keepCase: true, defaults: true });
  const pkg = grpc.loadPackageDefinition(definition) as unknown as {
    breakwater: { test: { Echo: typeof Grpc.Client } };
  };
  return pkg.breakwater.test.Echo;
}

export function echoServiceDefinition(): Grpc.ServiceDefinition {
  const definition = protoLoader.loadSync(ECHO_PROTO, { keepCase: true, defaults: true });
  const pkg = grpc.loadPackageDefinition(definition) as unknown as {
    breakwater: { test: { Echo: { service: Grpc.ServiceDefinition } } };
  };
  return pkg.breakwater.test.Echo.service;
}

export const jsonSerialize = (value: unknown): Buffer => Buffer.from(JSON.stringify(value));
export const jsonDeserialize = (bytes: Buffer): unknown => JSON.parse(bytes.toString() || 'null');

type Behaviour = { mode: 'ok' } | { mode: 'fail'; code: Grpc.status; trailers: Record<string, string> } | { mode: 'hang' };

export interface GrpcTestServer {
  /** `127.0.0.1:<proxy port>`: where clients connect. */
  readonly target: string;
  readonly port: number;
  /** Handler invocations (every method), counted on arrival whatever the behaviour. */
  readonly calls: number;
  /** TCP connections the proxy accepted. */
  readonly connections: number;
  /** Calls held by hang(), not answered yet. */
  readonly hung: number;
  /** End every call with `code` (and these trailers, e.g. `grpc-retry-pushback-ms`). */
  fail(code: Grpc.status, trailers?: Record<string, string>): void;
  hang(): void;
  recover(): void;
  /** Resolves once `calls >= n`. */
  waitForCalls(n: number): Promise<void>;
  /** Resolves once `connections >= n`. */
  waitForConnections(n: number): Promise<void>;
  close(): Promise<void>;
}

export async function startGrpcTestServer(): Promise<GrpcTestServer> {
  let behaviour: Behaviour = { mode: 'ok' };
  let calls = 0;
  let connections = 0;
  const held: Array<() => void> = [];
  const waiters = new Set<() => void>();
  const notify = (): void => {
    for (const check of [...waiters]) check();
  };
  const arrive = (): void => {
    calls++;
    notify();
  };
  // Whether to hold an answer is decided when the answer is ready (a client stream's end may come
  // after recover()), whether to fail when the call arrives.
  const answerOrHold = (answer: () => void): void => {
    if (behaviour.mode === 'hang') held.push(answer);
    else answer();
  };
  const failure = ({ code, trailers }: { code: Grpc.status; trailers: Record<string, string> }): Partial<Grpc.StatusObject> => {
    const metadata = new grpc.Metadata();
    for (const [key, value] of Object.entries(trailers)) metadata.set(key, value);
    return { code, details: `test server failure ${code}`, metadata };
  };

  const server = new grpc.Server();
  server.addService(echoServiceDefinition(), {
    Unary(call: Grpc.ServerUnaryCall<EchoRequest, EchoReply>, callback: Grpc.sendUnaryData<EchoReply>) {
      arrive();
      const b = behaviour;
      if (b.mode === 'fail') return callback(failure(b));
      const answer = (): void => callback(null, { text: call.request.text ?? '', count: 1 });
      answerOrHold(answer);
    },
    ClientStream(call: Grpc.ServerReadableStream<EchoRequest, EchoReply>, callback: Grpc.sendUnaryData<EchoReply>) {
      arrive();
      const b = behaviour;
      if (b.mode === 'fail') {
        call.on('data', () => {});
        return callback(failure(b));
      }
      const texts: string[] = [];
      call.on('data', (m: EchoRequest) => texts.push(m.text ?? ''));
      call.on('error', () => {});
      call.on('end', () => {
        const answer = (): void => callback(null, { text: texts.join(','), count: texts.length });
        answerOrHold(answer);
      });
    },
    ServerStream(call: Grpc.ServerWritableStream<EchoRequest, EchoReply>) {
      arrive();
      const b = behaviour;
      call.on('error', () => {});
      if (b.mode === 'fail') return call.emit('error', failure(b));
      const count = call.request.count || 2;
      call.write({ text: call.request.text ?? '', count: 1 });
      const rest = (): void => {
        if (call.cancelled) return;
        for (let i = 2; i <= count; i++) call.write({ text: call.request.text ?? '', count: i });
        call.end();
      };
      answerOrHold(rest);
    },
    Bidi(call: Grpc.ServerDuplexStream<EchoRequest, EchoReply>) {
      arrive();
      const b = behaviour;
      call.on('error', () => {});
      if (b.mode === 'fail') {
        call.on('data', () => {});
        return call.emit('error', failure(b));
      }
      let n = 0;
      call.on('data', (m: EchoRequest) => call.write({ text: m.text ?? '', count: ++n }));
      call.on('end', () => {
        const finish = (): void => {
          if (!call.cancelled) call.end();
        };
        answerOrHold(finish);
      });
    },
  });
  server.addService(
    {
      Echo: {
        path: RAW_ECHO_PATH,
        requestStream: false,
        responseStream: false,
        requestSerialize: jsonSerialize,
        requestDeserialize: jsonDeserialize,
        responseSerialize: jsonSerialize,
        responseDeserialize: jsonDeserialize,
      },
    } as Grpc.ServiceDefinition,
    {
      Echo(call: Grpc.ServerUnaryCall<unknown, unknown>, callback: Grpc.sendUnaryData<unknown>) {
        arrive();
        const b = behaviour;
        if (b.mode === 'fail') return callback(failure(b));
        const answer = (): void => callback(null, { echo: call.request });
        answerOrHold(answer);
      },
    },
  );
  const grpcPort = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, port) =>
      err ? reject(err) : resolve(port),
    ),
  );

  const sockets = new Set<net.Socket>();
  const proxy = net.createServer((client) => {
    connections++;
    notify();
    const upstream = net.connect(grpcPort, '127.0.0.1');
    sockets.add(client).add(upstream);
    client.pipe(upstream).pipe(client);
    const drop = (): void => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const port = (proxy.address() as AddressInfo).port;

  const waitFor = (done: () => boolean): Promise<void> =>
    new Promise((resolve) => {
      const check = (): void => {
        if (!done()) return;
        waiters.delete(check);
        resolve();
      };
      waiters.add(check);
      check();
    });

  return {
    target: `127.0.0.1:${port}`,
    port,
    get calls() {
      return calls;
    },
    get connections() {
      return connections;
    },
    get hung() {
      return held.length;
    },
    fail(code, trailers = {}) {
      behaviour = { mode: 'fail', code, trailers };
    },
    hang() {
      behaviour = { mode: 'hang' };
    },
    recover() {
      behaviour = { mode: 'ok' };
      for (const answer of held.splice(0)) answer();
    },
    waitForCalls: (n) => waitFor(() => calls >= n),
    waitForConnections: (n) => waitFor(() => connections >= n),
    async close() {
      held.length = 0;
      const closed = new Promise<void>((resolve) => proxy.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      server.forceShutdown();
      await closed;
    },
  };
}

/** A port on 127.0.0.1 where nothing listens (bound, then closed). */
export async function closedPort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}
