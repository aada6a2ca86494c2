/**
 * Where a node:http(s) request goes, from the options an `http.Agent` receives in `addRequest`.
 * By then Node has already merged the URL, the options object and the defaults (`host` is the
 * hostname, `port` is set), so this only tidies what Node leaves loose.
 */
import { normalHost } from '../common/host-port.js';

export interface HttpDestination {
  /** Lower-case host name or IP literal, IPv6 without brackets (`::1`). */
  host: string;
  port: number;
}

/** The subset of Node's normalised request options this reads. */
export interface AgentRequestOptions {
  host?: string | null;
  hostname?: string | null;
  port?: number | string | null;
  defaultPort?: number | string | null;
  socketPath?: string | null;
}

/**
 * The destination of a request, or undefined for a Unix socket / named pipe (`socketPath`): local
 * IPC has no `host:port`, and a breaker keyed by a path would mostly guard a sidecar's socket.
 * Throws on options it cannot make sense of; the caller reports that and lets the request through.
 */
export function httpDestination(options: AgentRequestOptions, agentDefaultPort: number): HttpDestination | undefined {
  if (options.socketPath) return undefined;
  const host = options.host || options.hostname || 'localhost';
  if (typeof host !== 'string') throw new TypeError(`cannot read the request host ${String(host)}`);
  const rawPort = options.port || options.defaultPort || agentDefaultPort;
  const port = typeof rawPort === 'number' ? rawPort : Number(rawPort);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new TypeError(`cannot read the request port ${String(rawPort)} for host ${host}`);
  }
  // `{ hostname: '[::1]' }` reaches the agent with its brackets; a URL does not.
  return { host: normalHost(host), port };
}
