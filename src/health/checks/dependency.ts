import type { CheckFunction, CheckRegistration, ComponentType } from '../check-types.js';
import { checkSettings, fail, managerSettings } from '../validate.js';

/**
 * What the ready-made checks of a dependency (HTTP, TCP, gRPC, DNS) share: their registration
 * options, validated when the check is made, and how they word a failure.
 */
export interface DependencyCheckOptions {
  /**
   * The key in the report. Required: names are shown to every caller of `/health`, so breakwater
   * never derives one from a host or URL.
   */
  name: string;
  componentType?: ComponentType;
  /** Default: the manager's `checkIntervalMs`. */
  intervalMs?: number;
  /** The connection is aborted when it passes (default: the manager's `timeoutMs`). */
  timeoutMs?: number;
  weight?: number;
  critical?: boolean;
  groups?: readonly string[];
}

/** Validated like `register()` would, but now, naming `where`: a bad option fails where it was written. */
export function dependencyRegistration(
  where: string,
  options: DependencyCheckOptions,
  componentType: ComponentType,
  check: CheckFunction,
): CheckRegistration {
  const registration: CheckRegistration = {
    name: options.name,
    componentType: options.componentType ?? componentType,
    check,
    intervalMs: options.intervalMs,
    timeoutMs: options.timeoutMs,
    weight: options.weight,
    critical: options.critical ?? false,
    groups: options.groups,
  };
  checkSettings(registration, managerSettings(), where);
  return registration;
}

/** The options object itself, before its fields are read. */
export function optionsObject<T>(where: string, options: T): T {
  if (typeof options !== 'object' || options === null) fail(where, 'options', 'an object', options);
  return options;
}

const CODES: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ETIMEDOUT: 'connection timed out',
  ENOTFOUND: 'name not found',
  EAI_AGAIN: 'name lookup failed temporarily',
  EPIPE: 'connection closed',
};

/**
 * A failure worded by its error code only: a network error's message names the address and host
 * (`connect ECONNREFUSED 10.0.0.5:5432`), which the check's name already stands for.
 */
export function failureError(what: string, error: unknown): Error {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && /^[A-Z0-9_]{1,64}$/.test(code)) {
    const words = CODES[code];
    return new Error(words === undefined ? `${what} failed (${code})` : `${what} failed: ${words} (${code})`);
  }
  return new Error(`${what} failed`);
}
