import { context, type DiagLogger } from '@opentelemetry/api';
import { isTracingSuppressed } from '@opentelemetry/core';
import type { CircuitBreaker } from '../breaker/circuit-breaker.js';
import type { BreakerRegistry } from '../breaker/registry.js';
import type { CircuitBreakerOptions, RetryOptions } from '../breaker/types.js';
import type { ResolvedConfig } from '../config/resolve.js';
import { ATTR_SERVER_ADDRESS, ATTR_SERVER_PORT } from '../telemetry/names.js';
import type { ClientContext } from './client-context.js';

/**
 * The ClientContext BreakwaterInstrumentation hands to the client patches: one breaker per
 * destination, from the instrumentation's registry, under the current configuration.
 */
export class DestinationContext implements ClientContext {
  /** False while the instrumentation is disabled: every call then goes through unprotected. */
  enabled = false;
  settings: ResolvedConfig;
  readonly diag: DiagLogger;
  readonly #registry: BreakerRegistry;

  constructor(registry: BreakerRegistry, settings: ResolvedConfig, diag: DiagLogger) {
    this.#registry = registry;
    this.settings = settings;
    this.diag = diag;
  }

  get retry(): RetryOptions | undefined {
    return this.settings.retry;
  }

  breakerFor(host: string, port: number): CircuitBreaker | undefined {
    if (!this.enabled || isTracingSuppressed(context.active())) return undefined;
    const settings = this.settings;
    if (settings.isExcluded !== undefined && settings.isExcluded(host, port)) return undefined;
    const key = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
    // Looking first keeps the common case free of building options for a breaker that exists.
    if (this.#registry.peek(key) !== undefined) return this.#registry.get(key);
    return this.#registry.get(key, this.#optionsFor(host, port));
  }

  breakerForTarget(target: string): CircuitBreaker | undefined {
    if (!this.enabled || isTracingSuppressed(context.active())) return undefined;
    const { host, port } = splitTarget(target);
    const settings = this.settings;
    if (settings.isExcluded !== undefined && settings.isExcluded(host, port)) return undefined;
    if (this.#registry.peek(target) !== undefined) return this.#registry.get(target);
    return this.#registry.get(target, this.#optionsFor(host, port));
  }

  isFailureStatus(status: number): boolean {
    return this.settings.httpFailure[status] === 1;
  }

  isFailureGrpcCode(code: number): boolean {
    return this.settings.grpcFailure[code] === 1;
  }

  #optionsFor(host: string, port: number): Omit<CircuitBreakerOptions, 'name'> {
    const settings = this.settings;
    const override = settings.destinations.find((d) => d.matches(host, port));
    const attributes: Record<string, string | number> = { [ATTR_SERVER_ADDRESS]: host };
    if (port > 0) attributes[ATTR_SERVER_PORT] = port;
    return { ...(override?.options ?? settings.breaker), attributes };
  }
}

/** `host:port`, `[v6]:port` or a bare host (port 0 = unknown). */
function splitTarget(target: string): { host: string; port: number } {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(target);
  if (bracketed) return { host: bracketed[1]!, port: Number(bracketed[2] ?? 0) };
  const colon = target.lastIndexOf(':');
  if (colon === -1 || target.indexOf(':') !== colon) return { host: target, port: 0 };
  const port = Number(target.slice(colon + 1));
  return Number.isInteger(port) ? { host: target.slice(0, colon), port } : { host: target, port: 0 };
}
