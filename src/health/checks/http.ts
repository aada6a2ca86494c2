import type { RequestOptions as HttpsRequestOptions } from 'node:https';
import { otelApi } from '../../common/otel-api.js';
import { parseHttpFailureStatus } from '../../config/http-status.js';
import { suppressTracing } from '../../instrumentation/tracing-suppressed.js';
import type { CheckRegistration, CheckResult } from '../check-types.js';
import { OptionChecker } from '../../common/option-checker.js';
import { fail } from '../validate.js';
import { dependencyRegistration, failureError, optionsObject, type DependencyCheckOptions } from './dependency.js';

export interface HttpCheckOptions extends DependencyCheckOptions {
  /** `http:` or `https:`; never shown in a result (it may carry a token). */
  url: string | URL;
  /** Default `GET`. */
  method?: 'GET' | 'HEAD';
  /** Statuses that are healthy: `'200-299'` (the default), `'200,204'` or `[200, 204]`. */
  expectStatus?: string | readonly number[];
  /** Request headers, e.g. an authorization the endpoint needs. */
  headers?: Record<string, string>;
  /** For `https:`: a private CA, a client certificate (default: Node's trust store). */
  tls?: Pick<HttpsRequestOptions, 'ca' | 'cert' | 'key' | 'servername' | 'rejectUnauthorized'>;
}

const WHERE = 'httpCheck()';

/**
 * A check of an HTTP endpoint: healthy when it answers with an expected status. Each run opens a
 * connection of its own and closes it once the status line is in (the body is never read), or
 * when the timeout aborts it; the run settles only after the socket has closed. The request is
 * sent in a suppressed context, so breakwater's own breakers (and tracing) leave it alone: an
 * open breaker must not hide the dependency's recovery from its health check.
 */
export function httpCheck(options: HttpCheckOptions): CheckRegistration {
  optionsObject(WHERE, options);
  const url = parseUrl(options.url);
  const method = options.method ?? 'GET';
  if (method !== 'GET' && method !== 'HEAD') fail(WHERE, 'method', "'GET' or 'HEAD'", method);
  const spec = options.expectStatus ?? '200-299';
  const expected = statusSet(spec);
  const headers = options.headers ?? {};
  if (typeof headers !== 'object' || headers === null || Object.values(headers).some((v) => typeof v !== 'string')) {
    fail(WHERE, 'headers', 'an object of header name -> string', headers);
  }
  const tls = options.tls ?? {};
  if (typeof tls !== 'object' || tls === null) fail(WHERE, 'tls', 'an object of TLS options', tls);
  const expectedText = Array.isArray(spec) ? spec.join(',') : String(spec);
  // Fetched, not imported: importing node:http(s) as ES modules would be most of what importing
  // breakwater costs (bench/README.md, import cost).
  const send = process.getBuiltinModule(url.protocol === 'https:' ? 'node:https' : 'node:http').request;

  function check(signal: AbortSignal): Promise<CheckResult> {
    return new Promise((resolve, reject) => {
      let result: CheckResult | undefined;
      let failure: unknown;
      const { context } = otelApi();
      const req = context.with(suppressTracing(context.active()), () =>
        send(url, { ...tls, method, headers: { ...headers }, agent: false, signal }),
      );
      // Unref'd like the manager's timers: a background run never holds the process (an awaited runAll() does, by its timer).
      req.once('socket', (socket) => socket.unref());
      req.once('response', (res) => {
        const status = res.statusCode ?? 0;
        const ok = expected[status] === 1;
        result = {
          status: ok ? 'healthy' : 'unhealthy',
          message: ok ? `HTTP ${status}` : `HTTP ${status}, expected ${expectedText}`,
          details: { status_code: status },
        };
        res.on('error', () => {}); // the body is cut off on purpose
        req.destroy();
      });
      req.on('error', (error) => {
        failure ??= error;
      });
      req.once('close', () => (result !== undefined ? resolve(result) : reject(failureError('request', failure))));
      req.end();
    });
  }

  return dependencyRegistration(WHERE, options, 'custom', check);
}

function parseUrl(value: unknown): URL {
  let url: URL | undefined;
  try {
    url = typeof value === 'string' || value instanceof URL ? new URL(value) : undefined;
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    fail(WHERE, 'url', 'an http: or https: URL', value instanceof URL ? value.href : value);
  }
  return url;
}

function statusSet(spec: unknown): Uint8Array {
  const rule = "HTTP statuses (100-599) or ranges like '200-299', comma separated, or an array of statuses";
  let table: Uint8Array;
  try {
    table = parseHttpFailureStatus(spec as string | readonly number[], new OptionChecker(WHERE), 'expectStatus');
  } catch {
    fail(WHERE, 'expectStatus', rule, spec); // the rule of a status set, not of failure statuses
  }
  if (!table.includes(1)) fail(WHERE, 'expectStatus', rule, spec);
  return table;
}
