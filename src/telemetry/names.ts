/**
 * Every metric name, unit, attribute key and event name breakwater exports. Dashboards,
 * alerts and DESIGN.md depend on these strings; nothing else in the code spells them out.
 */

/** Instrumentation scope of every breakwater instrument. */
export const SCOPE_NAME = 'breakwater';

export const BREAKER_METRICS = {
  calls: { name: 'circuit_breaker.calls', unit: '{call}', description: 'Calls settled by a circuit breaker, by outcome.' },
  rejections: { name: 'circuit_breaker.rejections', unit: '{call}', description: 'Calls a circuit breaker did not permit, by the state it was in.' },
  transitions: { name: 'circuit_breaker.transitions', unit: '{transition}', description: 'State transitions of a circuit breaker.' },
  state: { name: 'circuit_breaker.state', unit: '{state}', description: 'Current state of a circuit breaker: 1 for the current state, 0 for the others.' },
  duration: { name: 'circuit_breaker.call.duration', unit: 's', description: 'Duration of calls a circuit breaker permitted (opt-in).' },
} as const;

/**
 * Bucket boundaries, in seconds, of every breakwater duration histogram (`circuit_breaker.call.duration`,
 * `health_check.duration`): from sub-millisecond calls to multi-second timeouts. Without them the
 * SDK's defaults (0, 5, 10, … 10000) would put every call of less than 5 s in one bucket.
 */
export const DURATION_BUCKETS_SECONDS: readonly number[] = Object.freeze([
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30,
]);

export const HEALTH_METRICS = {
  score: { name: 'health_check.score', unit: '{score}', description: 'Overall health score, 0 to 100.' },
  checkStatus: { name: 'health_check.status', unit: '{status}', description: 'Status of a health check: 1 for the current status, 0 for the others.' },
  checkDuration: { name: 'health_check.duration', unit: 's', description: 'Duration of health check runs.' },
  heals: { name: 'health_check.heals', unit: '{heal}', description: 'Heal attempts of failing health checks, by outcome.' },
} as const;

export const ATTR_BREAKER_NAME = 'circuit_breaker.name';
export const ATTR_BREAKER_OUTCOME = 'circuit_breaker.outcome';
export const ATTR_BREAKER_STATE = 'circuit_breaker.state';
export const ATTR_TRANSITION_FROM = 'circuit_breaker.transition.from';
export const ATTR_TRANSITION_TO = 'circuit_breaker.transition.to';
/** On rejection events in shadow mode (the call went through). */
export const ATTR_BREAKER_SHADOW = 'circuit_breaker.shadow';
/** On rejection log records: rejections of the breaker since its previous rejection record, this one included. */
export const ATTR_REJECTED_COUNT = 'circuit_breaker.rejected_count';
export const ATTR_SERVER_ADDRESS = 'server.address';
export const ATTR_SERVER_PORT = 'server.port';

export const ATTR_HEALTH_CHECK_NAME = 'health_check.name';
export const ATTR_HEALTH_COMPONENT_TYPE = 'health_check.component_type';
export const ATTR_HEALTH_CHECK_STATUS = 'health_check.status';
export const ATTR_HEAL_OUTCOME = 'health_check.heal.outcome';

/** Event (span event and log record) of a call a breaker refused. */
export const EVENT_REJECTED = 'circuit_breaker.rejected';
/** Event (span event and log record) of a breaker changing state, in the call that made it change. */
export const EVENT_STATE_CHANGE = 'circuit_breaker.state_change';
