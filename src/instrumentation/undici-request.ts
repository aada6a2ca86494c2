/**
 * What the fetch/undici patch reads from the options an undici dispatcher receives: where the
 * request goes, whether it may be sent again, and one response header. Pure: no undici import
 * (breakwater works with Node's bundled undici and whichever `undici` package the application has).
 */
import { resolveRetry, type ResolvedRetry } from '../breaker/options.js';
import { OptionChecker } from '../common/option-checker.js';
import type { RetryOptions } from '../breaker/types.js';
import { MAX_LABEL_LENGTH } from '../common/bounded-label.js';
import { normalHost } from '../common/host-port.js';

/** The part of undici's `Dispatcher.DispatchOptions` the patch reads. */
export interface DispatchOptions {
  origin?: string | URL | null;
  path?: string;
  method?: string;
  body?: unknown;
  upgrade?: string | boolean | null;
}

export interface UndiciDestination {
  /** Lower-case host name or IP literal, IPv6 without brackets (`::1`). */
  host: string;
  port: number;
}

const DEFAULT_PORTS: Record<string, number> = { 'http:': 80, 'https:': 443, 'ws:': 80, 'wss:': 443 };

// A process talks to few origins and fetch hands over the same origin string every time, so parsing
// each one once keeps `new URL()` off the hot path. Bounded so a crawler cannot grow it forever.
const MAX_CACHED_ORIGINS = 1024;
const destinations = new Map<string, UndiciDestination | null>();
// The last origin asked for: most requests go where the one before went, and comparing one short
// string skips hashing fetch's fresh origin string and probing the map.
let lastOrigin: string | undefined;
let lastDestination: UndiciDestination | null = null;

/**
 * The destination of a dispatch, or undefined when the origin is not an http(s)/ws(s) URL
 * (nothing to key a breaker on). Throws on an origin it cannot parse; the caller reports that and
 * lets the request through.
 */
export function undiciDestination(origin: string | URL | null | undefined): UndiciDestination | undefined {
  if (origin === null || origin === undefined) return undefined;
  const key = typeof origin === 'string' ? origin : origin.href;
  if (key === lastOrigin) return lastDestination ?? undefined;
  let cached = destinations.get(key);
  if (cached === undefined) cached = parseDestination(key, origin);
  lastOrigin = key;
  lastDestination = cached;
  return cached ?? undefined;
}

function parseDestination(key: string, origin: string | URL): UndiciDestination | null {
  const url = typeof origin === 'string' ? new URL(origin) : origin;
  const defaultPort = DEFAULT_PORTS[url.protocol];
  let found: UndiciDestination | null = null;
  if (defaultPort !== undefined) {
    found = { host: normalHost(url.hostname), port: url.port === '' ? defaultPort : Number(url.port) };
  }
  // Long origins are not kept: MAX_CACHED_ORIGINS of them could hold a lot of memory.
  if (key.length >= MAX_LABEL_LENGTH) return found;
  if (destinations.size >= MAX_CACHED_ORIGINS) destinations.clear();
  destinations.set(key, found);
  return found;
}

const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']);

/**
 * Whether the same dispatch options can be sent again after a failed attempt. Replayable: an
 * idempotent method (GET, HEAD, OPTIONS, PUT, DELETE) with no body or a body held in memory
 * (string, Buffer/Uint8Array). Not replayable: a stream, an async iterable, a Blob or FormData
 * (consumed by the first attempt), and upgrades (WebSocket, CONNECT). Node's global `fetch`
 * always hands the dispatcher a body as an async iterable, so with fetch only body-less requests
 * are retried; `undici.request` with a string or Buffer body is retried too.
 */
export function isReplayable(opts: DispatchOptions): boolean {
  if (opts.upgrade) return false;
  if (!IDEMPOTENT.has(opts.method ?? 'GET')) return false;
  const body = opts.body;
  return body === null || body === undefined || typeof body === 'string' || body instanceof Uint8Array;
}

/**
 * One response header, case-insensitively, from what undici hands a handler: a flat raw list
 * (`[name, value, name, value…]` of Buffers or strings, the legacy `onHeaders` form) or a parsed
 * object (the `onResponseStart` form).
 */
export function headerValue(headers: unknown, name: string): string | undefined {
  if (Array.isArray(headers)) {
    for (let i = 0; i + 1 < headers.length; i += 2) {
      const key: unknown = headers[i];
      const text = typeof key === 'string' ? key : Buffer.isBuffer(key) ? key.toString('latin1') : '';
      if (text.length === name.length && text.toLowerCase() === name) return headerText(headers[i + 1]);
    }
    return undefined;
  }
  if (typeof headers === 'object' && headers !== null) {
    return headerText((headers as Record<string, unknown>)[name]);
  }
  return undefined;
}

function headerText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (Buffer.isBuffer(value)) return value.toString('latin1');
  if (Array.isArray(value)) return headerText(value[0]);
  return undefined;
}

/** The breaker's own resolved retry settings: fetch retries follow the same rules and defaults. */
export type ResolvedFetchRetry = ResolvedRetry;

/**
 * The retry settings with the breaker's defaults filled in, or undefined when retry is off (or one
 * attempt). The instrumentation validated the config already; this only fills in the defaults.
 */
export function resolveFetchRetry(retry: RetryOptions | undefined): ResolvedFetchRetry | undefined {
  if (retry === undefined || !(retry.attempts > 1)) return undefined;
  return resolveRetry(new OptionChecker('BreakwaterInstrumentation'), 'retry', { ...retry, attempts: Math.floor(retry.attempts) });
}
