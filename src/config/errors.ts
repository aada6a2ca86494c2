/** A configuration value breakwater cannot use; names the option and the value. */
export class ConfigError extends TypeError {
  readonly option: string;
  readonly value: unknown;

  constructor(option: string, value: unknown, expected: string) {
    super(`breakwater: invalid option ${option}=${describe(value)}: expected ${expected}`);
    this.name = 'ConfigError';
    this.option = option;
    this.value = value;
  }
}

export function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value instanceof RegExp) return String(value);
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
