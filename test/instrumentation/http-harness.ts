/**
 * A hand-built ClientContext for the node:http tests: one real CircuitBreaker per `host:port`,
 * a clock the test moves, and a diag logger that records what the patch reports.
 */
import { createRequire } from 'node:module';
import type { DiagLogger } from '@opentelemetry/api';
import type { InstrumentationNodeModuleDefinition } from '@opentelemetry/instrumentation';
import { CircuitBreaker } from '../../src/breaker/circuit-breaker.js';
import type { CircuitBreakerOptions } from '../../src/breaker/types.js';
import type { ClientContext } from '../../src/instrumentation/client-context.js';
import { httpModuleDefinitions } from '../../src/instrumentation/http.js';

const require = createRequire(import.meta.url);

export interface ManualClock {
  now(): number;
  advance(ms: number): void;
}

export function manualClock(start = 1_000_000): ManualClock {
  let t = start;
  return { now: () => t, advance: (ms) => void (t += ms) };
}

export interface HttpHarness {
  ctx: ClientContext;
  clock: ManualClock;
  /** Every breakerFor(host, port) question, in order. */
  asked: { host: string; port: number }[];
  /** Internal faults the patch reported through diag.error. */
  diagErrors: unknown[][];
  breaker(key: string): CircuitBreaker;
  breakers: Map<string, CircuitBreaker>;
  /** The 'http' and 'https' module definitions, in that order. */
  definitions: InstrumentationNodeModuleDefinition[];
  /** Apply the http and https module definitions (as InstrumentationBase does on require). */
  enable(): void;
  disable(): void;
}

export function keyOf(host: string, port: number): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}

export function httpHarness(options: Partial<CircuitBreakerOptions> = {}, exclude: string[] = []): HttpHarness {
  const clock = manualClock();
  const breakers = new Map<string, CircuitBreaker>();
  const asked: { host: string; port: number }[] = [];
  const diagErrors: unknown[][] = [];
  const noop = (): void => {};
  const diag: DiagLogger = {
    error: (...args: unknown[]) => void diagErrors.push(args),
    warn: noop,
    info: noop,
    debug: noop,
    verbose: noop,
  };
  const ctx: ClientContext = {
    breakerFor(host, port) {
      asked.push({ host, port });
      const key = keyOf(host, port);
      if (exclude.includes(key)) return undefined;
      let b = breakers.get(key);
      if (!b) {
        b = new CircuitBreaker({ failureThreshold: 3, openTimeoutMs: 1_000, ...options, name: key, clock });
        breakers.set(key, b);
      }
      return b;
    },
    breakerForTarget: () => undefined,
    isFailureStatus: (s) => s === 408 || s === 429 || (s >= 500 && s <= 599),
    isFailureGrpcCode: () => false,
    retry: undefined,
    diag,
  };
  const definitions = httpModuleDefinitions(ctx);
  return {
    ctx,
    clock,
    asked,
    diagErrors,
    breakers,
    definitions,
    breaker(key) {
      const b = breakers.get(key);
      if (!b) throw new Error(`no breaker ${key}; have ${[...breakers.keys()].join(', ')}`);
      return b;
    },
    enable() {
      for (const d of definitions) d.patch?.(require(d.name));
    },
    disable() {
      for (const d of definitions) d.unpatch?.(require(d.name));
    },
  };
}
