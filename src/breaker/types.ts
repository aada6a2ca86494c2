/**
 * The breaker's public contract. Every other part of breakwater (telemetry, instrumentation,
 * health) builds on these shapes; change them only together with their users.
 */

export type CircuitState = 'closed' | 'open' | 'half_open';

/** How a settled call counted: `ignored` calls neither trip nor close the breaker. */
export type CallOutcome = 'success' | 'failure' | 'ignored';

/** `'closed->open'`, `'open->half_open'`, `'half_open->closed'`, `'half_open->open'`, … */
export type TransitionKey = `${CircuitState}->${CircuitState}`;

/** Source of time in epoch milliseconds; injected so tests never sleep. */
export interface Clock {
  now(): number;
}

export interface RetryOptions {
  /** Total attempts including the first one (>= 1). */
  attempts: number;
  /** Delay before the first retry (default 100 ms); grows by `multiplier` per attempt. */
  baseDelayMs?: number;
  /** Cap on one delay (default 5_000 ms). */
  maxDelayMs?: number;
  /** Growth factor between delays (default 2). */
  multiplier?: number;
  /** Random part of each delay, 0..1 (default 1 = "full jitter"). */
  jitter?: number;
  /** Which errors are worth another attempt (default: every error that counts as a failure). */
  retryOn?: (err: unknown, attempt: number) => boolean;
}

/** Options of one `execute()` call; they override the breaker-wide defaults of the same name. */
export interface CallOptions<T> {
  /** Abort the call after this long; the function's AbortSignal fires and the call is a failure. */
  callTimeoutMs?: number;
  /** Value (or promise of it) used when the call is rejected or fails; gets the error. */
  fallback?: (err: unknown) => T | Promise<T>;
  /** Retry inside the breaker: the whole retry loop is one outcome for the breaker. */
  retry?: RetryOptions;
  /** Caller's own abort: aborts the call and pending retry waits; an abort is `ignored`. */
  signal?: AbortSignal;
}

export interface CircuitBreakerOptions {
  /** Name used in errors, events and telemetry (`circuit_breaker.name`). */
  name: string;
  /** Consecutive failures that open the breaker (default 5). Ignored when `failureRateThreshold` is set. */
  failureThreshold?: number;
  /** Percentage (0 < x <= 100) of failures over the sliding window that opens the breaker. */
  failureRateThreshold?: number;
  /** Number of most recent calls in the failure-rate window (default 100). */
  slidingWindowSize?: number;
  /** Calls the window must hold before the failure rate is judged (default 10, <= slidingWindowSize). */
  minimumNumberOfCalls?: number;
  /**
   * Calls that take longer than this count as failures even when they succeed; calls still in
   * flight past it count as failures while they wait (so a destination that hangs opens the breaker).
   */
  slowCallDurationMs?: number;
  /** Consecutive half-open probe successes that close the breaker (default 1). */
  successThreshold?: number;
  /** Wait in the open state after the first opening (default 5_000 ms). */
  openTimeoutMs?: number;
  /** Cap on the open wait as it grows (default 60_000 ms; >= openTimeoutMs). */
  maxOpenTimeoutMs?: number;
  /** Growth of the open wait per consecutive opening (default 2; >= 1). */
  backoffMultiplier?: number;
  /** Random part of the open wait, 0..1 (default 0): the wait is scaled by a factor in [1 - jitter, 1]. */
  jitter?: number;
  /** Concurrent probes admitted in the half-open state (default 1). */
  halfOpenMaxCalls?: number;
  /**
   * How long every probe slot may stay taken with no probe settled (default 10_000 ms): probes
   * still in flight then count as a failure, and the breaker opens again to re-probe after its wait.
   */
  halfOpenTimeoutMs?: number;
  /** Which errors count as failures (default: all). Others are `ignored`. */
  isFailure?: (err: unknown) => boolean;
  /** Classifies a value returned without throwing: return true to count it as a failure. */
  isResultFailure?: (result: unknown) => boolean;
  /** Breaker-wide default for `CallOptions.callTimeoutMs`. */
  callTimeoutMs?: number;
  /** Breaker-wide default for `CallOptions.retry`. */
  retry?: RetryOptions;
  /** Metrics-only mode: count what would be rejected, but let every call through. */
  shadow?: boolean;
  /** Extra telemetry attributes for this breaker (e.g. `server.address`, `server.port`). */
  attributes?: Readonly<Record<string, string | number>>;
  /** Start from a state saved with `toJSON()`. */
  initialState?: CircuitBreakerSnapshot;
  /** Time source (default `Date`). */
  clock?: Clock;
  /** Random source in [0, 1) for jitter (default `Math.random`). */
  random?: () => number;
}

/** `b.metrics`; invariant once every permit is settled:
 * totalCalls = successfulCalls + failedCalls + ignoredCalls + rejectedCalls. */
export interface CircuitBreakerMetrics {
  totalCalls: number;
  successfulCalls: number;
  failedCalls: number;
  ignoredCalls: number;
  rejectedCalls: number;
  /** Of `rejectedCalls`, those refused while half-open (every probe slot taken); the rest were refused while open. */
  rejectedCallsHalfOpen: number;
  stateTransitions: Partial<Record<TransitionKey, number>>;
  lastFailureTime: number | null;
  lastSuccessTime: number | null;
}

/** A permit to make one call. Exactly one outcome counts; settling again is a no-op. */
export interface Permit {
  success(): void;
  /**
   * A failure unless `isFailure(err)` says otherwise (then ignored). `retryAfterMs` (from a
   * `Retry-After` header) lengthens the open wait when this failure opens the breaker and the
   * server's wait is longer than the back-off.
   */
  failure(err?: unknown, retryAfterMs?: number): void;
  /** The call ended in a way that says nothing about the destination (e.g. the caller aborted). */
  ignore(): void;
}

/** JSON-safe state saved by `toJSON()` and restored through `initialState`. */
export interface CircuitBreakerSnapshot {
  name: string;
  state: CircuitState;
  /** Epoch ms at which the open wait ends (open state only). */
  openUntil: number | null;
  /** Consecutive openings without a successful close (drives the back-off). */
  openings: number;
  forced: boolean;
  metrics: CircuitBreakerMetrics;
}

export interface StateChangeEvent {
  name: string;
  from: CircuitState;
  to: CircuitState;
  /** Epoch ms. */
  at: number;
}

export interface BreakerEvents {
  stateChange: StateChangeEvent;
  success: { name: string; durationMs: number | null };
  failure: { name: string; error: unknown; durationMs: number | null };
  ignored: { name: string; error: unknown };
  /** A call not permitted (`shadow: true` when it was let through in shadow mode). */
  rejection: { name: string; state: CircuitState; shadow: boolean };
}
