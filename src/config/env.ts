import type { AutoBreakerOptions, BreakwaterInstrumentationConfig } from '../instrumentation/types.js';
import { ConfigError, describe } from '../common/config-error.js';
import { millisecondsRule } from '../common/option-checker.js';
import { MAX_TIMER_MS } from '../common/timer-limit.js';
import { resolveConfig } from './resolve.js';

/** What the environment says, after dropping every value that could not be used. */
export interface EnvSettings {
  config: BreakwaterInstrumentationConfig;
  /** `BREAKWATER_HEALTH_PORT`: serve the health endpoint on this port (0 = any free port). */
  healthPort: number | undefined;
  /** `BREAKWATER_HEALTH_HOST`: the address it binds (default loopback). */
  healthHost: string | undefined;
  /** `BREAKWATER_HEALTH_SHOW_DETAILS`: `always` or `never` (default). */
  healthShowDetails: 'always' | 'never' | undefined;
  /** `BREAKWATER_SHUTDOWN_DELAY_MS`: on SIGTERM, fail readiness and wait this long before shutting down. */
  shutdownDelayMs: number | undefined;
}

type Env = Readonly<Record<string, string | undefined>>;

/** The `BREAKWATER_*` variables and the breaker option each one sets. */
const BREAKER_VARIABLES: ReadonlyArray<readonly [string, keyof AutoBreakerOptions]> = [
  ['BREAKWATER_FAILURE_THRESHOLD', 'failureThreshold'],
  ['BREAKWATER_SUCCESS_THRESHOLD', 'successThreshold'],
  ['BREAKWATER_OPEN_TIMEOUT_MS', 'openTimeoutMs'],
  ['BREAKWATER_MAX_OPEN_TIMEOUT_MS', 'maxOpenTimeoutMs'],
  ['BREAKWATER_HALF_OPEN_MAX_CALLS', 'halfOpenMaxCalls'],
  ['BREAKWATER_HALF_OPEN_TIMEOUT_MS', 'halfOpenTimeoutMs'],
  ['BREAKWATER_SLOW_CALL_MS', 'slowCallDurationMs'],
  ['BREAKWATER_CALL_TIMEOUT_MS', 'callTimeoutMs'],
];

/** Variables whose 0 means "off" (the option left unset) rather than a value. */
const ZERO_IS_OFF: ReadonlySet<string> = new Set(['BREAKWATER_SLOW_CALL_MS', 'BREAKWATER_CALL_TIMEOUT_MS']);

/**
 * Reads `BREAKWATER_*`. A value that cannot be used is reported once through `warn`, naming the
 * variable and the value, and the default applies: a preload must never stop the application.
 */
