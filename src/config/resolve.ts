import type { RetryOptions } from '../breaker/types.js';
import { OptionChecker, resolveOptions, resolveRetry } from '../breaker/options.js';
import { HealthCheckManager } from '../health/manager.js';
import type { AutoBreakerOptions, BreakwaterHealthOptions, BreakwaterInstrumentationConfig, InstrumentedClient } from '../instrumentation/types.js';
import { DEFAULT_ABORT_GRACE_MS } from '../instrumentation/abandoned-call.js';
import { ALL_CLIENTS, DEFAULT_MAX_BREAKERS, DEFAULT_SLOW_CALL_MS } from './defaults.js';
import { ConfigError } from './errors.js';
import { MAX_TIMER_MS, MAX_TIMER_TEXT } from '../common/timer-limit.js';
import { DEFAULT_GRPC_FAILURE_CODES, parseGrpcFailureCodes } from './grpc-codes.js';
import { compileHostPattern, compileHostPatterns, type HostMatcher } from './host-patterns.js';
import { DEFAULT_HTTP_FAILURE_STATUS, parseHttpFailureStatus } from './http-status.js';

/** The instrumentation's config after validation; built once, read on every request. */
export interface ResolvedConfig {
  breaker: AutoBreakerOptions;
  destinations: ReadonlyArray<{ readonly matches: HostMatcher; readonly options: AutoBreakerOptions }>;
  instrument: ReadonlySet<InstrumentedClient>;
  isExcluded: HostMatcher | undefined;
  /** Indexed by HTTP status: 1 = failure. */
  httpFailure: Uint8Array;
  /** Indexed by gRPC status code: 1 = failure. */
  grpcFailure: Uint8Array;
  maxBreakers: number;
  retry: RetryOptions | undefined;
  abortGraceMs: number;
  durationHistogram: boolean;
  health: ResolvedHealth | undefined;
}

export interface ResolvedHealth {
  manager: HealthCheckManager | undefined;
  system: boolean;
  breakers: boolean;
  port: number | undefined;
  host: string | undefined;
  checkIntervalMs: number | undefined;
  showDetails: BreakwaterHealthOptions['showDetails'];
  shutdownDelayMs: number | undefined;
}

const KNOWN_OPTIONS = new Set([
  'enabled', 'breaker', 'destinations', 'instrument', 'excludeHosts', 'httpFailureStatus',
  'grpcFailureCodes', 'maxBreakers', 'retry', 'abortGraceMs', 'durationHistogram', 'health',
]);

/** Validates a BreakwaterInstrumentationConfig; throws ConfigError naming the option and value. */
export function resolveConfig(config: BreakwaterInstrumentationConfig = {}): ResolvedConfig {
  if (typeof config !== 'object' || config === null) throw new ConfigError('config', config, 'an object');
  for (const key of Object.keys(config)) {
    if (!KNOWN_OPTIONS.has(key)) throw new ConfigError(key, (config as Record<string, unknown>)[key], `a known option (${[...KNOWN_OPTIONS].join(', ')})`);
  }
  // An explicit `slowCallDurationMs: undefined` turns the default off.
  const breaker = checkBreakerDefaults('breaker', { slowCallDurationMs: DEFAULT_SLOW_CALL_MS, ...checkObject('breaker', config.breaker ?? {}) });
  const destinations = Object.entries(checkObject('destinations', config.destinations ?? {})).map(([pattern, options]) => ({
    matches: compileHostPattern(pattern, `destinations[${JSON.stringify(pattern)}]`),
    options: checkBreakerDefaults(`destinations[${JSON.stringify(pattern)}]`, { ...breaker, ...(options as AutoBreakerOptions) }),
  }));
  return {
    breaker,
    destinations,
    instrument: checkInstrument(config.instrument),
    isExcluded: compileHostPatterns(config.excludeHosts, 'excludeHosts'),
    httpFailure: parseHttpFailureStatus(config.httpFailureStatus ?? DEFAULT_HTTP_FAILURE_STATUS),
    grpcFailure: parseGrpcFailureCodes(config.grpcFailureCodes ?? DEFAULT_GRPC_FAILURE_CODES),
    maxBreakers: checkMaxBreakers(config.maxBreakers),
    retry: checkRetry(config.retry),
    abortGraceMs: checkMs('abortGraceMs', config.abortGraceMs, DEFAULT_ABORT_GRACE_MS),
    durationHistogram: checkBoolean('durationHistogram', config.durationHistogram, false),
    health: checkHealth(config.health),
  };
}

