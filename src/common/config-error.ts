/**
 * The one error every bad option throws (CircuitBreaker, BreakerRegistry, HealthCheckManager,
 * BreakwaterInstrumentation, breakwaterViews): `<where>: option "<option>" must be <expected>,
 * got <value>`. A TypeError, so `instanceof TypeError` checks written for the built-in errors hold.
 */
export class ConfigError extends TypeError {
  /** The option's path, e.g. `breaker.openTimeoutMs`. */
  readonly option: string;
  readonly value: unknown;
  /** What the option must be, e.g. `an integer >= 1`. */
  readonly expected: string;

  constructor(where: string, option: string, expected: string, value: unknown, message?: string) {
    super(message ?? `${where}: option "${option}" must be ${expected}, got ${describe(value)}`);
    this.name = 'ConfigError';
    this.option = option;
    this.value = value;
    this.expected = expected;
  }

  /** An option name that is not one: `<where>: unknown option "<option>" (did you mean "<name>"?)`. */
  static unknown(where: string, option: string, value: unknown, known: Iterable<string>): ConfigError {
    const near = closest(option.slice(option.lastIndexOf('.') + 1), known);
    const hint = near === undefined ? '' : ` (did you mean "${near}"?)`;
    return new ConfigError(where, option, 'a known option', value, `${where}: unknown option "${option}"${hint}`);
  }
}

/** A value as messages show it: strings quoted, functions and unserializable objects by kind. */
export function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'number' || typeof value === 'boolean' || value === null || value === undefined) return String(value);
  if (value instanceof RegExp) return String(value);
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}

/** The known name a misspelt one was probably meant to be: same letters ignoring case, or at most 2 edits away. */
function closest(name: string, known: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const candidate of known) {
    const d = candidate.toLowerCase() === name.toLowerCase() ? 0 : distance(name, candidate, bestDistance);
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  return best;
}

/** Levenshtein distance, given up (returns `limit`) once it cannot be below `limit`. */
function distance(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) >= limit) return limit;
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(previous[j]! + 1, row[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    if (Math.min(...row) >= limit) return limit;
    previous = row;
  }
  return Math.min(previous[b.length]!, limit);
}
