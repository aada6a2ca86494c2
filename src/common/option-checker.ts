import { ConfigError } from './config-error.js';
import { MAX_TIMER_MS, MAX_TIMER_TEXT } from './timer-limit.js';

export interface NumberRule {
  integer?: boolean;
  min?: number;
  /** Lower bound the value must exceed. */
  minExclusive?: number;
  max?: number;
}

/**
 * The one checker of options: every constructor and function that takes options validates them
 * through it, so every bad option gives the same ConfigError and the same message,
 * `<where>: option "<prefix><path>" must be <rule>, got <value>`.
 */
export class OptionChecker {
  /**
   * @param where who is complaining, e.g. `CircuitBreaker "db"`.
   * @param prefix prepended to every option path, e.g. `breaker.` for options nested in a config.
   */
  constructor(
    readonly where: string,
    readonly prefix = '',
  ) {}

  /** A checker for the options nested under `path` (messages then name `path.option`). */
  nested(path: string): OptionChecker {
    return new OptionChecker(this.where, `${this.prefix}${path}.`);
  }

  error(path: string, expected: string, value: unknown): ConfigError {
    return new ConfigError(this.where, `${this.prefix}${path}`, expected, value);
  }

  /** Refuses any own key of `options` not in `names` (a misspelt option would otherwise be silently ignored). */
  known(options: object, names: ReadonlySet<string>): void {
    for (const key of Object.keys(options)) {
      if (!names.has(key)) throw ConfigError.unknown(this.where, `${this.prefix}${key}`, (options as Record<string, unknown>)[key], names);
    }
  }

  /** A number that obeys `rule`; `undefined` gives `fallback`. */
  number<F extends number | undefined>(path: string, value: unknown, fallback: F, rule: NumberRule): number | F {
    if (value === undefined) return fallback;
    const ok =
      typeof value === 'number' &&
      Number.isFinite(value) &&
      (!rule.integer || Number.isInteger(value)) &&
      (rule.min === undefined || value >= rule.min) &&
      (rule.minExclusive === undefined || value > rule.minExclusive) &&
      (rule.max === undefined || value <= rule.max);
    if (!ok) throw this.error(path, numberRule(rule), value);
    return value;
  }

  /**
   * A delay that ends up in a Node timer: above MAX_TIMER_MS Node would fire it after 1 ms (a call
   * timeout at once, an interval in a loop), so longer values are refused, naming the maximum.
   */
  milliseconds<F extends number | undefined>(path: string, value: unknown, fallback: F, allowZero = false): number | F {
    if (value === undefined) return fallback;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || (value === 0 && !allowZero) || value > MAX_TIMER_MS) {
      throw this.error(path, millisecondsRule(allowZero), value);
    }
    return value;
  }

  fn<T>(path: string, value: unknown): T | undefined {
    if (value === undefined) return undefined;
    if (typeof value !== 'function') throw this.error(path, 'a function', value);
    return value as T;
  }

  boolean(path: string, value: unknown, fallback: boolean): boolean {
    if (value === undefined) return fallback;
    if (typeof value !== 'boolean') throw this.error(path, 'true or false', value);
    return value;
  }

  /** A plain object (not null, not an array). */
  object(path: string, value: unknown): Record<string, unknown> {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw this.error(path, 'an object', value);
    return value as Record<string, unknown>;
  }
}

/** `an integer >= 1`, `a number from 0 to 1`, `a number > 0 and <= 100`: the whole range, always. */
export function numberRule(rule: NumberRule): string {
  const kind = rule.integer ? 'an integer' : 'a number';
  const { min, minExclusive, max } = rule;
  if (min !== undefined && max !== undefined) return `${kind} from ${min} to ${max}`;
  const lower = min !== undefined ? `>= ${min}` : minExclusive !== undefined ? `> ${minExclusive}` : undefined;
  if (lower !== undefined && max !== undefined) return `${kind} ${lower} and <= ${max}`;
  if (lower !== undefined) return `${kind} ${lower}`;
  if (max !== undefined) return `${kind} <= ${max}`;
  return rule.integer ? kind : 'a finite number';
}

export function millisecondsRule(allowZero: boolean): string {
  return `a number of milliseconds ${allowZero ? 'from 0 to' : '> 0 and at most'} ${MAX_TIMER_TEXT}`;
}
