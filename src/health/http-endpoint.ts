import { diag } from '../common/otel-api.js';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { OptionChecker } from '../common/option-checker.js';
import type { CheckState, ShowDetails } from './check-types.js';
import { mayShowDetails, withholdDetails } from './disclosure.js';
import { designReport, healthJsonReport, httpStatusOf, type HealthSnapshot } from './report.js';
import { inGroup, isReady, knownGroups, passes, selectChecks } from './selection.js';

/** A `(req, res)` handler; with `next` (Express/Connect style) unknown paths go on instead of 404. */
export type HealthRequestHandler = (req: IncomingMessage, res: ServerResponse, next?: (error?: unknown) => void) => void;

export interface ServeOptions {
  /** Port to listen on (0 = any free port; read it from `server.address()`). */
  port: number;
  /** Address to bind (default `127.0.0.1`: nothing listens beyond loopback unless asked). */
  host?: string;
  /** Let the process exit while the server is open (for preloads that must not keep an app alive; default false). */
  unref?: boolean;
}

/** Where the endpoint listens unless told otherwise. */
export const DEFAULT_HEALTH_HOST = '127.0.0.1';

/** What the routes read: the latest snapshot, and the manager's settings they depend on. */
export interface EndpointSource {
  snapshot(): HealthSnapshot;
  showDetails: ShowDetails;
  readinessGroup: string | undefined;
  livenessGroup: string | undefined;
}

const ALLOW = 'GET, HEAD';
const HEALTH_JSON = 'application/health+json';
const TEXT = 'text/plain; charset=utf-8';

interface ProbeLine {
  name: string;
  ok: boolean;
  /** Shown instead of `failed: reason withheld` / `ok` (lifecycle lines, exclusions). */
  note?: string;
}

/**
 * Routes (all read the last recorded results; none runs a check):
 * - `/health`: the DESIGN.md report, or the IETF `application/health+json` format when `Accept` asks for it;
 *   200, or 503 when the service is unhealthy. Messages and details only as `showDetails` allows.
 *   `/health/GROUP`: the same over one group of checks.
 * - `/livez`: the process answers; deliberately independent of checks (unless a liveness group is
 *   set), so a failing dependency never makes Kubernetes restart the pod.
 * - `/readyz`: 200 once the first round has run, unless draining, unhealthy, or a critical check has
 *   not run yet; `?exclude=NAME` leaves checks out; `/readyz/NAME` for one check. Kubernetes text
 *   format, `?verbose` lists every check.
 * - `/startupz`: 200 once the first round has run (a Kubernetes startup probe).
 */
export function createHealthRequestHandler(source: EndpointSource): HealthRequestHandler {
  return (req, res, next) => {
    try {
      const url = req.url ?? '/';
      const q = url.indexOf('?');
      const path = q === -1 ? url : url.slice(0, q);
      const query = new URLSearchParams(q === -1 ? '' : url.slice(q + 1));
      const route = routeOf(path);
      if (route === undefined) {
        if (next !== undefined) return next();
        return notFound(req, res);
      }
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.setHeader('Allow', ALLOW);
        return send(req, res, 405, TEXT, 'method not allowed\n');
      }
      const snapshot = source.snapshot();
      const verbose = query.has('verbose');
      switch (route) {
        case 'health':
          return sendHealth(req, res, snapshot, source.showDetails);
        case 'health-group': {
          const group = safeDecode(path.slice('/health/'.length));
          const groups = knownGroups(snapshot, [source.readinessGroup, source.livenessGroup]);
          if (group === undefined || !groups.has(group)) return notFound(req, res);
          return sendHealth(req, res, selectChecks(snapshot, inGroup(group)), source.showDetails);
        }
        case 'livez': {
          if (source.livenessGroup === undefined) return sendProbe(req, res, 'livez', [{ name: 'ping', ok: true }], true, verbose);
          const live = selectChecks(snapshot, inGroup(source.livenessGroup));
          return sendProbe(req, res, 'livez', live.checks.map(lineOf), live.overall !== 'unhealthy', verbose);
        }
        case 'startupz':
          return sendProbe(req, res, 'startupz', [startupLine(snapshot)], snapshot.started, verbose);
        case 'readyz-one': {
          const wanted = safeDecode(path.slice('/readyz/'.length));
          const check = snapshot.checks.find((c) => c.name === wanted);
          if (check === undefined) return notFound(req, res);
          const line = lineOf(check);
          return sendProbe(req, res, 'readyz', [line], line.ok, verbose);
        }
        case 'readyz':
          return sendReadiness(req, res, snapshot, source.readinessGroup, query.getAll('exclude'), verbose);
      }
    } catch (error) {
      diag.error('breakwater: the health endpoint failed', error);
      if (!res.headersSent) send(req, res, 500, TEXT, 'internal error\n');
      else res.destroy();
    }
  };
}

