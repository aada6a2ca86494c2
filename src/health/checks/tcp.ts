import type { CheckRegistration, CheckResult } from '../check-types.js';
import { fail } from '../validate.js';
import { dependencyRegistration, failureError, optionsObject, type DependencyCheckOptions } from './dependency.js';

export interface TcpCheckOptions extends DependencyCheckOptions {
  /** Never shown in a result. */
  host: string;
  port: number;
}

const WHERE = 'tcpCheck()';

/**
 * A check that a TCP port accepts connections (a database, a broker): healthy once connected. The
 * connection is closed at once, or aborted by the timeout; the run settles only after the socket
 * has closed.
 */
export function tcpCheck(options: TcpCheckOptions): CheckRegistration {
  optionsObject(WHERE, options);
  const { host, port } = options;
  if (typeof host !== 'string' || host === '') fail(WHERE, 'host', 'a non-empty host name or address', host);
  if (!Number.isInteger(port) || port < 1 || port > 65_535) fail(WHERE, 'port', 'an integer from 1 to 65535', port);

  function check(signal: AbortSignal): Promise<CheckResult> {
    return new Promise((resolve, reject) => {
      let connected = false;
      let failure: unknown;
      // Fetched, not imported: node:net as an ES module would weigh on every import of breakwater.
      const socket = process.getBuiltinModule('node:net').connect({ host, port, signal });
      socket.unref(); // a background run never holds the process; an awaited runAll() does, by its timer
      socket.once('connect', () => {
        connected = true;
        socket.destroy();
      });
      socket.on('error', (error) => {
        failure ??= error;
      });
      socket.once('close', () => (connected ? resolve({ status: 'healthy', message: 'connected' }) : reject(failureError('connect', failure))));
    });
  }

  return dependencyRegistration(WHERE, options, 'custom', check);
}
