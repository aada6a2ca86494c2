/**
 * One protected undici dispatch: the handler breakwater puts between the dispatcher and the
 * caller's handler (fetch's, `undici.request`'s, …). It settles the permit exactly once and, when
 * retry is on and the request is replayable, sends the same dispatch options again — all inside the
 * one permit, so the breaker sees one outcome.
 *
 * Outcome rules (the same as node:http's, see http-outcome.ts):
 * - response headers settle the permit: a failure when the status counts as one (with the server's
 *   `Retry-After` on 429/503), else a success. The body is the caller's business, so a body that is
 *   never read still settles.
 * - an error before the headers is a failure (refused, reset, DNS, TLS, undici's own timeouts);
 *   a caller's abort before them (AbortController, `AbortSignal.timeout`, a closed fetch body)
 *   follows the rule of abandoned-call.ts: a failure for a timeout or after `abortGraceMs`, else ignored.
 * - `callTimeoutMs`: no headers by then, and the attempt is aborted with a CallTimeoutError.
 * - an error after the headers (the body broke off) changes nothing: the permit is already settled.
 *
 * undici has two handler contracts: the legacy one (onConnect/onHeaders/onData/onComplete/onError,
 * used by Node's bundled undici 6 and 7 and the legacy global dispatcher slot) and the current one
 * (onRequestStart/onResponseStart/…/onResponseError, undici 7+ and the only one in undici 8). A
 * dispatcher decides which one it is talking to by whether the handler has `onRequestStart`, so
 * each contract gets its own class and the caller's handler is wrapped in the one it speaks.
 */
import type { CircuitBreaker } from '../breaker/circuit-breaker.js';
import { retryDelayMs, worthRetrying } from '../breaker/retry-rule.js';
import { CallTimeoutError } from '../breaker/errors.js';
import { deliverRejection } from '../common/rejection-turns.js';
import type { Permit } from '../breaker/types.js';
import type { ClientContext } from './client-context.js';
import { abandonedIsFailure, abandonError } from './abandoned-call.js';
import { HttpStatusError, retryAfterApplies } from './http-outcome.js';
import { parseRetryAfter } from './retry-after.js';
import { headerValue, type DispatchOptions, type ResolvedFetchRetry } from './undici-request.js';

export interface Dispatcher {
  dispatch(opts: DispatchOptions, handler: object): boolean;
}

/** Sends a dispatch for a retry; supplied by undici-dispatcher.ts so nested protection is skipped. */
export type Redispatch = (target: Dispatcher, opts: DispatchOptions, handler: object) => boolean;

type AbortFn = (reason?: unknown) => void;

export interface LegacyHandler {
  onConnect?(abort: AbortFn, context?: unknown): void;
  onHeaders?(statusCode: number, headers: unknown, resume: () => void, statusText?: string): boolean | void;
  onData?(chunk: Buffer): boolean | void;
  onComplete?(trailers: unknown): void;
  onError?(err: Error): void;
  onUpgrade?(statusCode: number, headers: unknown, socket: unknown): void;
  onBodySent?(chunk: unknown, ...rest: unknown[]): void;
  onRequestSent?(): void;
  onResponseStarted?(): void;
}

export interface RequestController {
  abort(reason?: unknown): void;
  pause(): void;
  resume(): void;
  readonly aborted: boolean;
  readonly paused: boolean;
  readonly reason: unknown;
  rawHeaders?: unknown;
  rawTrailers?: unknown;
}

export interface ModernHandler {
  onRequestStart?(controller: RequestController, context: unknown): void;
  onRequestUpgrade?(controller: RequestController, statusCode: number, headers: unknown, socket: unknown): void;
  onResponseStart?(controller: RequestController, statusCode: number, headers: unknown, statusMessage?: string): void;
  onResponseData?(controller: RequestController, chunk: Buffer): void;
  onResponseEnd?(controller: RequestController, trailers: unknown): void;
  onResponseError?(controller: RequestController | null, err: Error): void;
  onRequestSent?(): void;
  onResponseStarted?(): void;
}

export interface CallSetup {
  ctx: ClientContext;
  breaker: CircuitBreaker;
  permit: Permit;
  target: Dispatcher;
  opts: DispatchOptions;
  /** Present only when retry is on and `opts` is replayable. */
  retry: ResolvedFetchRetry | undefined;
  redispatch: Redispatch;
}

/** Whether a handler speaks undici's current contract (the test undici itself makes). */
export function isModernHandler(handler: object): handler is ModernHandler {
  return typeof (handler as ModernHandler).onRequestStart === 'function';
}

/**
 * Answers a dispatch that the breaker did not permit, the way a dispatcher answers a failed one;
 * past this turn's rejection budget, on setImmediate, so a tight retry loop leaves room for timers
 * and I/O. A handler that cannot take an error gets the throw at once, as before.
 */
