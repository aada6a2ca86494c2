import type { CircuitState } from './types.js';

// A rejection is the hot path of an open breaker. A stack trace would cost microseconds and say
// little (the caller's own frame is in the awaiting code), so these errors are built with the
// stack-trace limit at 0 and `stack` holds just "Name: message".

function openMessage(breakerName: string, retryAfterMs: number, state: CircuitState): string {
  if (state === 'half_open') return `circuit breaker "${breakerName}" is half-open and all probe slots are taken`;
  if (retryAfterMs === Infinity) return `circuit breaker "${breakerName}" is forced open`;
  return `circuit breaker "${breakerName}" is open; retry in ${Math.ceil(retryAfterMs)} ms`;
}

/** Thrown (or given to `fallback`) when the breaker does not permit a call. */
export class CircuitOpenError extends Error {
  readonly code: 'ECIRCUITOPEN';
  readonly breakerName: string;
  /** Time left in the open wait in ms; 0 when half-open with every probe slot taken; Infinity when forced open. */
  readonly retryAfterMs: number;
  readonly state: CircuitState;

  constructor(breakerName: string, retryAfterMs: number, state: CircuitState = 'open') {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(openMessage(breakerName, retryAfterMs, state));
    Error.stackTraceLimit = limit;
    this.code = 'ECIRCUITOPEN';
    this.breakerName = breakerName;
    this.retryAfterMs = retryAfterMs;
    this.state = state;
  }
}

type Writable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * The breaker's own way to make a CircuitOpenError: even a stackless Error construction costs
 * ~200 ns, a fifth of the rejection budget. This one is a plain object on the class's prototype
 * (so `instanceof CircuitOpenError` and `instanceof Error` hold) whose `message` and `stack` are
 * computed when read.
 */
export function createOpenError(breakerName: string, retryAfterMs: number, state: CircuitState): CircuitOpenError {
  const err = Object.create(CircuitOpenError.prototype) as Writable<CircuitOpenError>;
  err.code = 'ECIRCUITOPEN';
  err.breakerName = breakerName;
  err.retryAfterMs = retryAfterMs;
  err.state = state;
  return err;
}

// Only objects from createOpenError() reach these accessors: `new` gives every instance its own
// `message` and `stack`, which shadow them.
Object.defineProperties(CircuitOpenError.prototype, {
  message: {
    get(this: CircuitOpenError) {
      return openMessage(this.breakerName, this.retryAfterMs, this.state);
    },
    set(this: CircuitOpenError, value: string) {
      Object.defineProperty(this, 'message', { value, writable: true, configurable: true, enumerable: false });
    },
    configurable: true,
    enumerable: false,
  },
  stack: {
    get(this: CircuitOpenError) {
      return `${this.name}: ${this.message}`;
    },
    set(this: CircuitOpenError, value: string) {
      Object.defineProperty(this, 'stack', { value, writable: true, configurable: true, enumerable: false });
    },
    configurable: true,
    enumerable: false,
  },
});

/** The call took longer than `callTimeoutMs`; the function's AbortSignal was aborted with it. */
export class CallTimeoutError extends Error {
  readonly code = 'ETIMEDOUT';
  readonly breakerName: string;
  readonly timeoutMs: number;

  constructor(breakerName: string, timeoutMs: number) {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(`call through circuit breaker "${breakerName}" timed out after ${timeoutMs} ms`);
    Error.stackTraceLimit = limit;
    this.breakerName = breakerName;
    this.timeoutMs = timeoutMs;
  }
}

/**
 * Reported (as the `error` of the `failure` event) when a call succeeded but took longer than
 * `slowCallDurationMs`. Never thrown to the caller, who gets the value.
 */
export class SlowCallError extends Error {
  readonly code = 'ESLOWCALL';
  readonly breakerName: string;
  readonly durationMs: number;

  constructor(breakerName: string, durationMs: number, thresholdMs: number) {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    // Durations from performance.now() carry sub-microsecond digits nobody needs in a message.
    super(`call through circuit breaker "${breakerName}" took ${Math.round(durationMs * 1000) / 1000} ms (slow above ${thresholdMs} ms)`);
    Error.stackTraceLimit = limit;
    this.breakerName = breakerName;
    this.durationMs = durationMs;
  }
}

for (const ErrorClass of [CircuitOpenError, CallTimeoutError, SlowCallError]) {
  Object.defineProperty(ErrorClass.prototype, 'name', {
    value: ErrorClass.name,
    writable: true,
    configurable: true,
    enumerable: false,
  });
}
