/**
 * The hand-built ClientContext the patch tests (http, fetch/undici, gRPC) share: real
 * CircuitBreakers created on first use on a clock the test moves (so open → half-open needs no
 * sleeping), the default failure rules, and a diag logger that records what the patch reports.
 * Each harness replaces the one lookup it exercises (breakerFor or breakerForTarget).
 */
import type { DiagLogger } from '@opentelemetry/api';
import { CircuitBreaker } from '../../src/breaker/circuit-breaker.js';
import type { CircuitBreakerOptions, RetryOptions } from '../../src/breaker/types.js';
import type { ClientContext } from '../../src/instrumentation/client-context.js';

export interface ManualClock {
  now(): number;
  advance(ms: number): void;
}

export function manualClock(start = 1_000_000): ManualClock {
  let t = start;
  return { now: () => t, advance: (ms) => void (t += ms) };
}

/** The breaker key for `host:port`, IPv6 hosts in brackets. */
export function keyOf(host: string, port: number): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** The default HTTP failure statuses: 408, 429, 500-599. */
export const isDefaultFailureStatus = (s: number): boolean => s === 408 || s === 429 || (s >= 500 && s <= 599);

// UNAVAILABLE, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, INTERNAL, UNKNOWN
export const DEFAULT_FAILURE_CODES = new Set([14, 4, 8, 13, 2]);

/** A ClientContext whose fields a test may swap out (a faulty lookup, a retry setting). */
export type MutableClientContext = { -readonly [K in keyof ClientContext]: ClientContext[K] } & {
  retry: RetryOptions | undefined;
};

export interface TestClientContext {
  /** Protects nothing until a harness sets breakerFor or breakerForTarget. */
  ctx: MutableClientContext;
  clock: ManualClock;
  breakers: Map<string, CircuitBreaker>;
  /** The breaker named `key`, created with the test's options on first use. */
  breakerNamed(key: string): CircuitBreaker;
  /** What the patch reported through diag.error (and diag.warn, with recordWarnings). */
  diagErrors: unknown[][];
}

export function testClientContext(
  options: Partial<CircuitBreakerOptions> = {},
  { recordWarnings = false }: { recordWarnings?: boolean } = {},
): TestClientContext {
  const clock = manualClock();
  const breakers = new Map<string, CircuitBreaker>();
  const diagErrors: unknown[][] = [];
  const noop = (): void => {};
  const record = (...args: unknown[]): void => void diagErrors.push(args);
  const diag: DiagLogger = {
    error: record,
    warn: recordWarnings ? record : noop,
    info: noop,
    debug: noop,
    verbose: noop,
  };
  const breakerNamed = (key: string): CircuitBreaker => {
    let b = breakers.get(key);
    if (!b) {
      b = new CircuitBreaker({ failureThreshold: 3, openTimeoutMs: 1_000, ...options, name: key, clock });
      breakers.set(key, b);
    }
    return b;
  };
  const ctx: MutableClientContext = {
    breakerFor: () => undefined,
    breakerForTarget: () => undefined,
    isFailureStatus: isDefaultFailureStatus,
    isFailureGrpcCode: () => false,
    // Long, so that a test's own cancel never counts as a timeout on a loaded machine; the
    // abandoned-call rule is tested with its own grace (hung-destination.test.ts).
    abortGraceMs: 60_000,
    retry: undefined,
    diag,
  };
  return { ctx, clock, breakers, breakerNamed, diagErrors };
}
