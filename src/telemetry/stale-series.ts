import type { Meter } from '@opentelemetry/api';

/**
 * Works around opentelemetry-js#4096 (present in @opentelemetry/sdk-metrics 3.1): under
 * cumulative temporality (Prometheus, the default for OTLP) an observable instrument keeps
 * exporting every attribute set it ever observed, forever, with its last value, and counts it
 * against the cardinality limit. The spec says a series not observed in a successful callback is
 * not exported. For breakwater that means an evicted breaker would never leave /metrics and a
 * long-lived process would end up in the overflow series.
 *
 * This prunes, for breakwater's own instruments only, the SDK's per-series memory down to what the
 * latest callback observed, just before the SDK builds a collection. It touches private fields, so
 * it checks their shape first and does nothing when they differ (another SDK version). Once the SDK
 * fixes the bug this drops nothing the SDK would not drop itself.
 */

interface SeriesMap {
  has(attributes: unknown, hash?: string): boolean;
  keys(): Iterable<[unknown, string]>;
  _valueMap: Map<string, unknown>;
  _keyMap: Map<string, unknown>;
}

interface DeltaStorage {
  batchCumulate?: (measurements: SeriesMap, time: unknown) => void;
  _cumulativeMemoStorage?: unknown;
  _activeCollectionStorage?: unknown;
}

interface AsyncStorage {
  collect(collector: object, time: unknown): unknown;
  _deltaMetricStorage?: DeltaStorage;
  _temporalMetricStorage?: { _reportHistory?: unknown; _unreportedAccumulations?: unknown };
}

const patched = new WeakSet<object>();
const OVERFLOW = 'otel.metric.overflow';

/** Applies the workaround to the storages behind an observable instrument; returns whether it could. */
export function dropUnobservedSeries(instrument: unknown): boolean {
  const storages = (instrument as { _metricStorages?: unknown } | undefined)?._metricStorages;
  if (!Array.isArray(storages)) return false;
  let all = storages.length > 0;
  for (const storage of storages) all = patchStorage(storage as AsyncStorage) && all;
  return all;
}

function patchStorage(storage: AsyncStorage): boolean {
  if (patched.has(storage)) return true;
  const delta = storage._deltaMetricStorage;
  const memo = delta?._cumulativeMemoStorage;
  const history = storage._temporalMetricStorage?._reportHistory;
  const unreported = storage._temporalMetricStorage?._unreportedAccumulations;
  if (
    typeof delta?.batchCumulate !== 'function' ||
    typeof storage.collect !== 'function' ||
    !isSeriesMap(memo) ||
    !(history instanceof Map) ||
    !(unreported instanceof Map)
  ) {
    return false;
  }
  patched.add(storage);
  const batchCumulate = delta.batchCumulate;
  const collect = storage.collect;
  let observed: SeriesMap | undefined;
  // Per collection the SDK hands what the callback observed for this instrument (after any View's
  // attribute filter) to batchCumulate() — not at all when it observed nothing — then collect().
  delta.batchCumulate = function (measurements, time) {
    observed = measurements;
    return batchCumulate.call(this, measurements, time);
  };
  storage.collect = function (collector, time) {
    const current = observed;
    observed = undefined;
    prune(memo, current);
    // With several readers, other readers' collections also fed this storage since its last one.
    if (isSeriesMap(delta._activeCollectionStorage)) prune(delta._activeCollectionStorage, current);
    const stash = unreported.get(collector);
    if (Array.isArray(stash)) for (const map of stash) if (isSeriesMap(map)) prune(map, current);
    const last = history.get(collector) as { accumulations?: unknown } | undefined;
    if (isSeriesMap(last?.accumulations)) prune(last.accumulations, current);
    return collect.call(this, collector, time);
  };
  return true;
}

function prune(map: SeriesMap, keep: SeriesMap | undefined): void {
  for (const [attributes, hash] of [...map.keys()]) {
    // The SDK's overflow series is never observed by name; it must stay to show the limit was hit.
    if (keep?.has(attributes, hash) || (attributes as Record<string, unknown>)[OVERFLOW] === true) continue;
    map._valueMap.delete(hash);
    map._keyMap.delete(hash);
  }
}

function isSeriesMap(value: unknown): value is SeriesMap {
  const v = value as Partial<SeriesMap> | undefined;
  return (
    typeof v === 'object' && v !== null && typeof v.has === 'function' && typeof v.keys === 'function' &&
    v._valueMap instanceof Map && v._keyMap instanceof Map
  );
}

/**
 * `meter`, except that its observable instruments drop unobserved series (see above). Every
 * MetricSource gets one, so health and future sources need not know about the SDK bug.
 */
export function pruningMeter(meter: Meter): Meter {
  const pruned = <T>(instrument: T): T => {
    dropUnobservedSeries(instrument);
    return instrument;
  };
  return {
    createGauge: (name, options) => meter.createGauge(name, options),
    createHistogram: (name, options) => meter.createHistogram(name, options),
    createCounter: (name, options) => meter.createCounter(name, options),
    createUpDownCounter: (name, options) => meter.createUpDownCounter(name, options),
    createObservableGauge: (name, options) => pruned(meter.createObservableGauge(name, options)),
    createObservableCounter: (name, options) => pruned(meter.createObservableCounter(name, options)),
    createObservableUpDownCounter: (name, options) => pruned(meter.createObservableUpDownCounter(name, options)),
    addBatchObservableCallback: (callback, observables) => meter.addBatchObservableCallback(callback, observables),
    removeBatchObservableCallback: (callback, observables) => meter.removeBatchObservableCallback(callback, observables),
  };
}
