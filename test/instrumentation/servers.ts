/**
 * A real loopback HTTP(S) server for client-instrumentation tests whose behaviour can be switched
 * while it runs (ok / fail with a status / hang / reset connections / recover), counting the TCP
 * connections it accepts and the requests it receives. Shared by the http, fetch and undici tests:
 * keep the API stable.
 *
 *   const server = await startTestServer();          // http://127.0.0.1:<ephemeral>
 *   server.fail(503, { 'retry-after': '2' });         // every request now gets 503
 *   server.hang();                                    // requests are read but never answered
 *   server.reset();                                   // the socket is reset on each request (ECONNRESET)
 *   server.recover();                                 // back to 200 'ok'
 *   server.connections; server.requests;              // counters since start or resetCounts()
 *   server.open;                                      // connections open now
 *   await server.close();                             // also destroys hung connections
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';

export type ServerBehaviour =
  | { mode: 'ok'; status: number; body: string; headers: http.OutgoingHttpHeaders }
  | { mode: 'fail'; status: number; body: string; headers: http.OutgoingHttpHeaders }
  | { mode: 'hang' }
  | { mode: 'reset' };

export interface SeenRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
}

export interface TestServer {
  /** The bound address, e.g. `127.0.0.1` or `::1`. */
  readonly host: string;
  readonly port: number;
  /** `http://127.0.0.1:PORT` (or `https://…`, `http://[::1]:PORT`); no trailing slash. */
  readonly origin: string;
  /** TCP connections accepted (server `connection` event). */
  readonly connections: number;
  /** TCP connections open now (accepted and not yet closed). */
  readonly open: number;
  /** Requests received (counted on arrival, whatever the behaviour). */
  readonly requests: number;
  /** Every request received, in order. */
  readonly seen: readonly SeenRequest[];
  readonly behaviour: ServerBehaviour;
  /** Answer every request with `status` (default 200) and `body` (default 'ok'). */
  ok(body?: string, status?: number, headers?: http.OutgoingHttpHeaders): void;
  /** Answer every request with `status` (default 503). */
  fail(status?: number, headers?: http.OutgoingHttpHeaders, body?: string): void;
  /** Read each request but never answer it (the socket stays open until the client gives up or close()). */
  hang(): void;
  /** Reset the connection (TCP RST) as soon as a request arrives: the client sees ECONNRESET. */
  reset(): void;
  /** Same as ok(): 200 'ok'. */
  recover(): void;
  /** Zero the connection and request counters and forget `seen`. */
  resetCounts(): void;
  /** Resolves once `requests >= n` (counted since start or the last resetCounts()). */
  waitForRequests(n: number): Promise<void>;
  /** Destroy every open connection now (keep-alive ones included); counters are kept. */
  dropConnections(): void;
  /** Closes the server and destroys every open connection (hung ones included). */
  close(): Promise<void>;
}

export interface TestServerOptions {
  /** Serve HTTPS with the self-signed localhost certificate from test/fixtures (see testTls). */
  tls?: boolean;
  /** Address to bind (default '127.0.0.1'); '::1' for IPv6 tests. */
  host?: string;
}

const fixtures = new URL('../fixtures/', import.meta.url);

/** The self-signed certificate (CN=localhost, SAN localhost/127.0.0.1/::1) the TLS server uses; pass `ca: testTls.cert` to clients. */
export const testTls = {
  key: readFileSync(new URL('localhost-key.pem', fixtures)),
  cert: readFileSync(new URL('localhost-cert.pem', fixtures)),
};

export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const host = options.host ?? '127.0.0.1';
  let behaviour: ServerBehaviour = okBehaviour('ok', 200, {});
  let connections = 0;
  let seen: SeenRequest[] = [];
  const sockets = new Set<Socket>();
  const waiters: { n: number; resolve: () => void }[] = [];

  const handler = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    for (const w of waiters.splice(0)) {
      if (seen.length >= w.n) w.resolve();
      else waiters.push(w);
    }
    const current = behaviour;
    switch (current.mode) {
      case 'reset':
        // resetAndDestroy sends a TCP RST, which the client reports as ECONNRESET.
        req.socket.resetAndDestroy();
        return;
      case 'hang':
        req.resume();
        return;
      default:
        req.resume();
        req.on('end', () => {
          res.writeHead(current.status, { 'content-type': 'text/plain', ...current.headers });
          res.end(current.body);
        });
    }
  };

  const server: http.Server = options.tls
    ? https.createServer({ key: testTls.key, cert: testTls.cert }, handler)
    : http.createServer(handler);
  server.on('connection', (socket: Socket) => {
    connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  // A client reset/abort shows up here; a test server must not crash the test run on it.
  server.on('clientError', (_err, socket) => socket.destroy());

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const hostInUrl = host.includes(':') ? `[${host}]` : host;
  const origin = `${options.tls ? 'https' : 'http'}://${hostInUrl}:${port}`;

  const dropConnections = (): void => {
    for (const s of sockets) s.destroy();
  };

  return {
    host,
    port,
    origin,
    get connections() {
      return connections;
    },
    get open() {
      return sockets.size;
    },
    get requests() {
      return seen.length;
    },
    get seen() {
      return seen;
    },
    get behaviour() {
      return behaviour;
    },
    ok(body = 'ok', status = 200, headers = {}) {
      behaviour = okBehaviour(body, status, headers);
    },
    fail(status = 503, headers = {}, body = 'failed') {
      behaviour = { mode: 'fail', status, body, headers };
    },
    hang() {
      behaviour = { mode: 'hang' };
    },
    reset() {
      behaviour = { mode: 'reset' };
    },
    recover() {
      behaviour = okBehaviour('ok', 200, {});
    },
    resetCounts() {
      connections = 0;
      seen = [];
    },
    waitForRequests(n: number) {
      if (seen.length >= n) return Promise.resolve();
      return new Promise<void>((resolve) => waiters.push({ n, resolve }));
    },
    dropConnections,
    close() {
      dropConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function okBehaviour(body: string, status: number, headers: http.OutgoingHttpHeaders): ServerBehaviour {
  return { mode: 'ok', status, body, headers };
}