export function rejectDispatch(handler: object, err: Error): void {
  if (isModernHandler(handler)) {
    if (typeof handler.onResponseError !== 'function') throw err;
    deliverRejection(modernError, handler, err);
  } else {
    if (typeof (handler as LegacyHandler).onError !== 'function') throw err;
    deliverRejection(legacyError, handler as LegacyHandler, err);
  }
}

function modernError(handler: ModernHandler, err: Error): void {
  handler.onResponseError!(null, err);
}

function legacyError(handler: LegacyHandler, err: Error): void {
  handler.onError!(err);
}

abstract class ProtectedDispatch {
  protected readonly setup: CallSetup;
  /** The permit has its outcome. */
  protected settled = false;
  /** The caller's handler got its last event: everything after is swallowed. */
  protected finished = false;
  /** The caller's handler got its start event (onConnect / onRequestStart) — only ever once. */
  protected started = false;
  /** The running attempt has started and can be aborted. */
  protected live = false;
  /** The current attempt's failed response is read to its end, unseen by the caller, before a retry. */
  protected draining = false;
  protected callerAborted = false;
  protected abortReason: unknown;
  private attempt = 1;
  private timer: NodeJS.Timeout | undefined;
  /** The `Retry-After` of the response a retry follows: the retry waits at least that long. */
  private serverWaitMs = 0;
  private readonly startedAt = Date.now();
  /** The `callTimeoutMs` timer, cleared once the permit is settled. */
  private deadline: NodeJS.Timeout | undefined;
  /** The failure the pending retry follows: the call's outcome if the retry is called off. */
  private retryingAfter: unknown;

  constructor(setup: CallSetup) {
    this.setup = setup;
    const timeoutMs = setup.breaker.callTimeoutMs;
    if (timeoutMs !== undefined) {
      this.deadline = setTimeout(() => this.callerAbort(new CallTimeoutError(setup.breaker.name, timeoutMs)), timeoutMs).unref();
    }
  }

  /** Abort the running attempt (it has started). */
  protected abstract abortAttempt(reason: unknown): void;
  /** Hand the caller its final error. */
  protected abstract deliverError(err: Error): void;

  /** The caller aborted, through the abort function / controller it got from us. */
  protected callerAbort(reason: unknown): void {
    if (this.callerAborted || this.finished) return;
    this.callerAborted = true;
    this.abortReason = reason;
    if (this.live) {
      this.abortAttempt(reason);
      return;
    }
    // Between attempts (a retry is waiting, or the new attempt has not started): end it here.
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.settleAbort(reason);
    this.finish();
    this.deliverError(toError(reason));
  }

  /** An attempt started; returns false when the caller already aborted (the attempt is stopped). */
  protected attemptStarted(): boolean {
    this.live = true;
    if (this.callerAborted) {
      this.abortAttempt(this.abortReason);
      return false;
    }
    return true;
  }

  /**
   * Status line of the response (or of an accepted upgrade, whose 101 settles too); true when the
   * caller's handler should see the response.
   */
  protected responseStarted(status: number, headers: unknown, upgrade = false): boolean {
    if (this.settled || (status < 200 && !upgrade)) return true;
    const { ctx, permit } = this.setup;
    try {
      if (!ctx.isFailureStatus(status)) {
        this.markSettled();
        permit.success();
        return true;
      }
      const retryAfterMs = retryAfterApplies(status) ? parseRetryAfter(headerValue(headers, 'retry-after')) : undefined;
      const err = new HttpStatusError(status, retryAfterMs);
      // A server that asks for a longer pause than a retry may wait gets its answer passed on.
      if (this.mayRetry(err) && (retryAfterMs === undefined || retryAfterMs <= this.setup.retry!.maxDelayMs)) {
        this.draining = true;
        this.serverWaitMs = retryAfterMs ?? 0;
        this.retryingAfter = err;
        return false;
      }
      this.markSettled();
      permit.failure(err, retryAfterMs);
    } catch (err) {
      this.internalFault(err);
    }
    return true;
  }

  /** The response (or upgrade) is complete; false when it was a drained failure and a retry follows. */
  protected responseEnded(): boolean {
    this.live = false;
    if (!this.draining) return true;
    this.draining = false;
    this.retryLater();
    return false;
  }

  /** The attempt failed; true when the caller's handler should get the error, false when a retry follows. */
  protected attemptFailed(err: unknown, abortedByCaller: boolean): boolean {
    this.live = false;
    this.draining = false;
    if (this.settled) return true;
    if (abortedByCaller || this.callerAborted) {
      this.settleAbort(this.callerAborted ? this.abortReason : err, err);
      return true;
    }
    try {
      if (this.mayRetry(err)) {
        this.retryingAfter = err;
        this.retryLater();
        return false;
      }
      this.markSettled();
      this.setup.permit.failure(err);
    } catch (fault) {
      this.internalFault(fault);
    }
    return true;
  }

