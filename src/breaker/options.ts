import { OptionChecker } from '../common/option-checker.js';
import { readSnapshot } from './snapshot.js';
import type { CircuitBreakerOptions, CircuitBreakerSnapshot, Clock, RetryOptions } from './types.js';

/**
 * Options after validation and defaults, minus what is per breaker (name, attributes, initial
 * state): never re-checked on the hot path, and shared by the breakers a registry creates from the
 * same defaults.
 */
export interface BreakerConfig {
  failureThreshold: number;
  failureRateThreshold: number | undefined;
  slidingWindowSize: number;
  minimumNumberOfCalls: number;
  slowCallDurationMs: number | undefined;
  successThreshold: number;
  openTimeoutMs: number;
  maxOpenTimeoutMs: number;
  backoffMultiplier: number;
  jitter: number;
  halfOpenMaxCalls: number;
  halfOpenTimeoutMs: number;
  isFailure: ((err: unknown) => boolean) | undefined;
  isResultFailure: ((result: unknown) => boolean) | undefined;
  callTimeoutMs: number | undefined;
  retry: ResolvedRetry | undefined;
  shadow: boolean;
  clock: Clock;
  /**
   * Where call durations are measured: `clock` when one is injected (tests control durations
   * too), otherwise the monotonic, sub-millisecond `performance.now()`. Durations taken from
   * `Date.now()` would be whole milliseconds (a fast call would last 0 s in the duration
   * histogram) and would jump when the wall clock is set.
   */
  timer: Clock;
  random: () => number;
}

export interface ResolvedRetry {
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  multiplier: number;
  jitter: number;
  retryOn: ((err: unknown, attempt: number) => boolean) | undefined;
}

export const DEFAULTS = {
  failureThreshold: 5,
  slidingWindowSize: 100,
  minimumNumberOfCalls: 10,
  successThreshold: 1,
  openTimeoutMs: 5_000,
  maxOpenTimeoutMs: 60_000,
  backoffMultiplier: 2,
  jitter: 0,
  halfOpenMaxCalls: 1,
  halfOpenTimeoutMs: 10_000,
} as const;

export const RETRY_DEFAULTS = { baseDelayMs: 100, maxDelayMs: 5_000, multiplier: 2, jitter: 1 } as const;

const NO_ATTRIBUTES: Readonly<Record<string, string | number>> = Object.freeze({});
const DATE_CLOCK: Clock = Object.freeze({ now: Date.now });
// Looked up on each call (not bound once) so that fake timers installed later are honoured.
const PERFORMANCE_CLOCK: Clock = Object.freeze({ now: () => performance.now() });

const RETRY_OPTIONS: ReadonlySet<string> = new Set(['attempts', 'baseDelayMs', 'maxDelayMs', 'multiplier', 'jitter', 'retryOn']);

export function resolveRetry(check: OptionChecker, path: string, value: RetryOptions | undefined): ResolvedRetry | undefined {
  if (value === undefined) return undefined;
  check.object(path, value);
  const inner = check.nested(path);
  inner.known(value, RETRY_OPTIONS);
  const attempts = inner.number('attempts', value.attempts, undefined, { integer: true, min: 1 });
  if (attempts === undefined) throw inner.error('attempts', 'an integer >= 1', undefined);
  // Both delays end up in a timer, so both obey the timer maximum.
  const baseDelayMs = inner.milliseconds('baseDelayMs', value.baseDelayMs, RETRY_DEFAULTS.baseDelayMs, true);
  const maxDelayMs = inner.milliseconds('maxDelayMs', value.maxDelayMs, Math.max(RETRY_DEFAULTS.maxDelayMs, baseDelayMs), true);
  if (maxDelayMs < baseDelayMs) throw inner.error('maxDelayMs', `>= ${path}.baseDelayMs (${baseDelayMs})`, maxDelayMs);
  return {
    attempts,
    baseDelayMs,
    maxDelayMs,
    multiplier: inner.number('multiplier', value.multiplier, RETRY_DEFAULTS.multiplier, { min: 1 }),
    jitter: inner.number('jitter', value.jitter, RETRY_DEFAULTS.jitter, { min: 0, max: 1 }),
    retryOn: inner.fn('retryOn', value.retryOn),
  };
}

export interface ResolvedOptions {
  name: string;
  attributes: Readonly<Record<string, string | number>>;
  initialState: CircuitBreakerSnapshot | undefined;
  config: BreakerConfig;
}

/**
 * Options whose config part is already resolved (the registry's defaults): the constructor then
 * checks only the per-breaker parts. Module-internal; not exported from the package.
 */
export class WithConfig {
  readonly name: string;
  constructor(
    readonly options: CircuitBreakerOptions,
    readonly config: BreakerConfig,
  ) {
    this.name = options.name;
  }
}

/** The options that are per breaker; every other option goes into the shareable config. */
export const PER_BREAKER_OPTIONS: ReadonlySet<string> = new Set(['name', 'attributes', 'initialState']);

/** The options of the shareable config (BreakerConfig's inputs). */
export const CONFIG_OPTIONS: ReadonlySet<string> = new Set([
  'failureThreshold', 'failureRateThreshold', 'slidingWindowSize', 'minimumNumberOfCalls', 'slowCallDurationMs',
  'successThreshold', 'openTimeoutMs', 'maxOpenTimeoutMs', 'backoffMultiplier', 'jitter', 'halfOpenMaxCalls', 'halfOpenTimeoutMs',
  'isFailure', 'isResultFailure', 'callTimeoutMs', 'retry', 'shadow', 'clock', 'random',
]);

