export { CircuitBreaker } from './breaker/circuit-breaker.js';
export { CircuitOpenError, CallTimeoutError, SlowCallError } from './breaker/errors.js';
export { BreakerRegistry, defaultRegistry } from './breaker/registry.js';
export type { BreakerDefaults, BreakerRegistryOptions } from './breaker/registry.js';
export { circuitBreaker } from './breaker/decorator.js';
export { backoffMs } from './breaker/backoff.js';
export type { BackoffSettings } from './breaker/backoff.js';
export type {
  BreakerEvents,
  CallOptions,
  CallOutcome,
  CircuitBreakerMetrics,
  CircuitBreakerOptions,
  CircuitBreakerSnapshot,
  CircuitState,
  Clock,
  Permit,
  RetryOptions,
  StateChangeEvent,
  TransitionKey,
} from './breaker/types.js';
// health
export { HealthCheckManager } from './health/manager.js';
export { systemCheck } from './health/checks/system.js';
export type { SystemCheckOptions, Threshold } from './health/checks/system.js';
export { breakerCheck, breakerRegistryCheck } from './health/checks/breakers.js';
export type { BreakerCheckOptions, BreakerRegistryCheckOptions } from './health/checks/breakers.js';
export { httpCheck } from './health/checks/http.js';
export type { HttpCheckOptions } from './health/checks/http.js';
export { tcpCheck } from './health/checks/tcp.js';
export type { TcpCheckOptions } from './health/checks/tcp.js';
export { grpcHealthCheck } from './health/checks/grpc.js';
export type { GrpcHealthCheckOptions } from './health/checks/grpc.js';
export { dnsCheck } from './health/checks/dns.js';
export type { DnsCheckOptions, DnsLookup } from './health/checks/dns.js';
export type { DependencyCheckOptions } from './health/checks/dependency.js';
export { grpcHealthDefinition } from './health/grpc-health-service.js';
export type { GrpcHealthService, GrpcHealthServiceOptions, HealthCheckRequest, HealthCheckResponse, HealthListRequest, HealthListResponse, ServingStatus } from './health/grpc-health-service.js';
export type { HealthRequestHandler, ServeOptions } from './health/http-endpoint.js';
export type { HealthReport, ComponentReport, HealthJsonReport, HealthJsonCheck, HealthJsonComponentType } from './health/report.js';
export type {
  CheckCompleteEvent,
  CheckFunction,
  CheckRegistration,
  CheckResult,
  CheckState,
  ComponentType,
  HealEvent,
  HealFunction,
  HealPolicyOptions,
  HealthCheckManagerOptions,
  HealthClock,
  HealthEvents,
  HealthStatus,
  HealthTimers,
  OverallChangeEvent,
  StatusChangeEvent,
} from './health/check-types.js';
export { observeHealth } from './telemetry/health-metrics.js';
// BreakwaterInstrumentation lives in 'breakwater/instrumentation' (src/instrumentation.ts): it loads
// @opentelemetry/instrumentation, which would make this entry many times dearer to import. The
// name exported here (the public API names it from 'breakwater') is a stand-in that loads the real
// class on first use — `new`, `instanceof`, `extends`, a static — from the built package, next to
// this file; so `import { CircuitBreaker } from 'breakwater'` pays nothing for it.
type InstrumentationClass = typeof import('./instrumentation/instrumentation.js').BreakwaterInstrumentation;
let instrumentationClass: InstrumentationClass | undefined;
function loadInstrumentation(): InstrumentationClass {
  if (instrumentationClass === undefined) {
    const { createRequire } = process.getBuiltinModule('node:module');
    // require() of an ES module (Node >= 22.12) shares the loader's cache: the one copy `import` gets.
    const entry = createRequire(import.meta.url)('./instrumentation.js') as { BreakwaterInstrumentation: InstrumentationClass };
    instrumentationClass = entry.BreakwaterInstrumentation;
  }
  return instrumentationClass;
}
export const BreakwaterInstrumentation: InstrumentationClass = new Proxy(function BreakwaterInstrumentation() {} as unknown as InstrumentationClass, {
  construct: (_target, args, newTarget) => {
    const real = loadInstrumentation();
    return Reflect.construct(real, args, newTarget === BreakwaterInstrumentation ? real : newTarget) as object;
  },
  apply: () => {
    throw new TypeError("Class constructor BreakwaterInstrumentation cannot be invoked without 'new'");
  },
  get: (_target, key) => Reflect.get(loadInstrumentation(), key),
  has: (_target, key) => Reflect.has(loadInstrumentation(), key),
});
export type BreakwaterInstrumentation = import('./instrumentation/instrumentation.js').BreakwaterInstrumentation;
export type { AutoBreakerOptions, BreakwaterEventsOptions, BreakwaterInstrumentationConfig, InstrumentedClient } from './instrumentation/types.js';
export { HttpStatusError } from './instrumentation/http-outcome.js';
export type { HostPattern } from './config/host-patterns.js';
export { ConfigError } from './common/config-error.js';
export { breakwaterViews } from './telemetry/views.js';
export type { BreakwaterViewsOptions } from './telemetry/views.js';
export type { MetricSource, StopObserving } from './telemetry/types.js';
