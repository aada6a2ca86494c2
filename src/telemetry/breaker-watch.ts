import type { Attributes, Histogram } from '@opentelemetry/api';
import type { CircuitBreaker } from '../breaker/circuit-breaker.js';
import type { BreakerRegistry } from '../breaker/registry.js';
import type { BreakerEventReporter } from './breaker-events.js';
import { baseAttributes } from './breaker-metrics.js';
import { ATTR_BREAKER_OUTCOME } from './names.js';

/**
 * Follows the breakers of the observed registries: which ones exist (for the metrics callback)
 * and the events telemetry reports as they happen. Metrics need no listener (the breakers count
 * for themselves); breakers get listeners only for events and the duration histogram.
 */
export class BreakerWatch {
  readonly #registries = new Set<BreakerRegistry>();
  readonly #registryStops = new Map<BreakerRegistry, () => void>();
  readonly #breakerStops = new Map<CircuitBreaker, () => void>();
  readonly #events: BreakerEventReporter;
  #running = false;
  #histogram: Histogram | undefined;
  /** Per breaker, the attributes of its success and failure durations, built once. */
  readonly #durationAttributes = new WeakMap<CircuitBreaker, { success: Attributes; failure: Attributes }>();

  constructor(events: BreakerEventReporter) {
    this.#events = events;
  }

  /** Adds a registry to follow (its current and future breakers); returns the undo. */
  add(registry: BreakerRegistry): () => void {
    if (this.#registries.has(registry)) return () => {};
    this.#registries.add(registry);
    if (this.#running) this.#follow(registry);
    return () => {
      this.#unfollow(registry);
      this.#registries.delete(registry);
    };
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    for (const registry of this.#registries) this.#follow(registry);
  }

  stop(): void {
    if (!this.#running) return;
    this.#running = false;
    for (const registry of [...this.#registryStops.keys()]) this.#unfollow(registry);
  }

  /** Where `circuit_breaker.call.duration` goes, or undefined to record nothing. */
  setHistogram(histogram: Histogram | undefined): void {
    const changed = (histogram === undefined) !== (this.#histogram === undefined);
    this.#histogram = histogram;
    // Timing a call costs a clock read, so breakers only listen for outcomes while recording.
    if (changed) this.resubscribe();
  }

  /** Subscribes every followed breaker again, to the listeners the current settings need. */
  resubscribe(): void {
    if (!this.#running) return;
    for (const registry of [...this.#registryStops.keys()]) {
      this.#unfollow(registry);
      this.#follow(registry);
    }
  }

  /** Every breaker of every followed registry, each once. */
  *breakers(): Iterable<CircuitBreaker> {
    if (this.#registries.size === 1) {
      for (const registry of this.#registries) yield* registry;
      return;
    }
    const seen = new Set<CircuitBreaker>();
    for (const registry of this.#registries) {
      for (const breaker of registry) {
        if (seen.has(breaker)) continue;
        seen.add(breaker);
        yield breaker;
      }
    }
  }

  #follow(registry: BreakerRegistry): void {
    if (this.#registryStops.has(registry)) return;
    const offCreate = registry.on('create', (breaker) => this.#subscribe(breaker));
    const offEvict = registry.on('evict', (breaker) => this.#unsubscribe(breaker));
    this.#registryStops.set(registry, () => {
      offCreate();
      offEvict();
    });
    for (const breaker of registry) this.#subscribe(breaker);
  }

  #unfollow(registry: BreakerRegistry): void {
    const stop = this.#registryStops.get(registry);
    if (!stop) return;
    stop();
    this.#registryStops.delete(registry);
    for (const breaker of registry) this.#unsubscribe(breaker);
  }

  #subscribe(breaker: CircuitBreaker): void {
    if (this.#breakerStops.has(breaker)) return;
    const offs: Array<() => void> = [];
    const events = this.#events;
    if (events.active) {
      offs.push(breaker.on('stateChange', (e) => events.stateChange(e)));
      offs.push(breaker.on('rejection', (e) => events.rejection(breaker, e)));
    }
    if (this.#histogram) {
      offs.push(breaker.on('success', (e) => this.#recordDuration(breaker, e.durationMs, 'success')));
      offs.push(breaker.on('failure', (e) => this.#recordDuration(breaker, e.durationMs, 'failure')));
    }
    this.#breakerStops.set(breaker, () => {
      for (const off of offs) off();
    });
  }

  #unsubscribe(breaker: CircuitBreaker): void {
    this.#breakerStops.get(breaker)?.();
    this.#breakerStops.delete(breaker);
  }

  #recordDuration(breaker: CircuitBreaker, durationMs: number | null, outcome: 'success' | 'failure'): void {
    if (durationMs === null || this.#histogram === undefined) return;
    let attributes = this.#durationAttributes.get(breaker);
    if (attributes === undefined) {
      const base = baseAttributes(breaker);
      attributes = { success: { ...base, [ATTR_BREAKER_OUTCOME]: 'success' }, failure: { ...base, [ATTR_BREAKER_OUTCOME]: 'failure' } };
      this.#durationAttributes.set(breaker, attributes);
    }
    this.#histogram.record(durationMs / 1000, attributes[outcome]);
  }
}
