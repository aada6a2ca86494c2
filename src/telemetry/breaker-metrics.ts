import type { Attributes, BatchObservableResult, Meter, Observable } from '@opentelemetry/api';
import type { CircuitBreaker } from '../breaker/circuit-breaker.js';
import type { CircuitState, TransitionKey } from '../breaker/types.js';
import {
  ATTR_BREAKER_NAME, ATTR_BREAKER_OUTCOME, ATTR_BREAKER_STATE, ATTR_TRANSITION_FROM, ATTR_TRANSITION_TO,
  BREAKER_METRICS,
} from './names.js';
import type { StopObserving } from './types.js';

const STATES: readonly CircuitState[] = ['closed', 'open', 'half_open'];

export interface BreakerSource {
  /** Every breaker to report, each once. */
  breakers(): Iterable<CircuitBreaker>;
  /** Where a failing collection is reported. */
  onError(err: unknown): void;
}

/**
 * Creates the breaker instruments on `meter`, all fed by one batch callback that reads the
 * breakers' own counters at collection time: a call costs the SDK nothing. (BreakwaterTelemetry
 * passes a `pruningMeter`, so evicted breakers leave the next collection.)
 */
export function observeBreakers(meter: Meter, source: BreakerSource): StopObserving {
  const calls = meter.createObservableCounter(BREAKER_METRICS.calls.name, {
    unit: BREAKER_METRICS.calls.unit, description: BREAKER_METRICS.calls.description,
  });
  const rejections = meter.createObservableCounter(BREAKER_METRICS.rejections.name, {
    unit: BREAKER_METRICS.rejections.unit, description: BREAKER_METRICS.rejections.description,
  });
  const transitions = meter.createObservableCounter(BREAKER_METRICS.transitions.name, {
    unit: BREAKER_METRICS.transitions.unit, description: BREAKER_METRICS.transitions.description,
  });
  const state = meter.createObservableGauge(BREAKER_METRICS.state.name, {
    unit: BREAKER_METRICS.state.unit, description: BREAKER_METRICS.state.description,
  });
  const instruments: Observable[] = [calls, rejections, transitions, state];

  const callback = (result: BatchObservableResult): void => {
    try {
      for (const breaker of source.breakers()) {
        const base = baseAttributes(breaker);
        const m = breaker.metrics;
        result.observe(calls, m.successfulCalls, { ...base, [ATTR_BREAKER_OUTCOME]: 'success' });
        result.observe(calls, m.failedCalls, { ...base, [ATTR_BREAKER_OUTCOME]: 'failure' });
        result.observe(calls, m.ignoredCalls, { ...base, [ATTR_BREAKER_OUTCOME]: 'ignored' });
        result.observe(rejections, m.rejectedCalls - m.rejectedCallsHalfOpen, { ...base, [ATTR_BREAKER_STATE]: 'open' });
        result.observe(rejections, m.rejectedCallsHalfOpen, { ...base, [ATTR_BREAKER_STATE]: 'half_open' });
        for (const key of Object.keys(m.stateTransitions) as TransitionKey[]) {
          const [from, to] = key.split('->');
          result.observe(transitions, m.stateTransitions[key] ?? 0, {
            ...base, [ATTR_TRANSITION_FROM]: from, [ATTR_TRANSITION_TO]: to,
          });
        }
        const current = breaker.state;
        for (const s of STATES) result.observe(state, s === current ? 1 : 0, { ...base, [ATTR_BREAKER_STATE]: s });
      }
    } catch (err) {
      source.onError(err);
    }
  };
  meter.addBatchObservableCallback(callback, instruments);
  return () => meter.removeBatchObservableCallback(callback, instruments);
}

const baseCache = new WeakMap<CircuitBreaker, Attributes>();

/** `circuit_breaker.name` plus the breaker's own attributes (e.g. `server.address`, `server.port`). */
export function baseAttributes(breaker: CircuitBreaker): Attributes {
  let base = baseCache.get(breaker);
  if (base === undefined) {
    base = { ...breaker.attributes, [ATTR_BREAKER_NAME]: breaker.name };
    baseCache.set(breaker, base);
  }
  return base;
}
