import { CircuitBreaker } from './circuit-breaker.js';
import { Listeners } from '../common/listeners.js';
import { OptionChecker } from '../common/option-checker.js';
import { PER_BREAKER_OPTIONS, resolveConfig, resolveOptions, WithConfig, type BreakerConfig } from './options.js';
import type { CircuitBreakerOptions } from './types.js';

export type BreakerDefaults = Partial<Omit<CircuitBreakerOptions, 'name'>>;

export interface BreakerRegistryOptions {
  /** Options every breaker gets unless `get()` overrides them. */
  defaults?: BreakerDefaults;
  /** Most breakers kept at once (default 500); the least recently used idle one makes room. */
  maxBreakers?: number;
}

let replaceDefaults: (registry: BreakerRegistry, defaults: BreakerDefaults, check: OptionChecker) => void;

/**
 * Gives a registry new defaults for the breakers it creates from now on (breakers it holds keep
 * theirs). Module-internal, for BreakwaterInstrumentation.setConfig(); not part of the package API.
 */
export function replaceRegistryDefaults(registry: BreakerRegistry, defaults: BreakerDefaults, check: OptionChecker): void {
  replaceDefaults(registry, defaults, check);
}

const REGISTRY_OPTIONS: ReadonlySet<string> = new Set(['defaults', 'maxBreakers']);

interface Entry {
  readonly breaker: CircuitBreaker;
  /** Value of the registry's use counter at the last get(): the smallest is the least recently used. */
  lastUse: number;
}

interface RegistryEvents {
  create: CircuitBreaker;
  evict: CircuitBreaker;
}

/**
 * Breakers by key, created on first use with shared defaults and bounded in number.
 *
 * When full, a new breaker evicts the least recently used *idle* breaker (no permit in flight).
 * When every breaker is busy, the registry grows past `maxBreakers` rather than throw away a
 * breaker whose calls are still running, and shrinks back on later creations as breakers go idle:
 * the overshoot is bounded by the number of concurrent calls.
 */
export class BreakerRegistry implements Iterable<CircuitBreaker> {
  readonly #entries = new Map<string, Entry>();
  #defaults: BreakerDefaults;
  /** The defaults resolved once, shared by every breaker whose get() options are per-breaker only. */
  #config: BreakerConfig;
  readonly #maxBreakers: number;
  readonly #listeners = new Listeners<RegistryEvents>();
  // Recency is a counter stamped on each use rather than Map re-insertion: get() is on the hot
  // path of every instrumented request, eviction only runs when a new breaker meets a full registry.
  #uses = 0;

  constructor(options: BreakerRegistryOptions = {}) {
    const check = new OptionChecker('BreakerRegistry');
    check.object('options', options);
    check.known(options, REGISTRY_OPTIONS);
    this.#maxBreakers = check.number('maxBreakers', options.maxBreakers, 500, { integer: true, min: 1 });
    if (options.defaults !== undefined) check.object('defaults', options.defaults);
    this.#defaults = {};
    this.#config = this.#setDefaults(check.nested('defaults'), options.defaults ?? {});
  }

  static {
    replaceDefaults = (registry, defaults, check) => registry.#setDefaults(check, defaults);
  }

  #setDefaults(check: OptionChecker, defaults: BreakerDefaults): BreakerConfig {
    const copy = { ...defaults };
    // Bad defaults fail here, not on the first request that needs a breaker...
    const config = resolveConfig(check, copy);
    // ...including the per-breaker ones (attributes, initialState).
    resolveOptions(new WithConfig({ ...copy, name: 'defaults' }, config), check);
    this.#defaults = copy;
    this.#config = config;
    return config;
  }

  /** The breaker for `key`, created with `{ ...defaults, ...options, name: key }` if there is none. */
  get(key: string, options?: BreakerDefaults): CircuitBreaker {
    const entry = this.#entries.get(key);
    if (entry !== undefined) {
      entry.lastUse = ++this.#uses;
      return entry.breaker;
    }
    if (typeof key !== 'string' || key.length === 0) throw new OptionChecker('BreakerRegistry.get()').error('key', 'a non-empty string', key);
    const merged = { ...this.#defaults, ...options, name: key };
    const sharesConfig = options === undefined || Object.keys(options).every((k) => PER_BREAKER_OPTIONS.has(k));
    const breaker = new CircuitBreaker(sharesConfig ? new WithConfig(merged, this.#config) : merged);
    this.#makeRoom();
    this.#entries.set(key, { breaker, lastUse: ++this.#uses });
    this.#listeners.emit('create', breaker);
    return breaker;
  }

  /** The breaker for `key` if there is one; does not count as a use. */
  peek(key: string): CircuitBreaker | undefined {
    return this.#entries.get(key)?.breaker;
  }

  /** Removes the breaker for `key` ('evict' fires); a later `get()` starts a fresh one. */
  delete(key: string): boolean {
    const entry = this.#entries.get(key);
    if (entry === undefined) return false;
    this.#remove(key, entry.breaker);
    return true;
  }

  /** Removes every breaker ('evict' fires for each). */
  clear(): void {
    for (const [key, entry] of [...this.#entries]) this.#remove(key, entry.breaker);
  }

  get size(): number {
    return this.#entries.size;
  }

  get maxBreakers(): number {
    return this.#maxBreakers;
  }

  /** Breakers in creation order. */
  *[Symbol.iterator](): Iterator<CircuitBreaker> {
    for (const entry of this.#entries.values()) yield entry.breaker;
  }

  /** 'create' fires for each new breaker, 'evict' when one leaves (capacity, delete, clear). */
  on(event: 'create' | 'evict', listener: (breaker: CircuitBreaker) => void): () => void {
    if (event !== 'create' && event !== 'evict') {
      throw new TypeError(`BreakerRegistry: unknown event ${JSON.stringify(event)} (expected "create" or "evict")`);
    }
    this.#listeners.add(event, listener);
    return () => this.#listeners.remove(event, listener);
  }

  #makeRoom(): void {
    while (this.#entries.size >= this.#maxBreakers) {
      let victim: [string, Entry] | undefined;
      for (const item of this.#entries) {
        if (item[1].breaker.inFlight === 0 && (victim === undefined || item[1].lastUse < victim[1].lastUse)) victim = item;
      }
      if (victim === undefined) return; // every breaker is busy: grow for now
      this.#remove(victim[0], victim[1].breaker);
    }
  }

  #remove(key: string, breaker: CircuitBreaker): void {
    this.#entries.delete(key);
    this.#listeners.emit('evict', breaker);
  }
}

/**
 * Cap of `defaultRegistry`. Its breakers are named in code (one per decorated method name), so a
 * few dozen is plenty; keeping it small lets them share the SDK's 2000 series per metric with a
 * full instrumentation registry (see DEFAULT_MAX_BREAKERS in config/defaults.ts).
 */
export const DEFAULT_REGISTRY_MAX_BREAKERS = 64;

/** The registry behind `@circuitBreaker`; telemetry reads it too. */
export const defaultRegistry = new BreakerRegistry({ maxBreakers: DEFAULT_REGISTRY_MAX_BREAKERS });
