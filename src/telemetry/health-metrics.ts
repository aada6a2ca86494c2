import type { BatchObservableResult, Meter, Observable } from '@opentelemetry/api';
import { diag } from '../common/otel-api.js';
import type { HealthStatus } from '../health/check-types.js';
import type { HealthCheckManager } from '../health/manager.js';
import { roundScore } from '../health/scoring.js';
import {
  ATTR_HEAL_OUTCOME, ATTR_HEALTH_CHECK_NAME, ATTR_HEALTH_CHECK_STATUS, ATTR_HEALTH_COMPONENT_TYPE, DURATION_BUCKETS_SECONDS, HEALTH_METRICS,
} from './names.js';
import { dropUnobservedSeries } from './stale-series.js';
import type { StopObserving } from './types.js';

const STATUSES: readonly HealthStatus[] = ['healthy', 'degraded', 'unhealthy', 'unknown'];

/**
 * Exports a manager's health on `meter`: `health_check.score`, `health_check.status` and
 * `health_check.heals` are read from the manager at collection time; `health_check.duration` is
 * recorded as each check run ends. Returns the function that removes it all again (call it before
 * observing on the meter of a new MeterProvider). Plugs into BreakwaterTelemetry as
 * `telemetry.addSource((meter) => observeHealth(meter, manager))`.
 */
export function observeHealth(meter: Meter, manager: HealthCheckManager): StopObserving {
  const score = meter.createObservableGauge(HEALTH_METRICS.score.name, {
    unit: HEALTH_METRICS.score.unit, description: HEALTH_METRICS.score.description,
  });
  const status = meter.createObservableGauge(HEALTH_METRICS.checkStatus.name, {
    unit: HEALTH_METRICS.checkStatus.unit, description: HEALTH_METRICS.checkStatus.description,
  });
  const heals = meter.createObservableCounter(HEALTH_METRICS.heals.name, {
    unit: HEALTH_METRICS.heals.unit, description: HEALTH_METRICS.heals.description,
  });
  const duration = meter.createHistogram(HEALTH_METRICS.checkDuration.name, {
    unit: HEALTH_METRICS.checkDuration.unit,
    description: HEALTH_METRICS.checkDuration.description,
    advice: { explicitBucketBoundaries: [...DURATION_BUCKETS_SECONDS] },
  });
  const instruments: Observable[] = [score, status, heals];
  // An unregistered check's series must leave the export with it.
  for (const instrument of instruments) dropUnobservedSeries(instrument);

  const callback = (result: BatchObservableResult): void => {
    try {
      result.observe(score, roundScore(manager.score));
      for (const check of manager.checks()) {
        const base = { [ATTR_HEALTH_CHECK_NAME]: check.name, [ATTR_HEALTH_COMPONENT_TYPE]: check.componentType };
        for (const s of STATUSES) result.observe(status, s === check.status ? 1 : 0, { ...base, [ATTR_HEALTH_CHECK_STATUS]: s });
        if (check.autoHeal) {
          result.observe(heals, check.heals.success, { [ATTR_HEALTH_CHECK_NAME]: check.name, [ATTR_HEAL_OUTCOME]: 'success' });
          result.observe(heals, check.heals.failure, { [ATTR_HEALTH_CHECK_NAME]: check.name, [ATTR_HEAL_OUTCOME]: 'failure' });
        }
      }
    } catch (error) {
      diag.error('breakwater: collecting health metrics failed', error);
    }
  };
  meter.addBatchObservableCallback(callback, instruments);
  const offComplete = manager.on('checkComplete', (event) => {
    duration.record(event.durationMs / 1_000, { [ATTR_HEALTH_CHECK_NAME]: event.name });
  });

  let removed = false;
  return () => {
    if (removed) return;
    removed = true;
    offComplete();
    meter.removeBatchObservableCallback(callback, instruments);
  };
}
