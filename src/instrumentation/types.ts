import type { InstrumentationConfig } from '@opentelemetry/instrumentation';
import type { CircuitBreakerOptions, RetryOptions } from '../breaker/types.js';
import type { HostPattern } from '../config/host-patterns.js';
import type { ShowDetails } from '../health/check-types.js';
import type { HealthCheckManager } from '../health/manager.js';

/** The clients BreakwaterInstrumentation can protect. */
export type InstrumentedClient = 'http' | 'fetch' | 'grpc';

/** Options that every auto-created breaker shares; the name and attributes come from the destination. */
export type AutoBreakerOptions = Omit<CircuitBreakerOptions, 'name' | 'attributes' | 'initialState'>;

export interface BreakwaterInstrumentationConfig extends InstrumentationConfig {
  /**
   * Options for every breaker the instrumentation creates (one per destination `host:port`,
   * or per gRPC channel target). Same names as `new CircuitBreaker(...)`. `callTimeoutMs` applies
   * to every protected request: no response by then, and it is aborted with a `CallTimeoutError`.
   * @default the CircuitBreaker defaults (5 consecutive failures open it for 5 s, doubling up to 60 s),
   * plus `slowCallDurationMs: 30_000` (`undefined` turns it off)
   */
  breaker?: AutoBreakerOptions;
  /**
   * Per-destination overrides, merged over `breaker` when a destination's breaker is created.
   * Keys are destination patterns: `'api.example.com:443'`, `'api.example.com'` (any port),
   * `'*.example.com'` (subdomains). The first matching key in insertion order wins.
   * @example { 'payments.internal:8443': { failureThreshold: 2, openTimeoutMs: 30_000 } }
   */
  destinations?: Record<string, AutoBreakerOptions>;
  /**
   * Which clients to protect.
   * @default ['http', 'fetch', 'grpc']
   */
  instrument?: InstrumentedClient[];
  /**
   * Destinations whose calls are never wrapped: `'localhost'`, `'*.internal'`, `'db:5432'`, or a
   * RegExp tested against the host name. Calls made by OTel exporters are never wrapped anyway.
   * @default []
   */
  excludeHosts?: HostPattern[];
  /**
   * HTTP response statuses that count as a failure of the destination, as a list with ranges
   * (`'408,429,500-599'`) or an array of numbers. Other statuses count as a success.
   * @default '408,429,500-599'
   */
  httpFailureStatus?: string | number[];
  /**
   * gRPC status codes (numbers or names) that count as a failure of the destination.
   * @default ['UNAVAILABLE', 'DEADLINE_EXCEEDED', 'RESOURCE_EXHAUSTED', 'INTERNAL', 'UNKNOWN']
   */
  grpcFailureCodes?: (string | number)[];
  /**
   * Upper bound on live auto-created breakers; when reached, the least recently used one is
   * evicted (with its metric series). The default keeps every series within the OTel SDK's
   * default cardinality limit of 2000 per metric (see `breakwaterViews()` to go higher).
   * @default 250
   */
  maxBreakers?: number;
  /**
   * Opt-in retry of idempotent requests (GET, HEAD, OPTIONS, PUT, DELETE) made with global
   * `fetch` or undici, inside the destination's breaker (the retries are one call for it).
   * @default undefined (no retry)
   */
  retry?: RetryOptions;
  /**
   * A request the caller gives up on (aborts, destroys, cancels) before any response counts as a
   * failure of its destination (`ETIMEDOUT`: it did not answer in time) once it has waited this
   * long; sooner, it is a user's cancel or a lost race and is ignored. A caller's timeout error
   * counts at any time. After the response has started, giving up is always ignored.
   * @default 100
   */
  abortGraceMs?: number;
  /**
   * Also record `circuit_breaker.call.duration` (histogram, seconds) for every permitted call.
   * Off by default: unlike the counters, a histogram costs something on every call.
   * @default false
   */
  durationHistogram?: boolean;
  /**
   * Where breaker events (`circuit_breaker.state_change`, `circuit_breaker.rejected`) are reported,
   * inside the call that caused them: as span events on its active span (`spans`), and as OTel log
   * records through the logs API (`logs`; rejections at most one record per breaker per second, with
   * the count since the previous one). A target left out is on. Off both ways, breakers get no
   * event listener at all.
   * @default { spans: true, logs: true }
   */
  events?: BreakwaterEventsOptions;
  /**
   * Health checks run by the instrumentation while it is enabled: a system check (event loop,
   * memory, CPU, disk) and one check over the breakers (open breakers degrade the service), the
   * `health_check.*` metrics, and, with `port`, the `/health`, `/livez` and `/readyz` endpoint.
   * `true` means `{}` (checks and metrics, no HTTP server).
   * @default undefined (no health checks)
   */
  health?: boolean | BreakwaterHealthOptions;
}

export interface BreakwaterEventsOptions {
  /** Span events on the active span. @default true */
  spans?: boolean;
  /** Log records through the OTel logs API (log-based events). @default true */
  logs?: boolean;
}

export interface BreakwaterHealthOptions {
  /** Your own manager (with your checks); the built-in checks are added to it. Default: a new one. */
  manager?: HealthCheckManager;
  /** Add the built-in `system` check. @default true */
  system?: boolean;
  /**
   * Add `circuit_breakers` (this instrumentation's destination breakers) and
   * `circuit_breakers.decorated` (`@circuitBreaker` / defaultRegistry ones). @default true
   */
  breakers?: boolean;
  /** Serve the health endpoint on this port (0 = any free port). Default: no server. */
  port?: number;
  /** Address the endpoint binds (`0.0.0.0` to be reached from outside). @default '127.0.0.1' */
  host?: string;
  /** Interval between check runs of a manager the instrumentation creates. @default 10_000 */
  checkIntervalMs?: number;
  /** Who sees check messages and details on `/health` (a manager the instrumentation creates). @default 'never' */
  showDetails?: ShowDetails;
  /** How long `health.drain()` waits before resolving (a manager the instrumentation creates). @default 0 */
  shutdownDelayMs?: number;
}
