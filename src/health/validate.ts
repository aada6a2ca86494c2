import { MAX_TIMER_MS, MAX_TIMER_TEXT } from '../common/timer-limit.js';
import {
  COMPONENT_TYPES,
  type CheckFunction,
  type CheckRegistration,
  type ComponentType,
  type HealFunction,
  type HealthCheckManagerOptions,
  type HealthClock,
  type HealthTimers,
  type ShowDetails,
} from './check-types.js';

/** Heal guards with every default filled in. */
export interface HealPolicy {
  timeoutMs: number;
  cooldownMs: number;
  backoffMultiplier: number;
  maxCooldownMs: number;
  maxAttempts: number;
}

export interface ManagerSettings {
  checkIntervalMs: number;
  timeoutMs: number;
  unhealthyBelowScore: number;
  heal: HealPolicy;
  /** Wall-clock time (epoch ms) for timestamps. */
  clock: HealthClock;
  /** Monotonic ms for durations and cooldowns; the injected clock when there is one. */
  elapsed: () => number;
  timers: HealthTimers;
  showDetails: ShowDetails;
  shutdownDelayMs: number;
  readinessGroup: string | undefined;
  livenessGroup: string | undefined;
}

/** A registration with every default filled in; validated once, trusted afterwards. */
export interface CheckSettings {
  name: string;
  componentType: ComponentType;
  check: CheckFunction;
  intervalMs: number;
  timeoutMs: number;
  weight: number;
  critical: boolean;
  heal: HealFunction | undefined;
  healPolicy: HealPolicy;
  close: (() => void) | undefined;
  groups: readonly string[];
}

const defaultClock: HealthClock = { now: () => Date.now() };
const defaultTimers: HealthTimers = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'function') return 'a function';
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

export function fail(where: string, option: string, rule: string, value: unknown): never {
  throw new TypeError(`${where}: option "${option}" must be ${rule}, got ${show(value)}`);
}

/** A delay that ends up in a timer: above MAX_TIMER_MS Node would fire it after 1 ms, in a loop. */
export function milliseconds(where: string, option: string, value: unknown, fallback: number, allowZero = false): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || (value === 0 && !allowZero)) {
    fail(where, option, `a ${allowZero ? 'non-negative' : 'positive'} finite number of milliseconds`, value);
  }
  if (value > MAX_TIMER_MS) fail(where, option, `at most ${MAX_TIMER_TEXT}`, value);
  return value;
}

function inRange(where: string, option: string, value: unknown, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    fail(where, option, `a number from ${min} to ${max}`, value);
  }
  return value;
}

function integer(where: string, option: string, value: unknown, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    fail(where, option, `an integer >= ${min}`, value);
  }
  return value;
}

function flag(where: string, option: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') fail(where, option, 'a boolean', value);
  return value;
}

function healPolicy(where: string, prefix: string, options: Record<string, unknown>, base: HealPolicy): HealPolicy {
  const policy: HealPolicy = {
    timeoutMs: milliseconds(where, `${prefix}timeoutMs`, options.timeoutMs, base.timeoutMs),
    cooldownMs: milliseconds(where, `${prefix}cooldownMs`, options.cooldownMs, base.cooldownMs, true),
    backoffMultiplier: inRange(where, `${prefix}backoffMultiplier`, options.backoffMultiplier, base.backoffMultiplier, 1, 1_000),
    maxCooldownMs: milliseconds(where, `${prefix}maxCooldownMs`, options.maxCooldownMs, base.maxCooldownMs, true),
    maxAttempts: integer(where, `${prefix}maxAttempts`, options.maxAttempts, base.maxAttempts, 1),
  };
  if (policy.maxCooldownMs < policy.cooldownMs) {
    fail(where, `${prefix}maxCooldownMs`, `>= ${prefix}cooldownMs (${policy.cooldownMs})`, policy.maxCooldownMs);
  }
  return policy;
}

const HEAL_DEFAULTS: HealPolicy = {
  timeoutMs: 10_000,
  cooldownMs: 5_000,
  backoffMultiplier: 2,
  maxCooldownMs: 300_000,
  maxAttempts: 3,
};

