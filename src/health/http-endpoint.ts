import { diag } from '@opentelemetry/api';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { CheckState } from './check-types.js';
import { designReport, healthJsonReport, httpStatusOf, type HealthSnapshot } from './report.js';

/** A `(req, res)` handler; with `next` (Express/Connect style) unknown paths go on instead of 404. */
export type HealthRequestHandler = (req: IncomingMessage, res: ServerResponse, next?: (error?: unknown) => void) => void;

export interface ServeOptions {
  /** Port to listen on (0 = any free port; read it from `server.address()`). */
  port: number;
  /** Address to bind (default: every interface, as `server.listen` does). */
  host?: string;
  /** Let the process exit while the server is open (for preloads that must not keep an app alive; default false). */
  unref?: boolean;
}

const ALLOW = 'GET, HEAD';
const HEALTH_JSON = 'application/health+json';

/**
 * Routes (all read the last recorded results; none runs a check):
 * - `/health`: the DESIGN.md report, or the IETF `application/health+json` format when `Accept` asks for it;
 *   200, or 503 when the service is unhealthy.
 * - `/livez`: the process answers; deliberately independent of checks, so a failing dependency never
 *   makes Kubernetes restart the pod.
 * - `/readyz`: 200 unless the service is unhealthy or a critical check has not run yet;
 *   `/readyz/NAME` for one check. Kubernetes text format, `?verbose` lists every check.
 */
export function createHealthRequestHandler(source: { snapshot(): HealthSnapshot }): HealthRequestHandler {
  return (req, res, next) => {
    try {
      const url = req.url ?? '/';
      const q = url.indexOf('?');
      const path = q === -1 ? url : url.slice(0, q);
      const query = new URLSearchParams(q === -1 ? '' : url.slice(q + 1));
      const route = routeOf(path);
      if (route === undefined) {
        if (next !== undefined) return next();
        return send(req, res, 404, 'text/plain; charset=utf-8', 'not found\n');
      }
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.setHeader('Allow', ALLOW);
        return send(req, res, 405, 'text/plain; charset=utf-8', 'method not allowed\n');
      }
      const snapshot = source.snapshot();
      if (route === 'health') return sendHealth(req, res, snapshot);
      if (route === 'livez') return sendProbe(req, res, 'livez', [{ name: 'ping', ok: true }], true, query.has('verbose'));
      const name = path.slice('/readyz/'.length);
      if (route === 'readyz-one') {
        const wanted = safeDecode(name);
        const check = snapshot.checks.find((c) => c.name === wanted);
        if (check === undefined) return send(req, res, 404, 'text/plain; charset=utf-8', 'not found\n');
        const line = { name: check.name, ok: passes(check) };
        return sendProbe(req, res, 'readyz', [line], line.ok, query.has('verbose'));
      }
      const lines = snapshot.checks.map((check) => ({ name: check.name, ok: passes(check) }));
      return sendProbe(req, res, 'readyz', lines, isReady(snapshot), query.has('verbose'));
    } catch (error) {
      diag.error('breakwater: the health endpoint failed', error);
      if (!res.headersSent) send(req, res, 500, 'text/plain; charset=utf-8', 'internal error\n');
      else res.destroy();
    }
  };
}

type Route = 'health' | 'livez' | 'readyz' | 'readyz-one';

function routeOf(path: string): Route | undefined {
  if (path === '/health') return 'health';
  if (path === '/livez') return 'livez';
  if (path === '/readyz') return 'readyz';
  if (path.startsWith('/readyz/') && path.length > '/readyz/'.length) return 'readyz-one';
  return undefined;
}

function safeDecode(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}

/** Ready: not unhealthy, and every critical check has a result. */
export function isReady(snapshot: HealthSnapshot): boolean {
  return snapshot.overall !== 'unhealthy' && !snapshot.checks.some((c) => c.critical && c.status === 'unknown');
}

function passes(check: CheckState): boolean {
  return check.status === 'healthy' || check.status === 'degraded';
}

function sendHealth(req: IncomingMessage, res: ServerResponse, snapshot: HealthSnapshot): void {
  const status = httpStatusOf(snapshot.overall);
  res.setHeader('Vary', 'Accept');
  if (wantsHealthJson(req.headers.accept)) {
    send(req, res, status, HEALTH_JSON, JSON.stringify(healthJsonReport(snapshot)));
  } else {
    send(req, res, status, 'application/json', JSON.stringify(designReport(snapshot)));
  }
}

function wantsHealthJson(accept: string | undefined): boolean {
  if (accept === undefined) return false;
  return accept.split(',').some((part) => {
    const [type, ...params] = part.split(';').map((s) => s.trim().toLowerCase());
    return type === HEALTH_JSON && !params.some((p) => /^q=0(\.0*)?$/.test(p));
  });
}

/** Kubernetes probe text: `ok`, or the `[+]name ok` / `[-]name failed` list and a verdict line. */
function sendProbe(
  req: IncomingMessage,
  res: ServerResponse,
  probe: 'livez' | 'readyz',
  lines: { name: string; ok: boolean }[],
  ok: boolean,
  verbose: boolean,
): void {
  let body: string;
  if (ok && !verbose) {
    body = 'ok';
  } else {
    body = lines.map((l) => (l.ok ? `[+]${l.name} ok` : `[-]${l.name} failed: reason withheld`)).join('\n');
    body += `${lines.length > 0 ? '\n' : ''}${probe} check ${ok ? 'passed' : 'failed'}\n`;
  }
  res.setHeader('X-Content-Type-Options', 'nosniff');
  send(req, res, ok ? 200 : 503, 'text/plain; charset=utf-8', body);
}

function send(req: IncomingMessage, res: ServerResponse, status: number, type: string, body: string): void {
  res.statusCode = status;
  res.setHeader('Content-Type', type);
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.end(req.method === 'HEAD' ? undefined : body);
}

function checkServeOptions(options: ServeOptions): void {
  const where = 'HealthCheckManager.serve()';
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`${where}: options must be an object with "port", got ${String(options)}`);
  }
  const { port, host, unref } = options;
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new TypeError(`${where}: option "port" must be an integer from 0 to 65535, got ${JSON.stringify(port)}`);
  }
  if (host !== undefined && (typeof host !== 'string' || host === '')) {
    throw new TypeError(`${where}: option "host" must be a non-empty string, got ${JSON.stringify(host)}`);
  }
  if (unref !== undefined && typeof unref !== 'boolean') {
    throw new TypeError(`${where}: option "unref" must be a boolean, got ${JSON.stringify(unref)}`);
  }
}

/** A server for `handler`, resolved once it listens; a port in use rejects with an error naming the option. */
export function listen(handler: HealthRequestHandler, options: ServeOptions): Promise<Server> {
  checkServeOptions(options);
  const { port, host, unref } = options;
  const server = createServer((req, res) => handler(req, res));
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException): void => {
      const where = `HealthCheckManager.serve(): cannot listen on option "port" ${port}${host === undefined ? '' : ` (host ${host})`}`;
      const reason = error.code === 'EADDRINUSE' ? 'the port is already in use' : error.message;
      reject(new Error(`${where}: ${reason}`, { cause: error }));
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      // A server that is up must never crash the application with an unhandled 'error'.
      server.on('error', (error) => diag.error('breakwater: the health server failed', error));
      if (unref === true) server.unref();
      resolve(server);
    });
  });
}
