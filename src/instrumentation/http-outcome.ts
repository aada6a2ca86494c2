import type { Permit } from '../breaker/types.js';
import { parseRetryAfter } from './retry-after.js';

/**
 * The outcome rules for one protected node:http(s) exchange, kept free of node:http so they can
 * be read (and tested) on their own. http.ts feeds it the request's events; it settles the
 * permit exactly once:
 *
 * - response headers: a failure when the status counts as one (with the server's `Retry-After`
 *   on 429/503), else a success; the body is none of the breaker's business, so a body that is
 *   never read still settles;
 * - an error: a failure (refused, reset, DNS, TLS, timeout) unless the caller destroyed or
 *   aborted the request first, which says nothing about the destination and is ignored;
 * - a caller's destroy after a `timeout` event, or with a timeout error (got, axios), is a failure:
 *   the destination was too slow;
 * - a reset of a reused keep-alive socket before any response: ignored (see error());
 * - `close` with nothing before it: ignored (or a failure after a timeout).
 */

/** The failure reported to the breaker for a response whose status counts as one. */
export class HttpStatusError extends Error {
  readonly code = 'EHTTPSTATUS';
  readonly statusCode: number;
  /** From `Retry-After` on 429/503, when the server sent one. */
  readonly retryAfterMs: number | undefined;

  constructor(statusCode: number, retryAfterMs?: number) {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0; // never thrown to anyone: a stack would be pure cost
    super(`HTTP status ${statusCode}`);
    Error.stackTraceLimit = limit;
    this.statusCode = statusCode;
    this.retryAfterMs = retryAfterMs;
  }
}
Object.defineProperty(HttpStatusError.prototype, 'name', { value: 'HttpStatusError', configurable: true, writable: true });

/** Statuses whose `Retry-After` is a request to back off (RFC 9110: 503, RFC 6585: 429). */
export function retryAfterApplies(status: number): boolean {
  return status === 429 || status === 503;
}

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
 * ETIMEDOUT, and the AbortError Node makes from an `AbortSignal.timeout()` (its cause is the
 * signal's TimeoutError).
 */
export function isTimeoutError(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const { code, name, cause } = err as { code?: unknown; name?: unknown; cause?: unknown };
  if ((typeof code === 'string' && TIMEOUT_CODES.has(code)) || name === 'TimeoutError') return true;
  return name === 'AbortError' && typeof cause === 'object' && cause !== null && (cause as { name?: unknown }).name === 'TimeoutError';
}

/** A timeout with no error of its own (the caller destroyed without one after a `timeout` event). */
export class HttpTimeoutError extends Error {
  readonly code = 'ETIMEDOUT';
  constructor() {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super('request timed out');
    Error.stackTraceLimit = limit;
  }
}

/** Decides which statuses count as failures (the ClientContext is one). */
export interface StatusClassifier {
  isFailureStatus(status: number): boolean;
}

export class HttpExchangeOutcome {
  private settled = false;
  private timedOut = false;
  private callerDestroyed = false;
  private callerError: unknown;

  constructor(
    private readonly permit: Permit,
    private readonly statuses: StatusClassifier,
    private readonly now: () => number = Date.now,
  ) {}

  get isSettled(): boolean {
    return this.settled;
  }

  /** Response headers arrived (also `upgrade` / `connect`, whose status is 101 / 200). */
  response(status: number, retryAfterHeader: string | readonly string[] | undefined): void {
    if (this.settled) return;
    this.settled = true;
    if (!this.statuses.isFailureStatus(status)) {
      this.permit.success();
      return;
    }
    const retryAfterMs = retryAfterApplies(status) ? parseRetryAfter(retryAfterHeader, this.now()) : undefined;
    this.permit.failure(new HttpStatusError(status, retryAfterMs), retryAfterMs);
  }

  /** The socket idled past the timeout the caller set; the request goes on until someone ends it. */
  timeout(): void {
    this.timedOut = true;
  }

  /** The caller (or its AbortSignal, or a client library on its behalf) destroyed the request. */
  callerDestroy(err: unknown): void {
    if (this.settled || this.callerDestroyed) return;
    this.callerDestroyed = true;
    this.callerError = err;
  }

  /**
   * `onReusedSocket`: the request went out on a kept-alive socket. A reset there before any
   * response is the known race with a server closing an idle connection (Node documents it under
   * `request.reusedSocket`); it says nothing about the server's health, so it is ignored. A server
   * that really resets requests fails the next one, on a fresh socket.
   */
  error(err: unknown, onReusedSocket = false): void {
    if (this.settled) return;
    this.settled = true;
    const callerEnded = this.callerDestroyed && !this.timedOut && !isTimeoutError(this.callerError) && !isTimeoutError(err);
    if (callerEnded || (onReusedSocket && (err as { code?: unknown } | null)?.code === 'ECONNRESET')) {
      this.permit.ignore();
      return;
    }
    this.permit.failure(err);
  }

  close(): void {
    if (this.settled) return;
    this.settled = true;
    if (this.timedOut || isTimeoutError(this.callerError)) this.permit.failure(this.callerError ?? new HttpTimeoutError());
    else this.permit.ignore();
  }

  /** The request never got going (Node threw while starting it): the permit must not leak. */
  abandon(): void {
    if (this.settled) return;
    this.settled = true;
    this.permit.ignore();
  }
}
