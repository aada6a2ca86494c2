import { nextTurn, rejectionOverBudget } from '../common/rejection-turns.js';
import { backoffMs } from './backoff.js';
import { retryDelayMs, worthRetrying } from './retry-rule.js';
import { runAttempt, sleep } from './call-runner.js';
import { createOpenError, type CircuitOpenError, SlowCallError } from './errors.js';
import { InFlightAges, UNTRACKED } from './in-flight-ages.js';
import { Listeners } from '../common/listeners.js';
import { OptionChecker } from '../common/option-checker.js';
import { resolveOptions, resolveRetry, type BreakerConfig, type ResolvedRetry } from './options.js';
import { ConsecutiveFailures, FailureRateWindow, type TripPolicy } from './policies.js';
import type {
  BreakerEvents,
  CallOptions,
  CircuitBreakerMetrics,
  CircuitBreakerOptions,
  CircuitBreakerSnapshot,
  CircuitState,
  Permit,
  TransitionKey,
} from './types.js';

/*
 * A permit is identified by a "ticket": the number of the state period it was admitted in (the
 * period changes on every transition), or one of the negative markers below. A result whose ticket
 * is not the current period started under another state: it is counted in the metrics but does not
 * move the state machine. Tickets are plain numbers so execute() allocates nothing for them.
 */
const REJECTED = -1;
/** Shadow mode let through a call it would have rejected: only inFlight tracks it. */
const SHADOW = -2;

const SUCCESS = 0;
const FAILURE = 1;
const IGNORED = 2;
type Outcome = typeof SUCCESS | typeof FAILURE | typeof IGNORED;

// The permit class lives outside CircuitBreaker but settles through its private methods; the
// static block below hands it these functions (and nothing else gets them).
let succeedPermit: (breaker: CircuitBreaker, ticket: number) => void;
let settlePermit: (
  breaker: CircuitBreaker,
  ticket: number,
  outcome: Outcome,
  error: unknown,
  start: number,
  retryAfterMs: number,
  seq: number,
) => void;

class BreakerPermit implements Permit {
  #breaker: CircuitBreaker | undefined;
  readonly #ticket: number;
  readonly #start: number;
  /** Its place among the calls in flight watched for slowness (in-flight-ages.ts). */
  readonly #seq: number;

  constructor(breaker: CircuitBreaker, ticket: number, start: number, seq: number) {
    this.#breaker = breaker;
    this.#ticket = ticket;
    this.#start = start;
    this.#seq = seq;
  }

