import type { CircuitBreakerMetrics, CircuitBreakerSnapshot, TransitionKey } from './types.js';

const STATES = new Set(['closed', 'open', 'half_open']);
const TRANSITION = /^(closed|open|half_open)->(closed|open|half_open)$/;

function fail(name: string, path: string, rule: string, value: unknown): never {
  const Err = typeof value === 'number' ? RangeError : TypeError;
  throw new Err(`CircuitBreaker "${name}": option "initialState.${path}" must be ${rule}, got ${JSON.stringify(value) ?? String(value)}`);
}

function count(name: string, path: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) fail(name, path, 'an integer >= 0', value);
  return value;
}

function time(name: string, path: string, value: unknown): number | null {
  if (value === null) return null;
  if (typeof value !== 'number' || !Number.isFinite(value)) fail(name, path, 'a finite number or null', value);
  return value;
}

/** Checks a snapshot from `toJSON()` (perhaps read back from disk) and returns a private copy. */
export function readSnapshot(name: string, snapshot: unknown): CircuitBreakerSnapshot {
  if (typeof snapshot !== 'object' || snapshot === null) fail(name, '', 'an object', snapshot);
  const s = snapshot as Record<string, unknown>;
  if (typeof s.state !== 'string' || !STATES.has(s.state)) fail(name, 'state', '"closed", "open" or "half_open"', s.state);
  const state = s.state as CircuitBreakerSnapshot['state'];
  if (typeof s.forced !== 'boolean') fail(name, 'forced', 'a boolean', s.forced);
  const openUntil = time(name, 'openUntil', s.openUntil);
  if (state === 'open' && !s.forced && openUntil === null) fail(name, 'openUntil', 'a number when state is "open"', null);
  const openings = count(name, 'openings', s.openings);

  if (typeof s.metrics !== 'object' || s.metrics === null) fail(name, 'metrics', 'an object', s.metrics);
  const m = s.metrics as Record<string, unknown>;
  const transitions: Partial<Record<TransitionKey, number>> = {};
  if (typeof m.stateTransitions !== 'object' || m.stateTransitions === null) {
    fail(name, 'metrics.stateTransitions', 'an object', m.stateTransitions);
  }
  for (const [key, n] of Object.entries(m.stateTransitions as object)) {
    if (!TRANSITION.test(key)) fail(name, `metrics.stateTransitions`, 'keyed by "from->to" states', key);
    transitions[key as TransitionKey] = count(name, `metrics.stateTransitions.${key}`, n);
  }
  const metrics: CircuitBreakerMetrics = {
    totalCalls: count(name, 'metrics.totalCalls', m.totalCalls),
    successfulCalls: count(name, 'metrics.successfulCalls', m.successfulCalls),
    failedCalls: count(name, 'metrics.failedCalls', m.failedCalls),
    ignoredCalls: count(name, 'metrics.ignoredCalls', m.ignoredCalls),
    rejectedCalls: count(name, 'metrics.rejectedCalls', m.rejectedCalls),
    stateTransitions: transitions,
    lastFailureTime: time(name, 'metrics.lastFailureTime', m.lastFailureTime),
    lastSuccessTime: time(name, 'metrics.lastSuccessTime', m.lastSuccessTime),
  };
  const settled = metrics.successfulCalls + metrics.failedCalls + metrics.ignoredCalls + metrics.rejectedCalls;
  // Calls in flight when the snapshot was taken never settle in this process: count them as ignored
  // so the invariant holds from the start.
  if (settled > metrics.totalCalls) fail(name, 'metrics.totalCalls', `>= the sum of outcomes (${settled})`, metrics.totalCalls);
  metrics.ignoredCalls += metrics.totalCalls - settled;
  return { name: typeof s.name === 'string' ? s.name : name, state, openUntil, openings, forced: s.forced, metrics };
}