/** Every option `new CircuitBreaker()` knows. */
export const BREAKER_OPTIONS: ReadonlySet<string> = new Set([...PER_BREAKER_OPTIONS, ...CONFIG_OPTIONS]);

/** `check` names who is asking in messages (default `CircuitBreaker "<name>"`). */
export function resolveOptions(input: CircuitBreakerOptions | WithConfig, checker?: OptionChecker): ResolvedOptions {
  const options = input instanceof WithConfig ? input.options : input;
  if (typeof options !== 'object' || options === null) throw new OptionChecker('CircuitBreaker').error('options', 'an object', options);
  const name = options.name;
  if (typeof name !== 'string' || name.length === 0) {
    throw new OptionChecker('CircuitBreaker').error('name', 'a non-empty string', name);
  }
  const check = checker ?? new OptionChecker(`CircuitBreaker "${name}"`);
  // With a registry's resolved config this is the only check of the names (resolveConfig does it otherwise).
  if (input instanceof WithConfig) check.known(options, BREAKER_OPTIONS);
  let attributes = NO_ATTRIBUTES;
  if (options.attributes !== undefined) {
    check.object('attributes', options.attributes);
    for (const [key, value] of Object.entries(options.attributes)) {
      if (typeof value !== 'string' && !(typeof value === 'number' && Number.isFinite(value))) {
        throw check.error(`attributes.${key}`, 'a string or a finite number', value);
      }
    }
    attributes = Object.freeze({ ...options.attributes });
  }
  const config = input instanceof WithConfig ? input.config : resolveConfig(check, options);
  const initialState = options.initialState === undefined ? undefined : readSnapshot(check, name, options.initialState);
  return { name, attributes, initialState, config };
}

/** Validates the shareable options; `names` are the option names allowed besides them (per-breaker ones). */
export function resolveConfig(
  check: OptionChecker,
  options: Omit<CircuitBreakerOptions, 'name'>,
  names: ReadonlySet<string> = BREAKER_OPTIONS,
): BreakerConfig {
  check.known(options, names);
  const failureRateThreshold = check.number('failureRateThreshold', options.failureRateThreshold, undefined, {
    minExclusive: 0,
    max: 100,
  });
  const slidingWindowSize = check.number('slidingWindowSize', options.slidingWindowSize, DEFAULTS.slidingWindowSize, {
    integer: true,
    min: 1,
  });
  const minimumNumberOfCalls = check.number(
    'minimumNumberOfCalls',
    options.minimumNumberOfCalls,
    Math.min(DEFAULTS.minimumNumberOfCalls, slidingWindowSize),
    { integer: true, min: 1 },
  );
  if (minimumNumberOfCalls > slidingWindowSize) {
    throw check.error('minimumNumberOfCalls', `<= slidingWindowSize (${slidingWindowSize})`, minimumNumberOfCalls);
  }
  // 0 would turn fail-fast off: the breaker would go half-open at once after every opening. The
  // open wait is compared with the clock, never put in a timer, so it has no timer maximum.
  const openTimeoutMs = check.number('openTimeoutMs', options.openTimeoutMs, DEFAULTS.openTimeoutMs, { minExclusive: 0 });
  const maxOpenTimeoutMs = check.number(
    'maxOpenTimeoutMs',
    options.maxOpenTimeoutMs,
    Math.max(DEFAULTS.maxOpenTimeoutMs, openTimeoutMs),
    { minExclusive: 0 },
  );
  if (maxOpenTimeoutMs < openTimeoutMs) {
    throw check.error('maxOpenTimeoutMs', `>= openTimeoutMs (${openTimeoutMs})`, maxOpenTimeoutMs);
  }

  let clock = DATE_CLOCK;
  if (options.clock !== undefined) {
    if (typeof options.clock !== 'object' || options.clock === null || typeof options.clock.now !== 'function') {
      throw check.error('clock', 'an object with a now() method', options.clock);
    }
    clock = options.clock;
  }

  return {
    failureThreshold: check.number('failureThreshold', options.failureThreshold, DEFAULTS.failureThreshold, {
      integer: true,
      min: 1,
    }),
    failureRateThreshold,
    slidingWindowSize,
    minimumNumberOfCalls,
    slowCallDurationMs: check.number('slowCallDurationMs', options.slowCallDurationMs, undefined, { minExclusive: 0 }),
    successThreshold: check.number('successThreshold', options.successThreshold, DEFAULTS.successThreshold, {
      integer: true,
      min: 1,
    }),
    openTimeoutMs,
    maxOpenTimeoutMs,
    backoffMultiplier: check.number('backoffMultiplier', options.backoffMultiplier, DEFAULTS.backoffMultiplier, {
      min: 1,
    }),
    jitter: check.number('jitter', options.jitter, DEFAULTS.jitter, { min: 0, max: 1 }),
    halfOpenMaxCalls: check.number('halfOpenMaxCalls', options.halfOpenMaxCalls, DEFAULTS.halfOpenMaxCalls, {
      integer: true,
      min: 1,
    }),
    halfOpenTimeoutMs: check.number('halfOpenTimeoutMs', options.halfOpenTimeoutMs, DEFAULTS.halfOpenTimeoutMs, {
      minExclusive: 0,
    }),
    isFailure: check.fn('isFailure', options.isFailure),
    isResultFailure: check.fn('isResultFailure', options.isResultFailure),
    callTimeoutMs: check.milliseconds('callTimeoutMs', options.callTimeoutMs, undefined),
    retry: resolveRetry(check, 'retry', options.retry),
    shadow: check.boolean('shadow', options.shadow, false),
    clock,
    timer: clock === DATE_CLOCK ? PERFORMANCE_CLOCK : clock,
    random: check.fn<() => number>('random', options.random) ?? Math.random,
  };
}
