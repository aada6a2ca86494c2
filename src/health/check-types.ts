import type { IncomingMessage } from 'node:http';

/**
 * The health checks' public shapes: what a check returns, how it is registered, what the manager
 * reports and emits. The JSON report shape itself (snake_case) lives in report.ts.
 */

/** Status of one check or of the whole service. `unknown`: not checked yet (excluded from the score). */
export type HealthStatus = 'healthy' | 'degraded' | 'unhealthy' | 'unknown';

export const COMPONENT_TYPES = ['grpc_server', 'websocket', 'database', 'circuit_breaker', 'system', 'custom'] as const;
export type ComponentType = (typeof COMPONENT_TYPES)[number];

/** What a check may return besides a boolean (`true` = healthy, `false` = unhealthy). */
export interface CheckResult {
  status: HealthStatus;
  message?: string;
  /** JSON-safe facts shown under `components.NAME.details` in the report. */
  details?: Record<string, unknown>;
}

/**
 * A check. It gets an AbortSignal that fires when its timeout passes, so it can cancel its work;
 * its result after the timeout is discarded either way.
 */
export type CheckFunction = (signal: AbortSignal) => boolean | CheckResult | Promise<boolean | CheckResult>;

/** A repair attempt, run when an `autoHeal` check is unhealthy. Bounded by `healTimeoutMs`. */
export type HealFunction = (signal: AbortSignal) => unknown;

export interface CheckRegistration {
  /** Unique name: the key under `components` in the report and the `health_check.name` attribute. */
  name: string;
  /** Default `custom`. */
  componentType?: ComponentType;
  check: CheckFunction;
  /** Time between the end of one run and the start of the next (default: the manager's `checkIntervalMs`). */
  intervalMs?: number;
  /** A run that takes longer is unhealthy "timed out after N ms" (default: the manager's `timeoutMs`). */
  timeoutMs?: number;
  /** Share of this check in the score (default 1; 0 leaves it out of the score). */
  weight?: number;
  /** When true, this check being unhealthy makes the whole service unhealthy (default false). */
  critical?: boolean;
  /** Run `heal` when the check is unhealthy (default false; needs `heal`). */
  autoHeal?: boolean;
  heal?: HealFunction;
  /** Bound on one heal (default: the manager's `heal.timeoutMs`). */
  healTimeoutMs?: number;
  /** Heals in a row that may fail before healing stops until the check recovers (default: the manager's `heal.maxAttempts`). */
  maxHealAttempts?: number;
  /** Wait after the first failed heal; it doubles per further failure (default: the manager's `heal.cooldownMs`). */
  healCooldownMs?: number;
  /** Releases what the check holds (timers, monitors); called by `stop()` and `unregister()`. */
  close?: () => void;
  /** Named groups the check belongs to: served at `/health/GROUP`, usable as the readiness or liveness set. */
  groups?: readonly string[];
}

/**
 * Who sees check messages and details over HTTP: `never` (statuses, score and names only),
 * `always`, or a function of the request (e.g. a token check). In-process calls always see them.
 */
export type ShowDetails = 'always' | 'never' | ((req: IncomingMessage) => boolean);

export interface HealPolicyOptions {
  /** Bound on one heal (default 10_000 ms). */
  timeoutMs?: number;
  /** Wait after a failed heal before the next one (default 5_000 ms). */
  cooldownMs?: number;
  /** Growth of the wait per further failed heal (default 2). */
  backoffMultiplier?: number;
  /** Cap on the wait (default 300_000 ms). */
  maxCooldownMs?: number;
  /** Failed heals in a row before healing stops until the check recovers (default 3). */
  maxAttempts?: number;
}

/**
 * Time source in epoch milliseconds; injected so tests never sleep. When injected it also times
 * checks and heal cooldowns; by default those use the monotonic `performance.now()`.
 */
export interface HealthClock {
  now(): number;
}

/**
 * Timer functions; injected so tests never sleep. Handles with `unref()` are unref'd in background
 * rounds (and `ref()`'d again when `runAll()` joins a run in progress).
 */
export interface HealthTimers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface HealthCheckManagerOptions {
  /** Default interval of every check (default 10_000 ms). */
  checkIntervalMs?: number;
  /** Default timeout of every check (default 5_000 ms). */
  timeoutMs?: number;
  /** The service is unhealthy when the score falls below this (0–100, default 50; 0 turns the rule off). */
  unhealthyBelowScore?: number;
  /** Guards of auto-heal; each can be overridden per check. */
  heal?: HealPolicyOptions;
  clock?: HealthClock;
  timers?: HealthTimers;
  /** Who sees messages and details on `/health` (default `never`: they name hosts, users, paths). */
  showDetails?: ShowDetails;
  /** How long `drain()` waits, readiness already failing, before it resolves (default 0). */
  shutdownDelayMs?: number;
  /** The group `/readyz` judges (default: every check). */
  readinessGroup?: string;
  /** The group `/livez` judges (default: none, so a failing dependency never restarts the process). */
  livenessGroup?: string;
}

/** The latest known state of one check (what `checks()` returns). */
export interface CheckState {
  name: string;
  componentType: ComponentType;
  weight: number;
  critical: boolean;
  /** Whether the check heals itself (registered with `autoHeal` and `heal`). */
  autoHeal: boolean;
  status: HealthStatus;
  message: string;
  details: Record<string, unknown> | undefined;
  /** Duration of the last run in ms (0 before the first). */
  durationMs: number;
  /** Epoch ms at which the last run ended, or null before the first. */
  checkedAt: number | null;
  /** Heals so far, by outcome. */
  heals: { success: number; failure: number };
  groups: readonly string[];
}

export interface StatusChangeEvent {
  name: string;
  componentType: ComponentType;
  from: HealthStatus;
  to: HealthStatus;
  message: string;
}

export interface OverallChangeEvent {
  from: HealthStatus;
  to: HealthStatus;
  score: number;
}

export interface HealEvent {
  name: string;
  /** 1 for the first heal since the check last recovered. */
  attempt: number;
  /** success: the check is no longer unhealthy after the heal. */
  outcome: 'success' | 'failure';
  /** How long `heal` took (the re-run of the check not included). */
  durationMs: number;
  /** Why the heal failed: the heal's error, its timeout, or the check still being unhealthy. */
  error?: string;
}

export interface CheckCompleteEvent {
  name: string;
  componentType: ComponentType;
  status: HealthStatus;
  durationMs: number;
}

export interface HealthEvents {
  /** A check's status changed (also from `unknown` on its first run). */
  statusChange: StatusChangeEvent;
  /** The overall status changed. */
  overallChange: OverallChangeEvent;
  /** A heal ended. */
  heal: HealEvent;
  /** A check run ended (every run, changed or not). */
  checkComplete: CheckCompleteEvent;
  /** A check was registered or unregistered. */
  registration: { name: string; registered: boolean };
  /** `stop()` was called. */
  stop: Record<string, never>;
  /** `drain()` was called: readiness fails from now on. */
  drain: Record<string, never>;
}