  /** The caller's handler got its last event. */
  protected finish(): void {
    this.finished = true;
  }

  private settleAbort(reason: unknown, err?: unknown): void {
    if (this.settled) return;
    this.markSettled();
    try {
      const elapsedMs = Date.now() - this.startedAt;
      if (abandonedIsFailure(elapsedMs, this.setup.ctx.abortGraceMs, reason, err)) this.setup.permit.failure(abandonError(elapsedMs, reason, err));
      else this.setup.permit.ignore();
    } catch (fault) {
      this.internalFault(fault);
    }
  }

  private markSettled(): void {
    this.settled = true;
    if (this.deadline !== undefined) clearTimeout(this.deadline);
  }

  private mayRetry(err: unknown): boolean {
    const { retry, breaker, ctx } = this.setup;
    if (retry === undefined || this.attempt >= retry.attempts || this.callerAborted) return false;
    // Another call opened the breaker meanwhile: the destination is known to be down.
    if (breaker.state === 'open') return false;
    return worthRetrying(retry, err, this.attempt, true, (e) => breaker.countsAsFailure(e), (fault) =>
      ctx.diag.error('breakwater: retry.retryOn threw; not retrying', fault),
    );
  }

  private retryLater(): void {
    const { retry } = this.setup;
    const r = retry!;
    const backoff = retryDelayMs(r, this.attempt, Math.random);
    const delay = Math.max(backoff, this.serverWaitMs);
    this.serverWaitMs = 0;
    // Not unref()ed, unlike breakwater's other timers: this one stands for a request the caller is
    // awaiting (its socket would hold the process open too), and it is bounded by maxDelayMs.
    this.timer = setTimeout(() => {
      this.timer = undefined;
      // Another call may have opened the breaker during the wait: the retry is not sent.
      if (this.setup.breaker.state === 'open') this.callOff();
      else {
        this.attempt++;
        this.sendAgain();
      }
    }, delay);
  }

  /** Ends the call instead of retrying: the last failure is its outcome, the caller gets the breaker's CircuitOpenError. */
  private callOff(): void {
    const { breaker, permit } = this.setup;
    let err: Error;
    try {
      err = breaker.openError();
      this.markSettled();
      permit.failure(this.retryingAfter);
    } catch (fault) {
      this.internalFault(fault);
      err = toError(this.retryingAfter);
    }
    this.finish();
    this.deliverError(err);
  }

  private sendAgain(): void {
    const { target, opts, redispatch } = this.setup;
    try {
      redispatch(target, opts, this);
    } catch (err) {
      // The dispatcher refused synchronously (closed, destroyed): that is this attempt's failure.
      if (this.attemptFailed(err, false) && !this.finished) {
        this.finish();
        this.deliverError(toError(err));
      }
    }
  }

  /** Our own bookkeeping threw: report it, leave the permit ignored, never disturb the request. */
  protected internalFault(err: unknown): void {
    this.setup.ctx.diag.error('breakwater: internal error in the fetch/undici patch; request continues', err);
    if (!this.settled) {
      this.markSettled();
      try {
        this.setup.permit.ignore();
      } catch {
        // nothing more to do
      }
    }
  }

  /** The dispatch threw before any event (bad options): nothing to judge the destination by. */
  abandon(): void {
    if (this.settled) return;
    this.markSettled();
    this.setup.permit.ignore();
  }
}

function toError(reason: unknown): Error {
  return reason instanceof Error ? reason : new Error(String(reason), { cause: reason });
}

/** Wraps a handler of the legacy contract (Node's global fetch on Node 22 and 24, undici <= 7). */
export class LegacyCall extends ProtectedDispatch {
  private readonly handler: LegacyHandler;
  private abortCurrent: AbortFn | undefined;
  private readonly abortByCaller: AbortFn = (reason) => this.callerAbort(reason);

  constructor(setup: CallSetup, handler: LegacyHandler) {
    super(setup);
    this.handler = handler;
  }

  protected abortAttempt(reason: unknown): void {
    this.abortCurrent?.(reason);
  }

  protected deliverError(err: Error): void {
    this.handler.onError?.(err);
  }

  onConnect(abort: AbortFn, context?: unknown): void {
    if (this.finished) {
      abort(this.abortReason);
      return;
    }
    this.abortCurrent = abort;
    if (!this.attemptStarted() || this.started) return;
    this.started = true;
    this.handler.onConnect?.(this.abortByCaller, context);
  }

