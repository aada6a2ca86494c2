import { diag as apiDiag, type DiagLogger, type Logger, type Meter } from '@opentelemetry/api';
import type { BreakerRegistry } from '../breaker/registry.js';
import { BreakerEventReporter, type EventTargets } from './breaker-events.js';
import { observeBreakers } from './breaker-metrics.js';
import { BreakerWatch } from './breaker-watch.js';
import { BREAKER_METRICS, DURATION_BUCKETS_SECONDS } from './names.js';
import { pruningMeter } from './stale-series.js';
import type { MetricSource, StopObserving } from './types.js';

export interface TelemetryOptions {
  /** Registries whose breakers are reported (each breaker once, even if in several). */
  registries?: readonly BreakerRegistry[];
  /** Record `circuit_breaker.call.duration` for every permitted call (default false). */
  durationHistogram?: boolean;
  /** Where breaker events are reported (default both: span events and log records). */
  events?: EventTargets;
  /** Logger of the event log records (default: the global logs API's `breakwater` logger). */
  logger?: Logger;
  /** Where collection faults go (default: the OTel diag logger). */
  diag?: DiagLogger;
}

/**
 * Owns breakwater's instruments on one meter at a time. `setMeter()` may run any number of times
 * (NodeSDK sets the provider after registration): every source is removed from the old meter
 * before it is installed on the new one, so no series is ever reported twice.
 */
export class BreakwaterTelemetry {
  readonly #events: BreakerEventReporter;
  readonly #watch: BreakerWatch;
  readonly #sources = new Map<MetricSource, StopObserving | undefined>();
  readonly #diag: DiagLogger;
  #meter: Meter | undefined;
  #enabled = false;

  constructor(options: TelemetryOptions = {}) {
    this.#diag = options.diag ?? apiDiag;
    this.#events = new BreakerEventReporter({
      targets: options.events ?? { spans: true, logs: true },
      logger: options.logger,
      diag: this.#diag,
    });
    this.#watch = new BreakerWatch(this.#events);
    for (const registry of options.registries ?? []) this.#watch.add(registry);
    this.#sources.set((meter) => observeBreakers(meter, {
      breakers: () => this.#watch.breakers(),
      onError: (err) => this.#diag.error('breakwater: breaker metrics collection failed', err),
    }), undefined);
    if (options.durationHistogram) {
      this.#sources.set((meter) => {
        this.#watch.setHistogram(meter.createHistogram(BREAKER_METRICS.duration.name, {
          unit: BREAKER_METRICS.duration.unit,
          description: BREAKER_METRICS.duration.description,
          advice: { explicitBucketBoundaries: [...DURATION_BUCKETS_SECONDS] },
        }));
        return () => this.#watch.setHistogram(undefined);
      }, undefined);
    }
  }

  /** Also report the breakers of `registry`; returns the undo. */
  observeRegistry(registry: BreakerRegistry): () => void {
    return this.#watch.add(registry);
  }

  /**
   * Adds another exporter of metrics (e.g. health: `(meter) => observeHealth(meter, manager)`);
   * it is installed on the current meter and every later one. Returns the undo.
   */
  addSource(source: MetricSource): () => void {
    if (this.#sources.has(source)) return () => this.#removeSource(source);
    this.#sources.set(source, this.#enabled && this.#meter ? this.#install(source) : undefined);
    return () => this.#removeSource(source);
  }

  /** Where breaker events go from now on; breakers get (or lose) their event listeners accordingly. */
  setEvents(targets: EventTargets): void {
    const wasActive = this.#events.active;
    this.#events.setTargets(targets);
    if (this.#events.active !== wasActive) this.#watch.resubscribe();
  }

  setLogger(logger: Logger): void {
    this.#events.setLogger(logger);
  }

  setMeter(meter: Meter): void {
    if (meter === this.#meter) return;
    this.#uninstallAll();
    this.#meter = meter;
    if (this.#enabled) this.#installAll();
  }

  /** Starts reporting (idempotent). */
  enable(): void {
    if (this.#enabled) return;
    this.#enabled = true;
    this.#watch.start();
    this.#installAll();
  }

  /** Stops reporting: callbacks and listeners are removed; the next collection has no breakwater series. */
  disable(): void {
    if (!this.#enabled) return;
    this.#enabled = false;
    this.#uninstallAll();
    this.#watch.stop();
  }

  #installAll(): void {
    if (!this.#meter) return;
    for (const source of this.#sources.keys()) this.#sources.set(source, this.#install(source));
  }

  #uninstallAll(): void {
    for (const [source, stop] of this.#sources) {
      this.#stop(stop);
      this.#sources.set(source, undefined);
    }
  }

  #install(source: MetricSource): StopObserving | undefined {
    try {
      return source(pruningMeter(this.#meter!));
    } catch (err) {
      this.#diag.error('breakwater: could not create instruments', err);
      return undefined;
    }
  }

  #stop(stop: StopObserving | undefined): void {
    try {
      stop?.();
    } catch (err) {
      this.#diag.error('breakwater: could not remove instruments', err);
    }
  }

  #removeSource(source: MetricSource): void {
    if (!this.#sources.has(source)) return;
    this.#stop(this.#sources.get(source));
    this.#sources.delete(source);
  }
}
