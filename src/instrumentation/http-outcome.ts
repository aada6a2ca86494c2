import type { Permit } from '../breaker/types.js';
import { abandonedIsFailure, abandonError, NoResponseError } from './abandoned-call.js';
import { parseRetryAfter } from './retry-after.js';

/**
 * The outcome rules for one protected node:http(s) exchange, kept free of node:http so they can
 * be read (and tested) on their own. http.ts feeds it the request's events; it settles the
 * permit exactly once:
 *
 * - response headers: a failure when the status counts as one (with the server's `Retry-After`
 *   on 429/503), else a success; the body is none of the breaker's business, so a body that is
 *   never read still settles;
 * - an error: a failure (refused, reset, DNS, TLS, timeout);
 * - the caller destroyed or aborted the request before the headers: the rule of abandoned-call.ts
 *   (a failure after a `timeout` event, with a timeout error, or after `abortGraceMs`; else ignored);
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

/** Decides how an exchange counts (the ClientContext is one). */
export interface ExchangeRules {
  isFailureStatus(status: number): boolean;
  /** Below this, a request the caller gives up on before the headers is ignored (abandoned-call.ts). */
  readonly abortGraceMs: number;
}

export class HttpExchangeOutcome {
  private settled = false;
  private timedOut = false;
  private callerDestroyed = false;
  private callerError: unknown;
  private readonly startedAt: number;
  /** The `callTimeoutMs` timer, cleared once the exchange is settled. */
  deadline: NodeJS.Timeout | undefined;

  constructor(
    private readonly permit: Permit,
    private readonly rules: ExchangeRules,
    private readonly now: () => number = Date.now,
  ) {
    this.startedAt = now();
  }

  get isSettled(): boolean {
    return this.settled;
  }

  /** Response headers arrived (also `upgrade` / `connect`, whose status is 101 / 200). */
  response(status: number, retryAfterHeader: string | readonly string[] | undefined): void {
    if (!this.settle()) return;
    if (!this.rules.isFailureStatus(status)) {
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
    if (!this.settle()) return;
    if (this.callerDestroyed) {
      this.callerGaveUp(err);
      return;
    }
    if (onReusedSocket && (err as { code?: unknown } | null)?.code === 'ECONNRESET') this.permit.ignore();
    else this.permit.failure(err);
  }

  close(): void {
    if (!this.settle()) return;
    if (this.callerDestroyed || this.timedOut) this.callerGaveUp(undefined);
    else this.permit.ignore();
  }

  /** The request never got going (Node threw while starting it): the permit must not leak. */
  abandon(): void {
    if (this.settle()) this.permit.ignore();
  }

  private callerGaveUp(err: unknown): void {
    const elapsedMs = this.now() - this.startedAt;
    // After a socket `timeout` event the caller's error (or Node's hang-up) says how it ended.
    if (this.timedOut) this.permit.failure(err ?? this.callerError ?? new NoResponseError(elapsedMs));
    else if (abandonedIsFailure(elapsedMs, this.rules.abortGraceMs, this.callerError, err)) this.permit.failure(abandonError(elapsedMs, this.callerError, err));
    else this.permit.ignore();
  }

  /** Marks the exchange settled; false when it already was. */
  private settle(): boolean {
    if (this.settled) return false;
    this.settled = true;
    if (this.deadline !== undefined) clearTimeout(this.deadline);
    return true;
  }
}
