import { context, type DiagLogger } from '@opentelemetry/api';
import { boundedLabel, MAX_LABEL_LENGTH } from '../common/bounded-label.js';
import { hostPortKey, normalHost, splitHostPort } from '../common/host-port.js';
import { isTracingSuppressed } from './tracing-suppressed.js';
import type { CircuitBreaker } from '../breaker/circuit-breaker.js';
import type { BreakerDefaults, BreakerRegistry } from '../breaker/registry.js';
import type { RetryOptions } from '../breaker/types.js';
import type { ResolvedConfig } from '../config/resolve.js';
import { ATTR_SERVER_ADDRESS, ATTR_SERVER_PORT } from '../telemetry/names.js';
import type { ClientContext } from './client-context.js';

/**
 * What breakerFor() worked out once for a destination under the current settings: the breaker's
 * registry key (undefined when the destination is excluded) and the options a new breaker gets.
 */
interface Destination {
  readonly port: number;
  readonly key: string | undefined;
  readonly options: BreakerDefaults | undefined;
}

/** Hosts (or gRPC targets) remembered at once; past this the memory starts over (cheap to rebuild). */
const MAX_REMEMBERED = 1024;

/**
 * The ClientContext BreakwaterInstrumentation hands to the client patches: one breaker per
 * destination, from the instrumentation's registry, under the current configuration.
 *
 * breakerFor() runs on every request, so what depends only on the destination and the settings
 * (the `host:port` key string, the exclusion match, the options of a new breaker) is worked out
 * once per destination and remembered until the settings change. The breaker itself is not
 * remembered: every request still asks the registry once (`get(key, options)`, the options only
 * used if the breaker was evicted meanwhile), which keeps the registry's least-recently-used
 * order true and never hands out an evicted breaker.
 */
export class DestinationContext implements ClientContext {
  /** False while the instrumentation is disabled: every call then goes through unprotected. */
  enabled = false;
  readonly diag: DiagLogger;
  readonly #registry: BreakerRegistry;
  #settings: ResolvedConfig;
  /** Per host: its ports seen so far (usually one). */
  #hosts = new Map<string, Destination[]>();
  /** Per gRPC channel target. */
  #targets = new Map<string, Destination>();
  /**
   * The last destination asked for, and its host as the client had it. Most requests go where
   * the one before went: comparing one short string skips hashing the request's fresh host
   * string and probing the map.
   */
  #last: Destination | undefined;
  #lastHost = '';

  constructor(registry: BreakerRegistry, settings: ResolvedConfig, diag: DiagLogger) {
    this.#registry = registry;
    this.#settings = settings;
    this.diag = diag;
  }

  get settings(): ResolvedConfig {
    return this.#settings;
  }

  /** New settings apply to the next request: what was worked out under the old ones is dropped. */
  set settings(settings: ResolvedConfig) {
    this.#settings = settings;
    this.#hosts = new Map();
    this.#targets = new Map();
    this.#last = undefined;
  }

  get retry(): RetryOptions | undefined {
    return this.#settings.retry;
  }

  get abortGraceMs(): number {
    return this.#settings.abortGraceMs;
  }

  breakerFor(host: string, port: number): CircuitBreaker | undefined {
    if (!this.enabled || isTracingSuppressed(context.active())) return undefined;
    const destination = this.#destination(host, port);
    return destination.key === undefined ? undefined : this.#registry.get(destination.key, destination.options);
  }

  breakerForTarget(target: string): CircuitBreaker | undefined {
    if (!this.enabled || isTracingSuppressed(context.active())) return undefined;
    let destination = this.#targets.get(target);
    if (destination === undefined) {
      const { host, port } = splitTarget(target);
      destination = this.#describe(host, port, target);
      if (target.length < MAX_LABEL_LENGTH) {
        if (this.#targets.size >= MAX_REMEMBERED) this.#targets.clear();
        this.#targets.set(target, destination);
      }
    }
    return destination.key === undefined ? undefined : this.#registry.get(destination.key, destination.options);
  }

  isFailureStatus(status: number): boolean {
    return this.#settings.httpFailure[status] === 1;
  }

  isFailureGrpcCode(code: number): boolean {
    return this.#settings.grpcFailure[code] === 1;
  }

  #destination(rawHost: string, port: number): Destination {
    const last = this.#last;
    if (last !== undefined && last.port === port && rawHost === this.#lastHost) return last;
    const destination = this.#lookUp(rawHost, port);
    this.#last = destination;
    this.#lastHost = rawHost;
    return destination;
  }

  #lookUp(rawHost: string, port: number): Destination {
    // Remembering hosts of any length would let long names hold MAX_REMEMBERED times their size.
    if (rawHost.length >= MAX_LABEL_LENGTH) return this.#describeHost(normalHost(rawHost), port);
    let ports = this.#hosts.get(rawHost);
    if (ports !== undefined) {
      for (let i = 0; i < ports.length; i++) if (ports[i]!.port === port) return ports[i]!;
    } else {
      if (this.#hosts.size >= MAX_REMEMBERED) this.#hosts.clear();
      ports = [];
      this.#hosts.set(rawHost, ports);
    }
    const destination = this.#describeHost(normalHost(rawHost), port);
    // A host reached on ever new ports (a port scan, an ephemeral-port service) starts its list over.
    if (ports.length >= 16) ports.length = 0;
    ports.push(destination);
    return destination;
  }

  #describeHost(host: string, port: number): Destination {
    return this.#describe(host, port, hostPortKey(host, port));
  }

  // The one place a destination becomes a breaker name and attributes. Patterns match the full
  // host; the name and `server.address` are bounded, as whoever picks the URL picks their length.
  #describe(host: string, port: number, key: string): Destination {
    const settings = this.#settings;
    if (settings.isExcluded !== undefined && settings.isExcluded(host, port)) return { port, key: undefined, options: undefined };
    return { port, key: boundedLabel(key), options: this.#optionsFor(host, port) };
  }

  #optionsFor(host: string, port: number): BreakerDefaults {
    const settings = this.#settings;
    const override = settings.destinations.find((d) => d.matches(host, port));
    const attributes: Record<string, string | number> = { [ATTR_SERVER_ADDRESS]: boundedLabel(host) };
    if (port > 0) attributes[ATTR_SERVER_PORT] = port;
    return { ...(override?.options ?? settings.breaker), attributes };
  }
}

/** `host:port`, `[v6]:port` or a bare host (port 0 = unknown); anything else is all host. */
function splitTarget(target: string): { host: string; port: number } {
  const parts = splitHostPort(target);
  if (parts === undefined) return { host: target, port: 0 };
  if (parts.port === undefined) return { host: parts.host, port: 0 };
  return /^\d{1,5}$/.test(parts.port) ? { host: parts.host, port: Number(parts.port) } : { host: target, port: 0 };
}
