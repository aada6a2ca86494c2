/**
 * The rule for a call its caller gave up on before any response (HTTP headers, a gRPC message or
 * metadata), shared by every client:
 *
 * - given up because of a timeout (got's and axios' timeout errors, `AbortSignal.timeout()`, a
 *   socket `timeout` event, breakwater's own `callTimeoutMs`): a failure, the destination was too slow;
 * - given up with no reason after `abortGraceMs` or more (ky, node-fetch, superagent and needle
 *   time out by a bare `abort()` / `destroy()`): a failure too, for the same reason;
 * - given up sooner than that: a user's cancel or a lost race, which says nothing about the
 *   destination: ignored.
 *
 * After the response has started, giving up is the caller's business: the call is settled already.
 */

/**
 * Default `abortGraceMs`. A cancel that fast is a click, a navigation or a race another answer
 * won; client timeouts in the wild are ten times that or more (ky's default is 10 s). Kept short
 * because its error is the costly one: an abandoned call wrongly ignored hides a hung destination,
 * while a cancel wrongly counted needs `failureThreshold` of them in a row to matter.
 */
export const DEFAULT_ABORT_GRACE_MS = 100;

// ECONNABORTED is what axios' http adapter gives its own timeout (unless clarifyTimeoutError).
const TIMEOUT_CODES = new Set([
  'ETIMEDOUT',
  'ESOCKETTIMEDOUT',
  'ECONNABORTED',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
]);

/**
 * Errors that clients make when their own timer fires: got's TimeoutError, axios' ECONNABORTED /
 * ETIMEDOUT, breakwater's CallTimeoutError, and the AbortError Node makes from an
 * `AbortSignal.timeout()` (its cause is the signal's TimeoutError).
 */
export function isTimeoutError(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const { code, name, cause } = err as { code?: unknown; name?: unknown; cause?: unknown };
  if ((typeof code === 'string' && TIMEOUT_CODES.has(code)) || name === 'TimeoutError') return true;
  return name === 'AbortError' && typeof cause === 'object' && cause !== null && (cause as { name?: unknown }).name === 'TimeoutError';
}

/** Whether a call given up on before any response counts as a failure of its destination. */
export function abandonedIsFailure(elapsedMs: number, graceMs: number, reason: unknown, err?: unknown): boolean {
  return elapsedMs >= graceMs || isTimeoutError(reason) || isTimeoutError(err);
}

/**
 * What the breaker's `failure` event and `isFailure` see for a call abandoned without a timeout
 * error of its own. Its code says what happened to the destination: it did not answer in time.
 */
export class NoResponseError extends Error {
  readonly code = 'ETIMEDOUT';
  readonly elapsedMs: number;

  constructor(elapsedMs: number, cause?: unknown) {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0; // never thrown to anyone: a stack would be pure cost
    super(`no response after ${Math.round(elapsedMs)} ms; the caller gave up`, cause === undefined ? undefined : { cause });
    Error.stackTraceLimit = limit;
    this.elapsedMs = elapsedMs;
  }
}
Object.defineProperty(NoResponseError.prototype, 'name', { value: 'NoResponseError', configurable: true, writable: true });

/** The error to report for an abandoned call: its own timeout error, or a NoResponseError. */
export function abandonError(elapsedMs: number, reason: unknown, err?: unknown): unknown {
  if (isTimeoutError(reason)) return reason;
  if (isTimeoutError(err)) return err;
  return new NoResponseError(elapsedMs, reason ?? err);
}
