import type { CheckState, ComponentType, HealthStatus } from './check-types.js';
import { roundScore } from './scoring.js';

/** One component in `GET /health` (DESIGN.md; snake_case because users already parse it). */
export interface ComponentReport {
  status: HealthStatus;
  message: string;
  duration_ms: number;
  details?: Record<string, unknown>;
}

/** The body of `GET /health` and the value of `runAll()` / `report()`. */
export interface HealthReport {
  overall_status: HealthStatus;
  /** 0–100, one decimal. */
  health_score: number;
  uptime_seconds: number;
  /** ISO 8601 time the report was made. */
  timestamp: string;
  components: Record<string, ComponentReport>;
  degraded_components: string[];
  unhealthy_components: string[];
}

/** Everything a report is made of, taken at one moment. */
export interface HealthSnapshot {
  checks: readonly CheckState[];
  score: number;
  overall: HealthStatus;
  /** Epoch ms. */
  at: number;
  uptimeSeconds: number;
  /** The rule's threshold, for judging a subset of the checks (groups, exclusions) the same way. */
  unhealthyBelowScore: number;
  /** A first round has run since `start()` (or a `runAll()` ended). */
  started: boolean;
  /** `drain()` was called: readiness fails. */
  draining: boolean;
}

export function designReport(snapshot: HealthSnapshot): HealthReport {
  const components: Record<string, ComponentReport> = {};
  const degraded: string[] = [];
  const unhealthy: string[] = [];
  for (const check of snapshot.checks) {
    const component: ComponentReport = {
      status: check.status,
      message: check.message,
      duration_ms: Math.round(check.durationMs * 100) / 100,
    };
    if (check.details !== undefined) component.details = check.details;
    components[check.name] = component;
    if (check.status === 'degraded') degraded.push(check.name);
    if (check.status === 'unhealthy') unhealthy.push(check.name);
  }
  return {
    overall_status: snapshot.overall,
    health_score: roundScore(snapshot.score),
    uptime_seconds: Math.floor(snapshot.uptimeSeconds),
    timestamp: new Date(snapshot.at).toISOString(),
    components,
    degraded_components: degraded,
    unhealthy_components: unhealthy,
  };
}

/** IETF "Health Check Response Format for HTTP APIs" (draft-inadarei-api-health-check) status. */
export type HealthJsonStatus = 'pass' | 'warn' | 'fail';

/** The draft's component types: a data store, the system itself, or any other component. */
export type HealthJsonComponentType = 'datastore' | 'system' | 'component';

export interface HealthJsonCheck {
  componentType: HealthJsonComponentType;
  status: HealthJsonStatus;
  /** How long the check took. */
  observedValue?: number;
  observedUnit?: string;
  /** ISO 8601 time of the last run (absent before the first). */
  time?: string;
  output: string;
}

export interface HealthJsonReport {
  status: HealthJsonStatus;
  /** Why the service is not passing (absent when it passes). */
  output?: string;
  /** Keyed "componentName:measurementName" as the draft has it: "database:responseTime". */
  checks: Record<string, HealthJsonCheck[]>;
}

export function toHealthJsonStatus(status: HealthStatus): HealthJsonStatus {
  if (status === 'healthy') return 'pass';
  if (status === 'unhealthy') return 'fail';
  return 'warn';
}

const HEALTH_JSON_TYPES: Record<ComponentType, HealthJsonComponentType> = {
  database: 'datastore',
  system: 'system',
  grpc_server: 'component',
  websocket: 'component',
  circuit_breaker: 'component',
  custom: 'component',
};

/**
 * The draft's measurement of each check: how long it took, so every check is one
 * `NAME:responseTime` entry (its message in `output`), whatever it measured.
 */
const MEASUREMENT = 'responseTime';

/** The same snapshot in the `application/health+json` format. */
export function healthJsonReport(snapshot: HealthSnapshot): HealthJsonReport {
  const checks: Record<string, HealthJsonCheck[]> = {};
  const notPassing: string[] = [];
  for (const check of snapshot.checks) {
    const entry: HealthJsonCheck = {
      componentType: HEALTH_JSON_TYPES[check.componentType],
      status: toHealthJsonStatus(check.status),
      output: check.message,
    };
    if (check.checkedAt !== null) {
      entry.observedValue = Math.round(check.durationMs * 100) / 100;
      entry.observedUnit = 'ms';
      entry.time = new Date(check.checkedAt).toISOString();
    }
    checks[`${check.name}:${MEASUREMENT}`] = [entry];
    if (check.status !== 'healthy') notPassing.push(`${check.name} ${check.status}`);
  }
  const report: HealthJsonReport = { status: toHealthJsonStatus(snapshot.overall), checks };
  if (report.status !== 'pass') report.output = notPassing.join(', ') || snapshot.overall;
  return report;
}

/** HTTP status for a snapshot: 503 when unhealthy, else 200. */
export function httpStatusOf(overall: HealthStatus): number {
  return overall === 'unhealthy' ? 503 : 200;
}
