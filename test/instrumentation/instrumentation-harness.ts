import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** A loopback server whose status the test sets; counts the requests that reach it. */
export interface StatusServer {
  origin: string;
  port: number;
  status: number;
  requests: number;
  close(): Promise<void>;
}

export async function statusServer(): Promise<StatusServer> {
  const state = { status: 200, requests: 0 };
  const server = http.createServer((_req, res) => {
    state.requests++;
    res.statusCode = state.status;
    res.end('x');
  });
  server.keepAliveTimeout = 100;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    origin: `http://127.0.0.1:${port}`,
    port,
    get status() { return state.status; },
    set status(s: number) { state.status = s; },
    get requests() { return state.requests; },
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

/** fetch's status, or the error it rejected with (the CircuitOpenError when there is one). */
export async function fetchOutcome(url: string): Promise<number | Error> {
  try {
    const res = await fetch(url);
    await res.arrayBuffer();
    return res.status;
  } catch (err) {
    const e = err as Error & { cause?: unknown };
    return e.cause instanceof Error && (e.cause as { code?: string }).code === 'ECIRCUITOPEN' ? e.cause : e;
  }
}
