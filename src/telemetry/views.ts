import type { ViewOptions } from '@opentelemetry/sdk-metrics';
import { OptionChecker } from '../common/option-checker.js';
import { DEFAULT_MAX_BREAKERS, MAX_SERIES_PER_BREAKER } from '../config/defaults.js';
import { BREAKER_METRICS, SCOPE_NAME } from './names.js';

export interface BreakwaterViewsOptions {
  /** The instrumentation's `maxBreakers` (default 250). */
  maxBreakers?: number;
  /** Breakers outside the instrumentation's registry, e.g. `@circuitBreaker` ones (default 100). */
  otherBreakers?: number;
}

const VIEW_OPTIONS: ReadonlySet<string> = new Set<keyof BreakwaterViewsOptions>(['maxBreakers', 'otherBreakers']);

/**
 * Views that raise the SDK's cardinality limit (2000 series per metric) on breakwater's breaker
 * metrics so every series of `maxBreakers` breakers is exported. Only needed above the default
 * cap: `new NodeSDK({ views: breakwaterViews({ maxBreakers: 2000 }), ... })`.
 * @throws ConfigError naming the option and value when an option is not a whole number in range.
 */
export function breakwaterViews(options: BreakwaterViewsOptions = {}): ViewOptions[] {
  const check = new OptionChecker('breakwaterViews()');
  check.object('options', options);
  check.known(options, VIEW_OPTIONS);
  const maxBreakers = check.number('maxBreakers', options.maxBreakers, DEFAULT_MAX_BREAKERS, { integer: true, min: 1 });
  const breakers = maxBreakers + check.number('otherBreakers', options.otherBreakers, 100, { integer: true, min: 0 });
  // +1: the SDK keeps one slot for its overflow series.
  const limit = Math.max(2000, breakers * MAX_SERIES_PER_BREAKER + 1);
  return Object.values(BREAKER_METRICS).map((m) => ({
    instrumentName: m.name,
    meterName: SCOPE_NAME,
    aggregationCardinalityLimit: limit,
  }));
}
