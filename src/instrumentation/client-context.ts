import type { DiagLogger } from '@opentelemetry/api';
import type { CircuitBreaker } from '../breaker/circuit-breaker.js';

/**
 * What a client patch (http.ts, fetch.ts, grpc.ts) gets from BreakwaterInstrumentation.
 * Data flows one way: the patch asks for the destination's breaker, takes a permit, reports the outcome.
 */
export interface ClientContext {
  /**
   * The breaker for `host:port` (the host as the client has it: any case, IPv6 with or without
   * brackets), or undefined when the call must go through unprotected:
   * the instrumentation is disabled, the host is excluded, or the active context is suppressed
   * (OTel exporters' own traffic). Cheap enough to call on every request.
   */
  breakerFor(host: string, port: number): CircuitBreaker | undefined;
  /** The breaker for a gRPC channel target (e.g. `localhost:50051`); same rules as `breakerFor`. */
  breakerForTarget(target: string): CircuitBreaker | undefined;
  /** Whether an HTTP response status counts as a failure (default 408, 429, 500-599). */
  isFailureStatus(status: number): boolean;
  /** Whether a gRPC status code counts as a failure (default UNAVAILABLE, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, INTERNAL, UNKNOWN). */
  isFailureGrpcCode(code: number): boolean;
  /** Below this, a call the caller gives up on before any response is ignored (abandoned-call.ts). */
  readonly abortGraceMs: number;
  /** Opt-in retry of idempotent requests (fetch/undici), or undefined when off. */
  readonly retry: import('../breaker/types.js').RetryOptions | undefined;
  /** Where internal faults go; a patch never throws into the user's call. */
  readonly diag: DiagLogger;
}