function checkObject(option: string, value: unknown): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ConfigError(option, value, 'an object');
  return value as Record<string, unknown>;
}

// The breaker validates its own options; a throwaway resolve reports a bad default now, at
// construction, instead of on the first request to some destination.
function checkBreakerDefaults(option: string, value: unknown): AutoBreakerOptions {
  const options = checkObject(option, value) as AutoBreakerOptions;
  for (const forbidden of ['name', 'attributes', 'initialState'] as const) {
    if (forbidden in options) throw new ConfigError(`${option}.${forbidden}`, (options as Record<string, unknown>)[forbidden], 'not set: it comes from the destination');
  }
  try {
    resolveOptions({ ...options, name: 'breakwater-config-check' });
  } catch (err) {
    throw new ConfigError(option, value, `valid CircuitBreaker options (${(err as Error).message})`);
  }
  return options;
}

function checkInstrument(value: unknown): ReadonlySet<InstrumentedClient> {
  if (value === undefined) return new Set(ALL_CLIENTS);
  if (!Array.isArray(value) || value.some((c) => !ALL_CLIENTS.includes(c as InstrumentedClient))) {
    throw new ConfigError('instrument', value, `an array of ${ALL_CLIENTS.map((c) => `'${c}'`).join(', ')}`);
  }
  return new Set(value as InstrumentedClient[]);
}

function checkMaxBreakers(value: unknown): number {
  if (value === undefined) return DEFAULT_MAX_BREAKERS;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) throw new ConfigError('maxBreakers', value, 'an integer >= 1');
  return value;
}

function checkRetry(value: RetryOptions | undefined): RetryOptions | undefined {
  if (value === undefined) return undefined;
  try {
    resolveRetry(new OptionChecker('breakwater'), 'retry', value);
  } catch (err) {
    throw new ConfigError('retry', value, `valid retry options (${(err as Error).message})`);
  }
  return value;
}

function checkMs(option: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > MAX_TIMER_MS) {
    throw new ConfigError(option, value, `a number of milliseconds from 0 to ${MAX_TIMER_TEXT}`);
  }
  return value;
}

function checkBoolean(option: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new ConfigError(option, value, 'true or false');
  return value;
}

function checkHealth(value: boolean | BreakwaterHealthOptions | undefined): ResolvedHealth | undefined {
  if (value === undefined || value === false) return undefined;
  const options = value === true ? {} : (checkObject('health', value) as BreakwaterHealthOptions);
  const { manager, port, host, checkIntervalMs } = options;
  if (manager !== undefined && !(manager instanceof HealthCheckManager)) throw new ConfigError('health.manager', manager, 'a HealthCheckManager');
  if (port !== undefined && (typeof port !== 'number' || !Number.isInteger(port) || port < 0 || port > 65535)) {
    throw new ConfigError('health.port', port, 'a port number 0-65535');
  }
  if (host !== undefined && (typeof host !== 'string' || host === '')) throw new ConfigError('health.host', host, 'a host name or address');
  if (checkIntervalMs !== undefined && (typeof checkIntervalMs !== 'number' || !Number.isFinite(checkIntervalMs) || checkIntervalMs <= 0)) {
    throw new ConfigError('health.checkIntervalMs', checkIntervalMs, 'a number of milliseconds > 0');
  }
  const { showDetails, shutdownDelayMs } = options;
  for (const [option, value] of Object.entries({ checkIntervalMs, showDetails, shutdownDelayMs })) {
    try {
      new HealthCheckManager({ [option]: value }); // the manager's own rule, checked now
    } catch (err) {
      throw new ConfigError(`health.${option}`, value, `a valid manager option (${(err as Error).message})`);
    }
  }
  return {
    manager,
    system: checkBoolean('health.system', options.system, true),
    breakers: checkBoolean('health.breakers', options.breakers, true),
    port,
    host,
    checkIntervalMs,
    showDetails,
    shutdownDelayMs,
  };
}