export function configFromEnv(env: Env, warn: (message: string) => void): EnvSettings {
  const config: BreakwaterInstrumentationConfig = {};
  const rejectValue = (variable: string, value: string, expected: string): void =>
    warn(`breakwater: ignoring ${variable}=${describe(value)}: expected ${expected}; using the default`);

  // Each setting is checked alone with the same validation as the constructor, so one bad value
  // never takes the good ones down with it; the warning says what the constructor would have.
  const accept = (variable: string, patch: BreakwaterInstrumentationConfig, expected?: string): boolean => {
    try {
      resolveConfig(patch);
      return true;
    } catch (err) {
      rejectValue(variable, env[variable]!, expected ?? (err instanceof ConfigError ? err.expected : String(err)));
      return false;
    }
  };

  const breaker: AutoBreakerOptions = {};
  const fromVariable = new Map<keyof AutoBreakerOptions, string>();
  for (const [variable, option] of BREAKER_VARIABLES) {
    const raw = value(env, variable);
    if (raw === undefined) continue;
    const n = number(raw);
    if (n === 0 && ZERO_IS_OFF.has(variable)) {
      breaker[option] = undefined;
      fromVariable.set(option, variable);
      continue;
    }
    // The open wait and its cap are checked against each other below, once both are known: a cap
    // is checked alone here against an open wait it does not undercut.
    const partner = option === 'maxOpenTimeoutMs' && n > 0 ? { openTimeoutMs: n } : {};
    if (accept(variable, { breaker: { ...partner, [option]: n } })) {
      breaker[option] = n as never;
      fromVariable.set(option, variable);
    }
  }
  if (Object.keys(breaker).length > 0) {
    try {
      resolveConfig({ breaker });
      config.breaker = breaker;
    } catch (err) {
      // Only combinations fail here, e.g. an open timeout above its cap.
      const variables = [...fromVariable.values()];
      const option = err instanceof ConfigError ? err.option.replace(/^breaker\./, '') : '';
      const culprit = BREAKER_VARIABLES.find(([, o]) => o === option)?.[0] ?? option;
      const why = err instanceof ConfigError ? `${culprit} must be ${err.expected}` : String(err);
      warn(`breakwater: ignoring ${variables.map((v) => `${v}=${describe(env[v])}`).join(', ')}: ${why}; using the defaults`);
    }
  }

  const status = value(env, 'BREAKWATER_HTTP_FAILURE_STATUS');
  if (status !== undefined && accept('BREAKWATER_HTTP_FAILURE_STATUS', { httpFailureStatus: status })) {
    config.httpFailureStatus = status;
  }

  const codes = value(env, 'BREAKWATER_GRPC_FAILURE_CODES');
  if (codes !== undefined && accept('BREAKWATER_GRPC_FAILURE_CODES', { grpcFailureCodes: list(codes) })) {
    config.grpcFailureCodes = list(codes);
  }

  const exclude = value(env, 'BREAKWATER_EXCLUDE_HOSTS');
  if (exclude !== undefined && accept('BREAKWATER_EXCLUDE_HOSTS', { excludeHosts: list(exclude) })) {
    config.excludeHosts = list(exclude);
  }

  const max = value(env, 'BREAKWATER_MAX_BREAKERS');
  if (max !== undefined && accept('BREAKWATER_MAX_BREAKERS', { maxBreakers: number(max) })) config.maxBreakers = number(max);

  const instrument = value(env, 'BREAKWATER_INSTRUMENT');
  if (instrument !== undefined) {
    const clients = instrument.trim().toLowerCase() === 'none' ? [] : list(instrument.toLowerCase());
    if (accept('BREAKWATER_INSTRUMENT', { instrument: clients as never }, "a list of http, fetch, grpc (or 'none')")) {
      config.instrument = clients as BreakwaterInstrumentationConfig['instrument'];
    }
  }

  const grace = value(env, 'BREAKWATER_ABORT_GRACE_MS');
  if (grace !== undefined) {
    if (accept('BREAKWATER_ABORT_GRACE_MS', { abortGraceMs: number(grace) })) config.abortGraceMs = number(grace);
  }

  const histogram = value(env, 'BREAKWATER_DURATION_HISTOGRAM');
  if (histogram !== undefined) {
    const flag = boolean(histogram);
    if (flag === undefined) rejectValue('BREAKWATER_DURATION_HISTOGRAM', histogram, 'true or false');
    else config.durationHistogram = flag;
  }

  const events = value(env, 'BREAKWATER_EVENTS');
  if (events !== undefined) {
    const targets = events.trim().toLowerCase() === 'none' ? [] : list(events.toLowerCase());
    if (targets.some((t) => t !== 'spans' && t !== 'logs')) rejectValue('BREAKWATER_EVENTS', events, "a list of spans, logs (or 'none')");
    else config.events = { spans: targets.includes('spans'), logs: targets.includes('logs') };
  }

  let healthPort: number | undefined;
  const port = value(env, 'BREAKWATER_HEALTH_PORT');
  if (port !== undefined) {
    const n = number(port);
    if (!(Number.isInteger(n) && n >= 0 && n <= 65535)) rejectValue('BREAKWATER_HEALTH_PORT', port, 'a port, an integer from 0 to 65535');
    else healthPort = n;
  }

  const healthHost = value(env, 'BREAKWATER_HEALTH_HOST');
  if (healthHost !== undefined && /\s/.test(healthHost)) rejectValue('BREAKWATER_HEALTH_HOST', healthHost, 'a host name or address');

  let healthShowDetails: EnvSettings['healthShowDetails'];
  const show = value(env, 'BREAKWATER_HEALTH_SHOW_DETAILS')?.toLowerCase();
  if (show === 'always' || show === 'never') healthShowDetails = show;
  else if (show !== undefined) rejectValue('BREAKWATER_HEALTH_SHOW_DETAILS', env.BREAKWATER_HEALTH_SHOW_DETAILS!, 'always or never');

  let shutdownDelayMs: number | undefined;
  const delay = value(env, 'BREAKWATER_SHUTDOWN_DELAY_MS');
  if (delay !== undefined) {
    const n = number(delay);
    if (!(n >= 0 && n <= MAX_TIMER_MS)) rejectValue('BREAKWATER_SHUTDOWN_DELAY_MS', delay, millisecondsRule(true));
    else shutdownDelayMs = n;
  }

  return {
    config,
    healthPort,
    healthHost: healthHost !== undefined && !/\s/.test(healthHost) ? healthHost : undefined,
    healthShowDetails,
    shutdownDelayMs,
  };
}

/** Unset and empty (after trimming) mean the same: use the default. */
function value(env: Env, name: string): string | undefined {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return undefined;
  return raw.trim();
}

/**
 * A decimal number as written (`-5`, `1.5`, `1000`), or NaN: the option's own check then refuses
 * it with its whole rule, so `-5` is told the range, not that it is no number.
 */
function number(raw: string): number {
  return /^[+-]?(\d+(\.\d*)?|\.\d+)$/.test(raw) ? Number(raw) : NaN;
}

function boolean(raw: string): boolean | undefined {
  const v = raw.toLowerCase();
  if (v === 'true' || v === '1' || v === 'yes' || v === 'on') return true;
  if (v === 'false' || v === '0' || v === 'no' || v === 'off') return false;
  return undefined;
}

/** A comma-separated variable's entries, trimmed, empty ones dropped (the one rule for every list variable). */
export function list(raw: string): string[] {
  return raw.split(',').map((s) => s.trim()).filter((s) => s !== '');
}