type Route = 'health' | 'health-group' | 'livez' | 'readyz' | 'readyz-one' | 'startupz';

function routeOf(path: string): Route | undefined {
  if (path === '/health') return 'health';
  if (path === '/livez') return 'livez';
  if (path === '/readyz') return 'readyz';
  if (path === '/startupz') return 'startupz';
  if (path.startsWith('/readyz/') && path.length > '/readyz/'.length) return 'readyz-one';
  if (path.startsWith('/health/') && path.length > '/health/'.length) return 'health-group';
  return undefined;
}

function safeDecode(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}

function lineOf(check: CheckState): ProbeLine {
  return { name: check.name, ok: passes(check) };
}

function startupLine(snapshot: HealthSnapshot): ProbeLine {
  return { name: 'startup', ok: snapshot.started, note: snapshot.started ? 'ok' : 'failed: first round of checks not run yet' };
}

/** The readiness set (a group, or every check) without the excluded names, as the Kubernetes API server does. */
function sendReadiness(
  req: IncomingMessage,
  res: ServerResponse,
  snapshot: HealthSnapshot,
  group: string | undefined,
  exclude: string[],
  verbose: boolean,
): void {
  const excluded = new Set(exclude);
  const selected =
    group === undefined && excluded.size === 0
      ? snapshot
      : selectChecks(snapshot, (c) => !excluded.has(c.name) && (group === undefined || c.groups.includes(group)));
  const lines: ProbeLine[] = [];
  if (!snapshot.started) lines.push(startupLine(snapshot));
  if (snapshot.draining) lines.push({ name: 'shutdown', ok: false, note: 'failed: draining' });
  for (const check of snapshot.checks) {
    if (excluded.has(check.name)) lines.push({ name: check.name, ok: true, note: 'excluded: ok' });
    else if (selected === snapshot || selected.checks.includes(check)) lines.push(lineOf(check));
  }
  sendProbe(req, res, 'readyz', lines, isReady(selected), verbose);
}

function notFound(req: IncomingMessage, res: ServerResponse): void {
  send(req, res, 404, TEXT, 'not found\n');
}

function sendHealth(req: IncomingMessage, res: ServerResponse, full: HealthSnapshot, showDetails: ShowDetails): void {
  const snapshot = mayShowDetails(showDetails, req) ? full : withholdDetails(full);
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
  probe: 'livez' | 'readyz' | 'startupz',
  lines: ProbeLine[],
  ok: boolean,
  verbose: boolean,
): void {
  let body: string;
  if (ok && !verbose) {
    body = 'ok';
  } else {
    body = lines.map((l) => `${l.ok ? '[+]' : '[-]'}${l.name} ${l.note ?? (l.ok ? 'ok' : 'failed: reason withheld')}`).join('\n');
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
  const check = new OptionChecker('HealthCheckManager.serve()');
  check.object('options', options);
  const { port, host, unref } = options;
  const rule = { integer: true, min: 0, max: 65_535 };
  if (check.number('port', port, undefined, rule) === undefined) throw check.error('port', 'an integer from 0 to 65535', port);
  if (host !== undefined && (typeof host !== 'string' || host === '')) throw check.error('host', 'a non-empty string', host);
  check.boolean('unref', unref, false);
}

/** A server for `handler`, resolved once it listens; a port in use rejects with an error naming the option. */
export function listen(handler: HealthRequestHandler, options: ServeOptions): Promise<Server> {
  checkServeOptions(options);
  const { port, host = DEFAULT_HEALTH_HOST, unref } = options;
  // Fetched here, not imported: `import 'node:http'` also builds its lazy exports (undici's
  // WebSocket among them), which would be most of what importing breakwater costs.
  const server = process.getBuiltinModule('node:http').createServer((req, res) => handler(req, res));
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException): void => {
      const where = `HealthCheckManager.serve(): cannot listen on option "port" ${port} (host ${host})`;
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
