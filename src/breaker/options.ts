import type { CircuitBreakerOptions, Clock, RetryOptions } from './types.js';

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

function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'number' || value === null || value === undefined || typeof value === 'boolean') {
    return String(value);
  }
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}

/** Builds the errors every check throws: `<where>: option "<path>" must be <rule>, got <value>`. */
export class OptionChecker {
  constructor(private readonly where: string) {}

  typeError(path: string, rule: string, value: unknown): TypeError {
    return new TypeError(`${this.where}: option "${path}" must be ${rule}, got ${show(value)}`);
  }

  rangeError(path: string, rule: string, value: unknown): RangeError {
    return new RangeError(`${this.where}: option "${path}" must be ${rule}, got ${show(value)}`);
  }

  /** A finite number within [min, max] (integer when asked); `undefined` gives `fallback`. */
  number<F extends number | undefined>(
    path: string,
    value: unknown,
    fallback: F,
    rule: { min?: number; minExclusive?: number; max?: number; integer?: boolean },
  ): number | F {
    if (value === undefined) return fallback;
    if (typeof value !== 'number') throw this.typeError(path, 'a number', value);
    const words: string[] = [];
    if (rule.integer) words.push('an integer');
    else words.push('a finite number');
    if (rule.min !== undefined) words.push(`>= ${rule.min}`);
    if (rule.minExclusive !== undefined) words.push(`> ${rule.minExclusive}`);
    if (rule.max !== undefined) words.push(`<= ${rule.max}`);
    const ok =
      Number.isFinite(value) &&
      (!rule.integer || Number.isInteger(value)) &&
      (rule.min === undefined || value >= rule.min) &&
      (rule.minExclusive === undefined || value > rule.minExclusive) &&
      (rule.max === undefined || value <= rule.max);
    if (!ok) throw this.rangeError(path, words.join(' '), value);
    return value;
  }

  fn<T>(path: string, value: unknown): T | undefined {
    if (value === undefined) return undefined;
    if (typeof value !== 'function') throw this.typeError(path, 'a function', value);
    return value as T;
  }

  boolean(path: string, value: unknown, fallback: boolean): boolean {
    if (value === undefined) return fallback;
    if (typeof value !== 'boolean') throw this.typeError(path, 'a boolean', value);
    return value;
  }

  object(path: string, value: unknown): void {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw this.typeError(path, 'an object', value);
    }
  }
}

export function resolveRetry(check: OptionChecker, path: string, value: RetryOptions | undefined): ResolvedRetry | undefined {
  if (value === undefined) return undefined;
  check.object(path, value);
  const attempts = check.number(`${path}.attempts`, value.attempts, undefined, { integer: true, min: 1 });
  if (attempts === undefined) throw check.typeError(`${path}.attempts`, 'a number', undefined);
  const baseDelayMs = check.number(`${path}.baseDelayMs`, value.baseDelayMs, RETRY_DEFAULTS.baseDelayMs, { min: 0 });
  const maxDelayMs = check.number(`${path}.maxDelayMs`, value.maxDelayMs, Math.max(RETRY_DEFAULTS.maxDelayMs, baseDelayMs), { min: 0 });
  if (maxDelayMs < baseDelayMs) {
    throw check.rangeError(`${path}.maxDelayMs`, `>= ${path}.baseDelayMs (${baseDelayMs})`, maxDelayMs);
  }
  return {
    attempts,
    baseDelayMs,
    maxDelayMs,
    multiplier: check.number(`${path}.multiplier`, value.multiplier, RETRY_DEFAULTS.multiplier, { min: 1 }),
    jitter: check.number(`${path}.jitter`, value.jitter, RETRY_DEFAULTS.jitter, { min: 0, max: 1 }),
    retryOn: check.fn(`${path}.retryOn`, value.retryOn),
  };
}

export interface ResolvedOptions {
  name: string;
  attributes: Readonly<Record<string, string | number>>;
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

export function resolveOptions(input: CircuitBreakerOptions | WithConfig): ResolvedOptions {
  const options = input instanceof WithConfig ? input.options : input;
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`CircuitBreaker: options must be an object, got ${show(options)}`);
  }
  const name = options.name;
  if (typeof name !== 'string' || name.length === 0) {
    throw new TypeError(`CircuitBreaker: option "name" must be a non-empty string, got ${show(name)}`);
  }
  const check = new OptionChecker(`CircuitBreaker "${name}"`);
  let attributes = NO_ATTRIBUTES;
  if (options.attributes !== undefined) {
    check.object('attributes', options.attributes);
    for (const [key, value] of Object.entries(options.attributes)) {
      if (typeof value !== 'string' && !(typeof value === 'number' && Number.isFinite(value))) {
        throw check.typeError(`attributes.${key}`, 'a string or a finite number', value);
      }
    }
    attributes = Object.freeze({ ...options.attributes });
  }
  const config = input instanceof WithConfig ? input.config : resolveConfig(check, options);
  return { name, attributes, config };
}

export function resolveConfig(check: OptionChecker, options: Omit<CircuitBreakerOptions, 'name'>): BreakerConfig {
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
    throw check.rangeError('minimumNumberOfCalls', `<= slidingWindowSize (${slidingWindowSize})`, minimumNumberOfCalls);
  }
  const openTimeoutMs = check.number('openTimeoutMs', options.openTimeoutMs, DEFAULTS.openTimeoutMs, { min: 0 });
  const maxOpenTimeoutMs = check.number(
    'maxOpenTimeoutMs',
    options.maxOpenTimeoutMs,
    Math.max(DEFAULTS.maxOpenTimeoutMs, openTimeoutMs),
    { min: 0 },
  );
  if (maxOpenTimeoutMs < openTimeoutMs) {
    throw check.rangeError('maxOpenTimeoutMs', `>= openTimeoutMs (${openTimeoutMs})`, maxOpenTimeoutMs);
  }

  let clock = DATE_CLOCK;
  if (options.clock !== undefined) {
    if (typeof options.clock !== 'object' || options.clock === null || typeof options.clock.now !== 'function') {
      throw check.typeError('clock', 'an object with a now() method', options.clock);
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
    callTimeoutMs: check.number('callTimeoutMs', options.callTimeoutMs, undefined, { minExclusive: 0 }),
    retry: resolveRetry(check, 'retry', options.retry),
    shadow: check.boolean('shadow', options.shadow, false),
    clock,
    timer: clock === DATE_CLOCK ? PERFORMANCE_CLOCK : clock,
    random: check.fn<() => number>('random', options.random) ?? Math.random,
  };
}
