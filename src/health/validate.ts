import { OptionChecker } from '../common/option-checker.js';
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

/** Throws the checker's error for one option: for validators that are not a constructor's (the ready-made checks). */
export function fail(where: string, option: string, rule: string, value: unknown): never {
  throw new OptionChecker(where).error(option, rule, value);
}

const HEAL_OPTIONS: ReadonlySet<string> = new Set(['timeoutMs', 'cooldownMs', 'backoffMultiplier', 'maxCooldownMs', 'maxAttempts']);

function healPolicy(check: OptionChecker, options: Record<string, unknown>, base: HealPolicy): HealPolicy {
  check.known(options, HEAL_OPTIONS);
  const policy: HealPolicy = {
    timeoutMs: check.milliseconds('timeoutMs', options.timeoutMs, base.timeoutMs),
    cooldownMs: check.milliseconds('cooldownMs', options.cooldownMs, base.cooldownMs, true),
    backoffMultiplier: check.number('backoffMultiplier', options.backoffMultiplier, base.backoffMultiplier, { min: 1, max: 1_000 }),
    maxCooldownMs: check.milliseconds('maxCooldownMs', options.maxCooldownMs, base.maxCooldownMs, true),
    maxAttempts: check.number('maxAttempts', options.maxAttempts, base.maxAttempts, { integer: true, min: 1 }),
  };
  if (policy.maxCooldownMs < policy.cooldownMs) {
    throw check.error('maxCooldownMs', `>= ${check.prefix}cooldownMs (${policy.cooldownMs})`, policy.maxCooldownMs);
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

const MANAGER_OPTIONS: ReadonlySet<string> = new Set<keyof HealthCheckManagerOptions>([
  'checkIntervalMs', 'timeoutMs', 'unhealthyBelowScore', 'heal', 'clock', 'timers', 'showDetails', 'shutdownDelayMs',
  'readinessGroup', 'livenessGroup',
]);

export function managerSettings(options: HealthCheckManagerOptions = {}): ManagerSettings {
  const check = new OptionChecker('new HealthCheckManager()');
  check.object('options', options);
  check.known(options, MANAGER_OPTIONS);
  const heal = check.object('heal', options.heal ?? {});
  const clock = options.clock ?? defaultClock;
  if (typeof clock?.now !== 'function') throw check.error('clock', 'an object with now()', clock);
  const timers = options.timers ?? defaultTimers;
  if (typeof timers?.setTimeout !== 'function' || typeof timers.clearTimeout !== 'function') {
    throw check.error('timers', 'an object with setTimeout() and clearTimeout()', timers);
  }
  return {
    checkIntervalMs: check.milliseconds('checkIntervalMs', options.checkIntervalMs, 10_000),
    timeoutMs: check.milliseconds('timeoutMs', options.timeoutMs, 5_000),
    unhealthyBelowScore: check.number('unhealthyBelowScore', options.unhealthyBelowScore, 50, { min: 0, max: 100 }),
    heal: healPolicy(check.nested('heal'), heal, HEAL_DEFAULTS),
    clock,
    elapsed: options.clock === undefined ? () => performance.now() : () => clock.now(),
    timers,
    showDetails: showDetails(check, options.showDetails),
    shutdownDelayMs: check.milliseconds('shutdownDelayMs', options.shutdownDelayMs, 0, true),
    readinessGroup: groupName(check, 'readinessGroup', options.readinessGroup),
    livenessGroup: groupName(check, 'livenessGroup', options.livenessGroup),
  };
}

function showDetails(check: OptionChecker, value: unknown): ShowDetails {
  if (value === undefined) return 'never';
  if (value === 'always' || value === 'never' || typeof value === 'function') return value as ShowDetails;
  throw check.error('showDetails', "'always', 'never' or a function of the request returning a boolean", value);
}

/** Group names become URL path segments (`/health/GROUP`). */
const GROUP = /^[A-Za-z0-9_.-]+$/;

function groupName(check: OptionChecker, option: string, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !GROUP.test(value)) throw check.error(option, 'a group name of letters, digits, _ . -', value);
  return value;
}

function groups(check: OptionChecker, value: unknown): readonly string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw check.error('groups', 'an array of group names', value);
  value.forEach((g, i) => groupName(check, `groups[${i}]`, g));
  return Object.freeze([...new Set(value as string[])]);
}

const NAME = /^[^\s]+$/;

const REGISTRATION_OPTIONS: ReadonlySet<string> = new Set<keyof CheckRegistration>([
  'name', 'componentType', 'check', 'intervalMs', 'timeoutMs', 'weight', 'critical', 'autoHeal', 'heal',
  'healTimeoutMs', 'maxHealAttempts', 'healCooldownMs', 'close', 'groups',
]);

/** `where` names the caller in errors: a ready-made check validates its registration when it is made. */
export function checkSettings(registration: CheckRegistration, manager: ManagerSettings, where = 'HealthCheckManager.register()'): CheckSettings {
  const check = new OptionChecker(where);
  const r = check.object('registration', registration) as unknown as CheckRegistration;
  check.known(r, REGISTRATION_OPTIONS);
  if (typeof r.name !== 'string' || !NAME.test(r.name)) throw check.error('name', 'a non-empty string without spaces', r.name);
  const componentType = r.componentType ?? 'custom';
  if (!COMPONENT_TYPES.includes(componentType)) throw check.error('componentType', `one of ${COMPONENT_TYPES.join(', ')}`, componentType);
  if (typeof r.check !== 'function') throw check.error('check', 'a function', r.check);
  const autoHeal = check.boolean('autoHeal', r.autoHeal, false);
  const heal = check.fn<HealFunction>('heal', r.heal);
  if (autoHeal && heal === undefined) throw check.error('heal', 'a function when autoHeal is true', r.heal);
  const close = check.fn<() => void>('close', r.close);
  return {
    name: r.name,
    componentType,
    check: r.check,
    intervalMs: check.milliseconds('intervalMs', r.intervalMs, manager.checkIntervalMs),
    timeoutMs: check.milliseconds('timeoutMs', r.timeoutMs, manager.timeoutMs),
    weight: check.number('weight', r.weight, 1, { min: 0, max: Number.MAX_SAFE_INTEGER }),
    critical: check.boolean('critical', r.critical, false),
    heal: autoHeal ? heal : undefined,
    healPolicy: {
      ...manager.heal,
      timeoutMs: check.milliseconds('healTimeoutMs', r.healTimeoutMs, manager.heal.timeoutMs),
      maxAttempts: check.number('maxHealAttempts', r.maxHealAttempts, manager.heal.maxAttempts, { integer: true, min: 1 }),
      cooldownMs: check.milliseconds('healCooldownMs', r.healCooldownMs, manager.heal.cooldownMs, true),
      maxCooldownMs: Math.max(manager.heal.maxCooldownMs, r.healCooldownMs ?? 0),
    },
    close,
    groups: groups(check, r.groups),
  };
}
