import type { ViewOptions } from '@opentelemetry/sdk-metrics';
import { DEFAULT_MAX_BREAKERS, MAX_SERIES_PER_BREAKER } from '../config/defaults.js';
import { BREAKER_METRICS, SCOPE_NAME } from './names.js';

export interface BreakwaterViewsOptions {
  /** The instrumentation's `maxBreakers` (default 250). */
  maxBreakers?: number;
  /** Breakers outside the instrumentation's registry, e.g. `@circuitBreaker` ones (default 100). */
  otherBreakers?: number;
}

/**
 * Views that raise the SDK's cardinality limit (2000 series per metric) on breakwater's breaker
 * metrics so every series of `maxBreakers` breakers is exported. Only needed above the default
 * cap: `new NodeSDK({ views: breakwaterViews({ maxBreakers: 2000 }), ... })`.
 */
export function breakwaterViews(options: BreakwaterViewsOptions = {}): ViewOptions[] {
  const breakers = (options.maxBreakers ?? DEFAULT_MAX_BREAKERS) + (options.otherBreakers ?? 100);
  // +1: the SDK keeps one slot for its overflow series.
  const limit = Math.max(2000, breakers * MAX_SERIES_PER_BREAKER + 1);
  return Object.values(BREAKER_METRICS).map((m) => ({
    instrumentName: m.name,
    meterName: SCOPE_NAME,
    aggregationCardinalityLimit: limit,
  }));
}
