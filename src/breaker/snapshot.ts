import type { OptionChecker } from '../common/option-checker.js';
import type { CircuitBreakerMetrics, CircuitBreakerSnapshot, TransitionKey } from './types.js';

const STATES = new Set(['closed', 'open', 'half_open']);
const TRANSITION = /^(closed|open|half_open)->(closed|open|half_open)$/;

function fail(check: OptionChecker, path: string, rule: string, value: unknown): never {
  throw check.error(path === '' ? 'initialState' : `initialState.${path}`, rule, value);
}

function count(check: OptionChecker, path: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) fail(check, path, 'an integer >= 0', value);
  return value;
}

function time(check: OptionChecker, path: string, value: unknown): number | null {
  if (value === null) return null;
  if (typeof value !== 'number' || !Number.isFinite(value)) fail(check, path, 'a finite number or null', value);
  return value;
}

/** Checks a snapshot from `toJSON()` (perhaps read back from disk) and returns a private copy. */
export function readSnapshot(check: OptionChecker, name: string, snapshot: unknown): CircuitBreakerSnapshot {
  if (typeof snapshot !== 'object' || snapshot === null) fail(check, '', 'an object', snapshot);
  const s = snapshot as Record<string, unknown>;
  if (typeof s.state !== 'string' || !STATES.has(s.state)) fail(check, 'state', '"closed", "open" or "half_open"', s.state);
  const state = s.state as CircuitBreakerSnapshot['state'];
  if (typeof s.forced !== 'boolean') fail(check, 'forced', 'a boolean', s.forced);
  const openUntil = time(check, 'openUntil', s.openUntil);
  if (state === 'open' && !s.forced && openUntil === null) fail(check, 'openUntil', 'a number when state is "open"', null);
  const openings = count(check, 'openings', s.openings);

  if (typeof s.metrics !== 'object' || s.metrics === null) fail(check, 'metrics', 'an object', s.metrics);
  const m = s.metrics as Record<string, unknown>;
  const transitions: Partial<Record<TransitionKey, number>> = {};
  if (typeof m.stateTransitions !== 'object' || m.stateTransitions === null) {
    fail(check, 'metrics.stateTransitions', 'an object', m.stateTransitions);
  }
  for (const [key, n] of Object.entries(m.stateTransitions as object)) {
    if (!TRANSITION.test(key)) fail(check, `metrics.stateTransitions`, 'keyed by "from->to" states', key);
    transitions[key as TransitionKey] = count(check, `metrics.stateTransitions.${key}`, n);
  }
  const metrics: CircuitBreakerMetrics = {
    totalCalls: count(check, 'metrics.totalCalls', m.totalCalls),
    successfulCalls: count(check, 'metrics.successfulCalls', m.successfulCalls),
    failedCalls: count(check, 'metrics.failedCalls', m.failedCalls),
    ignoredCalls: count(check, 'metrics.ignoredCalls', m.ignoredCalls),
    rejectedCalls: count(check, 'metrics.rejectedCalls', m.rejectedCalls),
    // Snapshots saved before this counter existed have none: their rejections count as open ones.
    rejectedCallsHalfOpen: m.rejectedCallsHalfOpen === undefined ? 0 : count(check, 'metrics.rejectedCallsHalfOpen', m.rejectedCallsHalfOpen),
    stateTransitions: transitions,
    lastFailureTime: time(check, 'metrics.lastFailureTime', m.lastFailureTime),
    lastSuccessTime: time(check, 'metrics.lastSuccessTime', m.lastSuccessTime),
  };
  if (metrics.rejectedCallsHalfOpen > metrics.rejectedCalls) {
    fail(check, 'metrics.rejectedCallsHalfOpen', `<= metrics.rejectedCalls (${metrics.rejectedCalls})`, metrics.rejectedCallsHalfOpen);
  }
  const settled = metrics.successfulCalls + metrics.failedCalls + metrics.ignoredCalls + metrics.rejectedCalls;
  // Calls in flight when the snapshot was taken never settle in this process: count them as ignored
  // so the invariant holds from the start.
  if (settled > metrics.totalCalls) fail(check, 'metrics.totalCalls', `>= the sum of outcomes (${settled})`, metrics.totalCalls);
  metrics.ignoredCalls += metrics.totalCalls - settled;
  return { name: typeof s.name === 'string' ? s.name : name, state, openUntil, openings, forced: s.forced, metrics };
}
