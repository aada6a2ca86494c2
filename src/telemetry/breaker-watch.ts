import { trace, type Attributes, type Histogram } from '@opentelemetry/api';
import type { CircuitBreaker } from '../breaker/circuit-breaker.js';
import type { BreakerRegistry } from '../breaker/registry.js';
import type { BreakerEvents } from '../breaker/types.js';
import { baseAttributes } from './breaker-metrics.js';
import {
  ATTR_BREAKER_NAME, ATTR_BREAKER_OUTCOME, ATTR_BREAKER_STATE, ATTR_TRANSITION_FROM, ATTR_TRANSITION_TO,
  EVENT_REJECTED, EVENT_STATE_CHANGE,
} from './names.js';

/**
 * Follows the breakers of the observed registries: which ones exist (for the metrics callback)
 * and the few events telemetry needs as they happen. Breaker events fire synchronously inside
 * the call that caused them, so the active span is that call's span.
 */
export class BreakerWatch {
  readonly #registries = new Set<BreakerRegistry>();
  readonly #registryStops = new Map<BreakerRegistry, () => void>();
  readonly #breakerStops = new Map<CircuitBreaker, () => void>();
  /** Rejections seen while half-open; the breaker counts rejections only in total. */
  readonly #halfOpenRejections = new WeakMap<CircuitBreaker, number>();
  #running = false;
  #histogram: Histogram | undefined;
  /** Per breaker, the attributes of its success and failure durations, built once. */
  readonly #durationAttributes = new WeakMap<CircuitBreaker, { success: Attributes; failure: Attributes }>();

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
    if (changed && this.#running) {
      for (const registry of [...this.#registryStops.keys()]) {
        this.#unfollow(registry);
        this.#follow(registry);
      }
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

  halfOpenRejections(breaker: CircuitBreaker): number {
    return this.#halfOpenRejections.get(breaker) ?? 0;
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
    const offs = [
      breaker.on('rejection', (e) => this.#onRejection(breaker, e)),
      breaker.on('stateChange', onStateChange),
    ];
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

  #onRejection(breaker: CircuitBreaker, e: BreakerEvents['rejection']): void {
    if (e.state === 'half_open') this.#halfOpenRejections.set(breaker, this.halfOpenRejections(breaker) + 1);
    trace.getActiveSpan()?.addEvent(EVENT_REJECTED, {
      [ATTR_BREAKER_NAME]: e.name,
      [ATTR_BREAKER_STATE]: e.state,
      ...(e.shadow ? { 'circuit_breaker.shadow': true } : {}),
    });
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

function onStateChange(e: BreakerEvents['stateChange']): void {
  trace.getActiveSpan()?.addEvent(EVENT_STATE_CHANGE, {
    [ATTR_BREAKER_NAME]: e.name,
    [ATTR_TRANSITION_FROM]: e.from,
    [ATTR_TRANSITION_TO]: e.to,
  });
}