  success(): void {
    const breaker = this.#breaker;
    if (breaker === undefined) return;
    this.#breaker = undefined;
    // Untimed (NaN start): the common case, which needs no clock reading beyond the success time.
    if (this.#start !== this.#start) succeedPermit(breaker, this.#ticket);
    else settlePermit(breaker, this.#ticket, SUCCESS, undefined, this.#start, 0, this.#seq);
  }

  failure(err?: unknown, retryAfterMs?: number): void {
    const breaker = this.#breaker;
    if (breaker === undefined) return;
    this.#breaker = undefined;
    const wait = typeof retryAfterMs === 'number' && retryAfterMs > 0 ? retryAfterMs : 0;
    settlePermit(breaker, this.#ticket, breaker.countsAsFailure(err) ? FAILURE : IGNORED, err, this.#start, wait, this.#seq);
  }

  ignore(): void {
    const breaker = this.#breaker;
    if (breaker === undefined) return;
    this.#breaker = undefined;
    settlePermit(breaker, this.#ticket, IGNORED, undefined, this.#start, 0, this.#seq);
  }
}

interface PeriodHandlers {
  ticket: number;
  onValue: (value: unknown) => unknown;
  onError: (err: unknown) => never;
}

const EVENTS: ReadonlySet<string> = new Set<keyof BreakerEvents>(['stateChange', 'success', 'failure', 'ignored', 'rejection']);

const CALL_OPTIONS: ReadonlySet<string> = new Set<keyof CallOptions<unknown>>(['callTimeoutMs', 'fallback', 'retry', 'signal']);

const rethrow = (err: unknown): never => {
  throw err;
};

/**
 * A promise rejected with `err` one microtask from now. By then the caller has attached its
 * handler, which spares Node's unhandled-rejection bookkeeping (about 300 ns per rejection).
 * Past this turn's rejection budget it rejects on setImmediate instead, so a caller retrying in a
 * tight loop cannot starve timers and I/O (see rejection-turns.ts).
 */
function rejectSoon<T>(err: unknown): Promise<T> {
  if (rejectionOverBudget()) return rejectNextTurn(err);
  return Promise.resolve(err).then(rethrow);
}

// Apart from rejectSoon(): a closure over `err` there would cost every rejection a context object.
function rejectNextTurn<T>(err: unknown): Promise<T> {
  return new Promise<T>((_, reject) => setImmediate(reject, err));
}

export class CircuitBreaker {
  readonly name: string;
  readonly attributes: Readonly<Record<string, string | number>>;

  readonly #options: BreakerConfig;
  readonly #policy: TripPolicy;
  #listeners: Listeners<BreakerEvents> | undefined;
  #handlers: PeriodHandlers | undefined;
  /** Whether calls need a start time: slow-call rule or a listener that reports durations. */
  #timed: boolean;

  #state: CircuitState = 'closed';
  #period = 0;
  #forced = false;
  #openUntil = 0;
  #openings = 0;
  #probes = 0;
  #probeSuccesses = 0;
  /** When the latest half-open probe was admitted (clock ms): bounds how long probes may hang. */
  #lastProbeAt = 0;
  #inFlight = 0;
  /** Closed-state calls in flight, oldest first; only with a slow-call rule, made on first use. */
  #ages: InFlightAges | undefined;

  #totalCalls = 0;
  #successfulCalls = 0;
  #failedCalls = 0;
  #ignoredCalls = 0;
  #rejectedCalls = 0;
  #rejectedCallsHalfOpen = 0;
  #transitions: Partial<Record<TransitionKey, number>> | undefined;
  // NaN for "never": a field that only ever holds doubles is stored unboxed, so recording a time
  // allocates nothing.
  #lastFailureTime = NaN;
  #lastSuccessTime = NaN;

  static {
    succeedPermit = (breaker, ticket) => breaker.#succeed(ticket);
    settlePermit = (breaker, ticket, outcome, error, start, retryAfterMs, seq) =>
      breaker.#settle(ticket, outcome, error, start, retryAfterMs, seq);
  }

  constructor(options: CircuitBreakerOptions) {
    const { name, attributes, initialState, config: resolved } = resolveOptions(options);
    this.#options = resolved;
    this.name = name;
    this.attributes = attributes;
    this.#policy =
      resolved.failureRateThreshold !== undefined
        ? new FailureRateWindow(resolved.failureRateThreshold, resolved.slidingWindowSize, resolved.minimumNumberOfCalls)
        : new ConsecutiveFailures(resolved.failureThreshold);
    this.#timed = resolved.slowCallDurationMs !== undefined;
    if (initialState !== undefined) this.#restore(initialState);
  }

  /** The current state; an open breaker whose wait is over becomes half-open when asked. */
  get state(): CircuitState {
    if (this.#state === 'open') this.#checkOpenWait();
    else if (this.#state === 'half_open') this.#checkProbeWait();
    return this.#state;
  }

  /** A fresh snapshot of the counters. */
  get metrics(): CircuitBreakerMetrics {
    return {
      totalCalls: this.#totalCalls,
      successfulCalls: this.#successfulCalls,
      failedCalls: this.#failedCalls,
      ignoredCalls: this.#ignoredCalls,
      rejectedCalls: this.#rejectedCalls,
      rejectedCallsHalfOpen: this.#rejectedCallsHalfOpen,
      stateTransitions: { ...this.#transitions },
      lastFailureTime: Number.isNaN(this.#lastFailureTime) ? null : this.#lastFailureTime,
      lastSuccessTime: Number.isNaN(this.#lastSuccessTime) ? null : this.#lastSuccessTime,
    };
  }

  /**
   * The breaker-wide `callTimeoutMs` (undefined when unset). execute() applies it; code that takes
   * permits with tryAcquire() applies it itself, as breakwater's client patches do.
   */
  get callTimeoutMs(): number | undefined {
    return this.#options.callTimeoutMs;
  }

  /** Permits handed out and not settled yet (shadow pass-throughs included). */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** Time left in the open wait in ms: 0 when not open, Infinity when forced open. */
  retryAfterMs(): number {
    if (this.state !== 'open') return 0;
    if (this.#forced) return Infinity;
    return Math.max(0, this.#openUntil - this.#options.clock.now());
  }

  /**
   * Runs `fn` through the breaker. Rejects with CircuitOpenError (or resolves to the `fallback`)
   * when the call is not permitted; otherwise settles with `fn`'s own result.
   */
  execute<T>(fn: (signal: AbortSignal | undefined) => T | Promise<T>, options?: CallOptions<T>): Promise<T> {
    if (typeof fn !== 'function') {
      return Promise.reject(new TypeError(`CircuitBreaker "${this.name}": execute() needs a function, got ${typeof fn}`));
    }
    const o = this.#options;
    if (options !== undefined || o.callTimeoutMs !== undefined || o.retry !== undefined) {
      return this.#executeWithOptions(fn, options);
    }
    if (this.#timed) {
      const start = this.#timedStart();
      const ticket = this.#admit();
      if (ticket === REJECTED) return rejectSoon(this.openError());
      return this.#executeTimed(fn, ticket, start === start ? start : this.#options.timer.now());
    }
    const ticket = this.#admit();
    if (ticket === REJECTED) return rejectSoon(this.openError());
    let pending: T | Promise<T>;
    try {
      pending = fn(undefined);
    } catch (err) {
      pending = Promise.reject(err);
    }
    // Settling through handlers made once per state period (not per call) keeps the success path
    // free of closures and of an extra async frame.
    let handlers = this.#handlers;
    if (handlers === undefined || handlers.ticket !== ticket) handlers = this.#handlersFor(ticket);
    return Promise.resolve(pending).then(handlers.onValue as (v: T) => T, handlers.onError);
  }

  /** A permit for one call, or undefined when the breaker does not permit it (counted as a rejection). */
  tryAcquire(): Permit | undefined {
    if (!this.#timed) {
      const ticket = this.#admit();
      return ticket === REJECTED ? undefined : new BreakerPermit(this, ticket, NaN, UNTRACKED);
    }
    let start = this.#timedStart();
    const ticket = this.#admit();
    if (ticket === REJECTED) return undefined;
    if (start !== start) start = this.#options.timer.now();
    return new BreakerPermit(this, ticket, start, this.#track(ticket, start));
  }

  /**
   * Before admitting a timed call: its start time, when the breaker is closed (and then counts the
   * calls in flight for too long first); NaN otherwise, so that a rejection reads no clock.
   */
  #timedStart(): number {
    if (this.#state !== 'closed') return NaN;
    const start = this.#options.timer.now();
    this.#countOverdue(start);
    return start;
  }

  /** Opens the breaker until `reset()`, whatever the time says. */
  forceOpen(): void {
    this.#forced = true;
    if (this.#state !== 'open') this.#transition('open', this.#options.clock.now(), false, 0);
  }

  /** Closes the breaker and forgets failures and back-off (the metrics keep counting). */
  reset(): void {
    this.#forced = false;
    this.#openings = 0;
    if (this.#state !== 'closed') {
      this.#transition('closed', this.#options.clock.now(), false, 0);
    } else {
      this.#policy.reset();
      this.#ages?.clear();
      this.#period++;
    }
  }

  /** Subscribes; returns the function that unsubscribes. Listeners run synchronously. */
  on<E extends keyof BreakerEvents>(event: E, listener: (e: BreakerEvents[E]) => void): () => void {
    if (!EVENTS.has(event)) {
      throw new TypeError(`CircuitBreaker "${this.name}": unknown event ${JSON.stringify(event)} (expected one of ${[...EVENTS].join(', ')})`);
    }
    (this.#listeners ??= new Listeners()).add(event, listener);
    this.#updateTimed();
    return () => this.off(event, listener);
  }

  off<E extends keyof BreakerEvents>(event: E, listener: (e: BreakerEvents[E]) => void): void {
    this.#listeners?.remove(event, listener);
    this.#updateTimed();
  }

  /** JSON-safe state; pass it as `initialState` to continue where this breaker stopped. */
  toJSON(): CircuitBreakerSnapshot {
    const state = this.state;
    return {
      name: this.name,
      state,
      openUntil: state === 'open' && !this.#forced ? this.#openUntil : null,
      openings: this.#openings,
      forced: this.#forced,
      metrics: this.metrics,
    };
  }

  /**
   * The CircuitOpenError for a call this breaker just refused (state and wait as of now), for
   * callers of tryAcquire() that fail the call themselves. Cheap: no stack trace is captured.
   */
  openError(): CircuitOpenError {
    const state = this.#state;
    const retryAfterMs =
      state !== 'open' ? 0 : this.#forced ? Infinity : Math.max(0, this.#openUntil - this.#options.clock.now());
    return createOpenError(this.name, retryAfterMs, state);
  }

  /**
   * Whether an error counts as a failure for this breaker: the `isFailure` filter (a throwing
   * filter says yes). Code that reports outcomes itself can use it to decide what to retry.
   */
  countsAsFailure(err: unknown): boolean {
    const isFailure = this.#options.isFailure;
    if (isFailure === undefined) return true;
    try {
      return isFailure(err) !== false;
    } catch {
      return true;
    }
  }

  /** execute() when durations are measured (slow-call rule, or success/failure listeners). */
  async #executeTimed<T>(fn: (signal: AbortSignal | undefined) => T | Promise<T>, ticket: number, start: number): Promise<T> {
    const seq = this.#track(ticket, start);
    let value: T;
    try {
      value = await fn(undefined);
    } catch (err) {
      this.#settle(ticket, this.countsAsFailure(err) ? FAILURE : IGNORED, err, start, 0, seq);
      throw err;
    }
    this.#settleValue(ticket, value, start, seq);
    return value;
  }

  #handlersFor(ticket: number): PeriodHandlers {
    const handlers: PeriodHandlers = {
      ticket,
      onValue: (value: unknown) => {
        if (this.#options.isResultFailure !== undefined && this.#isResultFailure(value)) {
          this.#settle(ticket, FAILURE, value, NaN, 0, UNTRACKED);
        } else {
          this.#succeed(ticket);
        }
        return value;
      },
      onError: (err: unknown): never => {
        this.#settle(ticket, this.countsAsFailure(err) ? FAILURE : IGNORED, err, NaN, 0, UNTRACKED);
        throw err;
      },
    };
    this.#handlers = handlers;
    return handlers;
  }

  async #executeWithOptions<T>(
    fn: (signal: AbortSignal | undefined) => T | Promise<T>,
    options: CallOptions<T> | undefined,
  ): Promise<T> {
    const o = this.#options;
    let timeoutMs = o.callTimeoutMs;
    let retry = o.retry;
    let signal: AbortSignal | undefined;
    let fallback: ((err: unknown) => T | Promise<T>) | undefined;
    if (options !== undefined) {
      const check = new OptionChecker(`CircuitBreaker "${this.name}" execute()`);
      check.object('options', options);
      check.known(options, CALL_OPTIONS);
      if (options.callTimeoutMs !== undefined) {
        timeoutMs = check.milliseconds('callTimeoutMs', options.callTimeoutMs, undefined);
      }
      if (options.retry !== undefined) retry = resolveRetry(check, 'retry', options.retry);
      fallback = check.fn('fallback', options.fallback);
      if (options.signal !== undefined && !(options.signal instanceof AbortSignal)) {
        throw check.error('signal', 'an AbortSignal', options.signal);
      }
      signal = options.signal;
    }
    // An already aborted call never reaches the breaker: nothing to count.
    signal?.throwIfAborted();

    let start = this.#timed ? this.#timedStart() : NaN;
    const ticket = this.#admit();
    if (ticket === REJECTED) {
      const err = this.openError();
      if (rejectionOverBudget()) await nextTurn();
      if (fallback !== undefined) return fallback(err);
      throw err;
    }
    if (this.#timed && start !== start) start = o.timer.now();
    const seq = start === start ? this.#track(ticket, start) : UNTRACKED;
    let value: T;
    try {
      value = await this.#attempts(fn, ticket, timeoutMs, retry, signal);
    } catch (err) {
      const aborted = signal !== undefined && signal.aborted && err === signal.reason;
      const failed = !aborted && this.countsAsFailure(err);
      this.#settle(ticket, failed ? FAILURE : IGNORED, err, start, 0, seq);
      if (failed && fallback !== undefined) return fallback(err);
      throw err;
    }
    this.#settleValue(ticket, value, start, seq);
    return value;
  }

  /** The retry loop inside one permit: only its last result reaches the breaker. */
  async #attempts<T>(
    fn: (signal: AbortSignal | undefined) => T | Promise<T>,
    ticket: number,
    timeoutMs: number | undefined,
    retry: ResolvedRetry | undefined,
    signal: AbortSignal | undefined,
  ): Promise<T> {
    const attempts = retry?.attempts ?? 1;
    for (let attempt = 1; ; attempt++) {
      let value: T;
      try {
        value = await runAttempt(fn, this.name, timeoutMs, signal);
      } catch (err) {
        if (attempt >= attempts || signal?.aborted || !this.#worthRetrying(err, attempt, retry!, ticket, true)) throw err;
        await sleep(this.#retryDelay(attempt, retry!), signal);
        // Another call may have opened the breaker during the wait: the last error stands.
        if (this.#openedMeanwhile(ticket)) throw err;
        continue;
      }
      if (attempt >= attempts || !this.#isResultFailure(value) || !this.#worthRetrying(value, attempt, retry!, ticket, false)) {
        return value;
      }
      await sleep(this.#retryDelay(attempt, retry!), signal);
      if (this.#openedMeanwhile(ticket)) return value;
    }
  }

  /** Another call opened the breaker since this one was admitted: the destination is known to be down. */
  #openedMeanwhile(ticket: number): boolean {
    return ticket !== SHADOW && this.state === 'open';
  }

  #worthRetrying(errOrResult: unknown, attempt: number, retry: ResolvedRetry, ticket: number, thrown: boolean): boolean {
    if (this.#openedMeanwhile(ticket)) return false;
    return worthRetrying(retry, errOrResult, attempt, thrown, (err) => this.countsAsFailure(err));
  }

  #retryDelay(attempt: number, retry: ResolvedRetry): number {
    return retryDelayMs(retry, attempt, this.#options.random);
  }

  #isResultFailure(value: unknown): boolean {
    const isResultFailure = this.#options.isResultFailure;
    if (isResultFailure === undefined) return false;
    try {
      return isResultFailure(value) === true;
    } catch {
      return true;
    }
  }

  #settleValue(ticket: number, value: unknown, start: number, seq: number): void {
    if (this.#isResultFailure(value)) this.#settle(ticket, FAILURE, value, start, 0, seq);
    else this.#settle(ticket, SUCCESS, undefined, start, 0, seq);
  }

  /**
   * Before admitting a timed call: closed-state calls in flight for longer than
   * `slowCallDurationMs` are failures already (they can only end as slow calls), so they count now.
   */
  #countOverdue(now: number): void {
    const ages = this.#ages;
    if (ages === undefined || this.#state !== 'closed') return;
    for (let overdue = ages.takeOverdue(now - this.#options.slowCallDurationMs!); overdue > 0; overdue--) {
      if (this.#policy.failure()) {
        this.#transition('open', NaN, true, 0);
        return;
      }
    }
  }

  /** Watches an admitted closed-state call for slowness while it is in flight. */
  #track(ticket: number, start: number): number {
    if (this.#options.slowCallDurationMs === undefined || this.#state !== 'closed' || ticket !== this.#period) return UNTRACKED;
    return (this.#ages ??= new InFlightAges()).add(start);
  }

  /** Admits a call: returns its ticket, or REJECTED (the rejection is already counted). */
  #admit(): number {
    if (this.#state === 'closed') {
      this.#totalCalls++;
      this.#inFlight++;
      return this.#period;
    }
    if (this.#state === 'open') this.#checkOpenWait();
    if (this.#state === 'half_open') {
      if (this.#probes < this.#options.halfOpenMaxCalls) {
        this.#probes++;
        this.#lastProbeAt = this.#options.clock.now();
        this.#totalCalls++;
        this.#inFlight++;
        return this.#period;
      }
      this.#checkProbeWait();
    }
    this.#totalCalls++;
    this.#rejectedCalls++;
    if (this.#state === 'half_open') this.#rejectedCallsHalfOpen++;
    const shadow = this.#options.shadow;
    const listeners = this.#listeners;
    if (listeners?.has('rejection')) listeners.emit('rejection', { name: this.name, state: this.#state, shadow });
    if (!shadow) return REJECTED;
    this.#inFlight++;
    return SHADOW;
  }

  #checkOpenWait(): void {
    if (this.#forced) return;
    const now = this.#options.clock.now();
    if (now >= this.#openUntil) {
      this.#transition('half_open', now, false, 0);
    } else if (this.#openUntil - now > this.#options.maxOpenTimeoutMs) {
      // No wait is ever set longer than the cap, so the clock went back (or a snapshot came from a
      // host whose clock runs ahead): never stay open longer than the cap from now.
      this.#openUntil = now + this.#options.maxOpenTimeoutMs;
    }
  }

  /**
   * Every probe slot taken and none admitted for `halfOpenTimeoutMs`: the probes hang. They count
   * as a failure (the breaker opens again and re-probes after its wait); their late outcomes are
   * counted in the metrics but move nothing.
   */
  #checkProbeWait(): void {
    if (this.#probes < this.#options.halfOpenMaxCalls) return;
    const now = this.#options.clock.now();
    if (now - this.#lastProbeAt >= this.#options.halfOpenTimeoutMs) this.#transition('open', now, true, 0);
  }

  /** #settle() for an untimed success: the most frequent outcome, kept to the essentials. */
  #succeed(ticket: number): void {
    this.#inFlight--;
    if (ticket === SHADOW) return;
    this.#successfulCalls++;
    this.#lastSuccessTime = this.#options.clock.now();
    const listeners = this.#listeners;
    if (listeners !== undefined && listeners.has('success')) listeners.emit('success', { name: this.name, durationMs: null });
    if (ticket !== this.#period) return;
    if (this.#state === 'closed') this.#policy.success();
    else this.#probeSucceeded();
  }

  #probeSucceeded(): void {
    this.#probes--;
    if (++this.#probeSuccesses >= this.#options.successThreshold) this.#transition('closed', NaN, false, 0);
  }

  #settle(ticket: number, outcome: Outcome, error: unknown, start: number, retryAfterMs: number, seq: number): void {
    this.#inFlight--;
    if (ticket === SHADOW) return;
    const o = this.#options;
    const listeners = this.#listeners;
    let now = NaN;
    let durationMs: number | null = null;
    if (start === start) {
      // `start` came from the timer; with an injected clock the two are one, so its reading also
      // serves as the time of this outcome.
      const end = o.timer.now();
      if (o.timer === o.clock) now = end;
      durationMs = end - start;
      if (outcome === SUCCESS && o.slowCallDurationMs !== undefined && durationMs > o.slowCallDurationMs) {
        outcome = FAILURE;
        error = new SlowCallError(this.name, durationMs, o.slowCallDurationMs);
      }
    }
    if (outcome === SUCCESS) {
      this.#successfulCalls++;
      this.#lastSuccessTime = now === now ? now : (now = o.clock.now());
      if (listeners?.has('success')) listeners.emit('success', { name: this.name, durationMs });
    } else if (outcome === FAILURE) {
      this.#failedCalls++;
      this.#lastFailureTime = now === now ? now : (now = o.clock.now());
      if (listeners?.has('failure')) listeners.emit('failure', { name: this.name, error, durationMs });
    } else {
      this.#ignoredCalls++;
      if (listeners?.has('ignored')) listeners.emit('ignored', { name: this.name, error });
    }

    if (ticket !== this.#period) return;
    if (this.#state === 'closed') {
      // Counted already while it was in flight (#countOverdue).
      if (seq !== UNTRACKED && !this.#ages!.end(seq)) return;
      if (outcome === SUCCESS) this.#policy.success();
      else if (outcome === FAILURE && this.#policy.failure()) this.#transition('open', now, true, retryAfterMs);
    } else if (this.#state === 'half_open') {
      if (outcome === SUCCESS) {
        this.#probeSucceeded();
      } else {
        this.#probes--;
        if (outcome === FAILURE) this.#transition('open', now, true, retryAfterMs);
      }
    }
  }

  #transition(to: CircuitState, now: number, counted: boolean, retryAfterMs: number): void {
    const from = this.#state;
    if (now !== now) now = this.#options.clock.now();
    this.#state = to;
    this.#period++;
    this.#probes = 0;
    this.#probeSuccesses = 0;
    this.#ages?.clear();
    if (to === 'open') {
      if (counted) this.#openings++;
      const o = this.#options;
      const wait = backoffMs(
        Math.max(1, this.#openings),
        { initialMs: o.openTimeoutMs, maxMs: o.maxOpenTimeoutMs, multiplier: o.backoffMultiplier, jitter: o.jitter },
        o.jitter === 0 ? 0 : o.random(),
      );
      // A server's Retry-After may lengthen the wait, up to the configured cap.
      const serverWait = Math.min(retryAfterMs, Math.max(o.maxOpenTimeoutMs, wait));
      this.#openUntil = now + Math.max(wait, serverWait);
    } else if (to === 'closed') {
      this.#openings = 0;
    }
    this.#policy.reset();
    const key = `${from}->${to}` as TransitionKey;
    const transitions = (this.#transitions ??= {});
    transitions[key] = (transitions[key] ?? 0) + 1;
    this.#listeners?.emit('stateChange', { name: this.name, from, to, at: now });
  }

  #updateTimed(): void {
    const l = this.#listeners;
    this.#timed =
      this.#options.slowCallDurationMs !== undefined || (l !== undefined && (l.has('success') || l.has('failure')));
  }

  #restore(s: CircuitBreakerSnapshot): void {
    this.#state = s.state;
    this.#forced = s.forced;
    this.#openings = s.openings;
    this.#openUntil = s.openUntil ?? 0;
    const m = s.metrics;
    this.#totalCalls = m.totalCalls;
    this.#successfulCalls = m.successfulCalls;
    this.#failedCalls = m.failedCalls;
    this.#ignoredCalls = m.ignoredCalls;
    this.#rejectedCalls = m.rejectedCalls;
    this.#rejectedCallsHalfOpen = m.rejectedCallsHalfOpen;
    this.#transitions = Object.keys(m.stateTransitions).length > 0 ? { ...m.stateTransitions } : undefined;
    this.#lastFailureTime = m.lastFailureTime ?? NaN;
    this.#lastSuccessTime = m.lastSuccessTime ?? NaN;
  }
}