  onHeaders(statusCode: number, headers: unknown, resume: () => void, statusText?: string): boolean | void {
    if (this.finished) return;
    if (!this.responseStarted(statusCode, headers)) return true;
    return this.handler.onHeaders?.(statusCode, headers, resume, statusText);
  }

  onData(chunk: Buffer): boolean | void {
    if (this.finished || this.draining) return true;
    return this.handler.onData?.(chunk);
  }

  onComplete(trailers: unknown): void {
    if (this.finished || !this.responseEnded()) return;
    this.finish();
    this.handler.onComplete?.(trailers);
  }

  onError(err: Error): void {
    if (this.finished || !this.attemptFailed(err, false)) return;
    this.finish();
    if (typeof this.handler.onError !== 'function') throw err;
    this.handler.onError(err);
  }

  onUpgrade(statusCode: number, headers: unknown, socket: unknown): void {
    if (this.finished) return;
    this.responseStarted(statusCode, headers, true);
    this.responseEnded();
    this.finish();
    this.handler.onUpgrade?.(statusCode, headers, socket);
  }

  onBodySent(chunk: unknown, ...rest: unknown[]): void {
    if (!this.finished) this.handler.onBodySent?.(chunk, ...rest);
  }

  onRequestSent(): void {
    if (!this.finished) this.handler.onRequestSent?.();
  }

  onResponseStarted(): void {
    if (!this.finished) this.handler.onResponseStarted?.();
  }
}

/**
 * Wraps a handler of the current contract (undici 7+, undici 8's request/fetch/stream). The caller
 * gets one controller for the whole call, so an abort after a retry reaches the running attempt.
 */
export class ModernCall extends ProtectedDispatch implements RequestController {
  private readonly handler: ModernHandler;
  private controller: RequestController | undefined;

  constructor(setup: CallSetup, handler: ModernHandler) {
    super(setup);
    this.handler = handler;
  }

  // RequestController, as the caller's handler sees it.
  abort(reason?: unknown): void {
    this.callerAbort(reason);
  }
  pause(): void {
    this.controller?.pause();
  }
  resume(): void {
    this.controller?.resume();
  }
  get aborted(): boolean {
    return this.callerAborted || this.controller?.aborted === true;
  }
  get paused(): boolean {
    return this.controller?.paused === true;
  }
  get reason(): unknown {
    return this.callerAborted ? this.abortReason : this.controller?.reason;
  }
  get rawHeaders(): unknown {
    return this.controller?.rawHeaders;
  }
  get rawTrailers(): unknown {
    return this.controller?.rawTrailers;
  }

  protected abortAttempt(reason: unknown): void {
    this.controller?.abort(reason);
  }

  protected deliverError(err: Error): void {
    this.handler.onResponseError?.(this, err);
  }

  // The handler undici calls. Named methods of the contract, so the class is both the caller's
  // controller and undici's handler without a second object per request.
  onRequestStart(controller: RequestController, context: unknown): void {
    if (this.finished) {
      controller.abort(this.abortReason);
      return;
    }
    this.controller = controller;
    if (!this.attemptStarted() || this.started) return;
    this.started = true;
    this.handler.onRequestStart?.(this, context);
  }

  onResponseStart(controller: RequestController, statusCode: number, headers: unknown, statusMessage?: string): void {
    if (this.finished) return;
    this.controller = controller;
    if (!this.responseStarted(statusCode, headers)) return;
    this.handler.onResponseStart?.(this, statusCode, headers, statusMessage);
  }

  onResponseData(_controller: RequestController, chunk: Buffer): void {
    if (this.finished || this.draining) return;
    this.handler.onResponseData?.(this, chunk);
  }

  onResponseEnd(_controller: RequestController, trailers: unknown): void {
    if (this.finished || !this.responseEnded()) return;
    this.finish();
    this.handler.onResponseEnd?.(this, trailers);
  }

  onResponseError(controller: RequestController | null, err: Error): void {
    if (this.finished) return;
    // undici hands an aborted controller for a caller's abort, even one made while the request was
    // still queued; breakwater itself never aborts on its own.
    if (!this.attemptFailed(err, controller?.aborted === true)) return;
    this.finish();
    if (typeof this.handler.onResponseError !== 'function') throw err;
    this.handler.onResponseError(this, err);
  }

  onRequestUpgrade(controller: RequestController, statusCode: number, headers: unknown, socket: unknown): void {
    if (this.finished) return;
    this.controller = controller;
    this.responseStarted(statusCode, headers, true);
    this.responseEnded();
    this.finish();
    this.handler.onRequestUpgrade?.(this, statusCode, headers, socket);
  }

  onRequestSent(): void {
    if (!this.finished) this.handler.onRequestSent?.();
  }

  onResponseStarted(): void {
    if (!this.finished) this.handler.onResponseStarted?.();
  }
}