export function managerSettings(options: HealthCheckManagerOptions = {}): ManagerSettings {
  const where = 'new HealthCheckManager()';
  if (typeof options !== 'object' || options === null) fail(where, 'options', 'an object', options);
  const heal = options.heal ?? {};
  if (typeof heal !== 'object' || heal === null) fail(where, 'heal', 'an object', heal);
  const clock = options.clock ?? defaultClock;
  if (typeof clock?.now !== 'function') fail(where, 'clock', 'an object with now()', clock);
  const timers = options.timers ?? defaultTimers;
  if (typeof timers?.setTimeout !== 'function' || typeof timers.clearTimeout !== 'function') {
    fail(where, 'timers', 'an object with setTimeout() and clearTimeout()', timers);
  }
  return {
    checkIntervalMs: milliseconds(where, 'checkIntervalMs', options.checkIntervalMs, 10_000),
    timeoutMs: milliseconds(where, 'timeoutMs', options.timeoutMs, 5_000),
    unhealthyBelowScore: inRange(where, 'unhealthyBelowScore', options.unhealthyBelowScore, 50, 0, 100),
    heal: healPolicy(where, 'heal.', heal as Record<string, unknown>, HEAL_DEFAULTS),
    clock,
    elapsed: options.clock === undefined ? () => performance.now() : () => clock.now(),
    timers,
    showDetails: showDetails(where, options.showDetails),
    shutdownDelayMs: milliseconds(where, 'shutdownDelayMs', options.shutdownDelayMs, 0, true),
    readinessGroup: groupName(where, 'readinessGroup', options.readinessGroup),
    livenessGroup: groupName(where, 'livenessGroup', options.livenessGroup),
  };
}

function showDetails(where: string, value: unknown): ShowDetails {
  if (value === undefined) return 'never';
  if (value === 'always' || value === 'never' || typeof value === 'function') return value as ShowDetails;
  fail(where, 'showDetails', "'always', 'never' or a function of the request returning a boolean", value);
}

/** Group names become URL path segments (`/health/GROUP`). */
const GROUP = /^[A-Za-z0-9_.-]+$/;

function groupName(where: string, option: string, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !GROUP.test(value)) fail(where, option, 'a group name of letters, digits, _ . -', value);
  return value;
}

function groups(where: string, value: unknown): readonly string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) fail(where, 'groups', 'an array of group names', value);
  value.forEach((g, i) => groupName(where, `groups[${i}]`, g));
  return Object.freeze([...new Set(value as string[])]);
}

const NAME = /^[^\s]+$/;

/** `where` names the caller in errors: a ready-made check validates its registration when it is made. */
export function checkSettings(registration: CheckRegistration, manager: ManagerSettings, where = 'HealthCheckManager.register()'): CheckSettings {
  if (typeof registration !== 'object' || registration === null) fail(where, 'registration', 'an object', registration);
  const r = registration;
  if (typeof r.name !== 'string' || !NAME.test(r.name)) fail(where, 'name', 'a non-empty string without spaces', r.name);
  const componentType = r.componentType ?? 'custom';
  if (!COMPONENT_TYPES.includes(componentType)) fail(where, 'componentType', `one of ${COMPONENT_TYPES.join(', ')}`, componentType);
  if (typeof r.check !== 'function') fail(where, 'check', 'a function', r.check);
  const autoHeal = flag(where, 'autoHeal', r.autoHeal, false);
  if (r.heal !== undefined && typeof r.heal !== 'function') fail(where, 'heal', 'a function', r.heal);
  if (autoHeal && r.heal === undefined) fail(where, 'heal', 'a function when autoHeal is true', r.heal);
  if (r.close !== undefined && typeof r.close !== 'function') fail(where, 'close', 'a function', r.close);
  return {
    name: r.name,
    componentType,
    check: r.check,
    intervalMs: milliseconds(where, 'intervalMs', r.intervalMs, manager.checkIntervalMs),
    timeoutMs: milliseconds(where, 'timeoutMs', r.timeoutMs, manager.timeoutMs),
    weight: inRange(where, 'weight', r.weight, 1, 0, Number.MAX_SAFE_INTEGER),
    critical: flag(where, 'critical', r.critical, false),
    heal: autoHeal ? r.heal : undefined,
    healPolicy: {
      ...manager.heal,
      timeoutMs: milliseconds(where, 'healTimeoutMs', r.healTimeoutMs, manager.heal.timeoutMs),
      maxAttempts: integer(where, 'maxHealAttempts', r.maxHealAttempts, manager.heal.maxAttempts, 1),
      cooldownMs: milliseconds(where, 'healCooldownMs', r.healCooldownMs, manager.heal.cooldownMs, true),
      maxCooldownMs: Math.max(manager.heal.maxCooldownMs, r.healCooldownMs ?? 0),
    },
    close: r.close,
    groups: groups(where, r.groups),
  };
}
