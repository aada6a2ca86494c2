import type { RetryOptions } from '../breaker/types.js';
import { CONFIG_OPTIONS, PER_BREAKER_OPTIONS, resolveConfig as resolveBreakerConfig, resolveRetry } from '../breaker/options.js';
import { ConfigError } from '../common/config-error.js';
import { OptionChecker } from '../common/option-checker.js';
import { HealthCheckManager } from '../health/manager.js';
import type { EventTargets } from '../telemetry/breaker-events.js';
import type { AutoBreakerOptions, BreakwaterEventsOptions, BreakwaterHealthOptions, BreakwaterInstrumentationConfig, InstrumentedClient } from '../instrumentation/types.js';
import { DEFAULT_ABORT_GRACE_MS } from '../instrumentation/abandoned-call.js';
import { ALL_CLIENTS, DEFAULT_MAX_BREAKERS, DEFAULT_SLOW_CALL_MS } from './defaults.js';
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
  events: EventTargets;
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

const KNOWN_OPTIONS: ReadonlySet<string> = new Set([
  'enabled', 'breaker', 'destinations', 'instrument', 'excludeHosts', 'httpFailureStatus',
  'grpcFailureCodes', 'maxBreakers', 'retry', 'abortGraceMs', 'durationHistogram', 'events', 'health',
]);

const EVENTS_OPTIONS: ReadonlySet<string> = new Set<keyof BreakwaterEventsOptions>(['spans', 'logs']);

const HEALTH_OPTIONS: ReadonlySet<string> = new Set<keyof BreakwaterHealthOptions>([
  'manager', 'system', 'breakers', 'port', 'host', 'checkIntervalMs', 'showDetails', 'shutdownDelayMs',
]);

/** The options a config's `health` passes to the HealthCheckManager it creates. */
const MANAGER_OPTIONS = ['checkIntervalMs', 'showDetails', 'shutdownDelayMs'] as const;

/** Validates a BreakwaterInstrumentationConfig; throws ConfigError naming the option and value. */
export function resolveConfig(config: BreakwaterInstrumentationConfig = {}): ResolvedConfig {
  const check = new OptionChecker('BreakwaterInstrumentation');
  check.object('config', config);
  check.known(config, KNOWN_OPTIONS);
  // An explicit `slowCallDurationMs: undefined` turns the default off.
  const breaker = checkBreakerDefaults(check, 'breaker', { slowCallDurationMs: DEFAULT_SLOW_CALL_MS, ...check.object('breaker', config.breaker ?? {}) });
  const destinations = Object.entries(check.object('destinations', config.destinations ?? {})).map(([pattern, options]) => {
    const path = `destinations[${JSON.stringify(pattern)}]`;
    return {
      matches: compileHostPattern(pattern, path, check),
      options: checkBreakerDefaults(check, path, { ...breaker, ...(check.object(path, options) as AutoBreakerOptions) }),
    };
  });
  return {
    breaker,
    destinations,
    instrument: checkInstrument(check, config.instrument),
    isExcluded: compileHostPatterns(config.excludeHosts, 'excludeHosts', check),
    httpFailure: parseHttpFailureStatus(config.httpFailureStatus ?? DEFAULT_HTTP_FAILURE_STATUS, check),
    grpcFailure: parseGrpcFailureCodes(config.grpcFailureCodes ?? DEFAULT_GRPC_FAILURE_CODES, check),
    maxBreakers: check.number('maxBreakers', config.maxBreakers, DEFAULT_MAX_BREAKERS, { integer: true, min: 1 }),
    retry: checkRetry(check, config.retry),
    abortGraceMs: check.milliseconds('abortGraceMs', config.abortGraceMs, DEFAULT_ABORT_GRACE_MS, true),
    durationHistogram: check.boolean('durationHistogram', config.durationHistogram, false),
    events: checkEvents(check, config.events),
    health: checkHealth(check, config.health),
  };
}

// The breaker's own rules, with the options named as the config names them (`breaker.openTimeoutMs`):
// a bad default fails now, at construction, not on the first request to some destination.
function checkBreakerDefaults(check: OptionChecker, option: string, value: unknown): AutoBreakerOptions {
  const options = check.object(option, value) as AutoBreakerOptions;
  for (const perBreaker of PER_BREAKER_OPTIONS) {
    if (perBreaker in options) throw check.error(`${option}.${perBreaker}`, 'left unset (it comes from the destination)', (options as Record<string, unknown>)[perBreaker]);
  }
  resolveBreakerConfig(check.nested(option), options, CONFIG_OPTIONS);
  return options;
}

function checkInstrument(check: OptionChecker, value: unknown): ReadonlySet<InstrumentedClient> {
  if (value === undefined) return new Set(ALL_CLIENTS);
  if (!Array.isArray(value) || value.some((c) => !ALL_CLIENTS.includes(c as InstrumentedClient))) {
    throw check.error('instrument', `an array of ${ALL_CLIENTS.map((c) => `'${c}'`).join(', ')}`, value);
  }
  return new Set(value as InstrumentedClient[]);
}

function checkRetry(check: OptionChecker, value: RetryOptions | undefined): RetryOptions | undefined {
  resolveRetry(check, 'retry', value);
  return value;
}

function checkEvents(check: OptionChecker, value: BreakwaterEventsOptions | undefined): EventTargets {
  const options = check.object('events', value ?? {}) as BreakwaterEventsOptions;
  const inner = check.nested('events');
  inner.known(options, EVENTS_OPTIONS);
  return { spans: inner.boolean('spans', options.spans, true), logs: inner.boolean('logs', options.logs, true) };
}

function checkHealth(check: OptionChecker, value: boolean | BreakwaterHealthOptions | undefined): ResolvedHealth | undefined {
  if (value === undefined || value === false) return undefined;
  const options = value === true ? {} : (check.object('health', value) as BreakwaterHealthOptions);
  const inner = check.nested('health');
  inner.known(options, HEALTH_OPTIONS);
  const { manager, port, host } = options;
  if (manager !== undefined && !(manager instanceof HealthCheckManager)) throw inner.error('manager', 'a HealthCheckManager', manager);
  inner.number('port', port, undefined, { integer: true, min: 0, max: 65535 });
  if (host !== undefined && (typeof host !== 'string' || host === '')) throw inner.error('host', 'a host name or address', host);
  for (const option of MANAGER_OPTIONS) {
    try {
      new HealthCheckManager({ [option]: options[option] }); // the manager's own rule, checked now
    } catch (err) {
      throw inner.error(option, err instanceof ConfigError ? err.expected : String(err), options[option]);
    }
  }
  return {
    manager,
    system: inner.boolean('system', options.system, true),
    breakers: inner.boolean('breakers', options.breakers, true),
    port,
    host,
    checkIntervalMs: options.checkIntervalMs,
    showDetails: options.showDetails,
    shutdownDelayMs: options.shutdownDelayMs,
  };
}
