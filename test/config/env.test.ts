import { describe, expect, it } from 'vitest';
import { configFromEnv } from '../../src/config/env.js';
import { resolveConfig } from '../../src/config/resolve.js';

function read(env: Record<string, string>) {
  const warnings: string[] = [];
  const settings = configFromEnv(env, (m) => warnings.push(m));
  return { ...settings, warnings };
}

describe('configFromEnv', () => {
  it('reads the hang settings: slow calls, call timeout, half-open bound, abort grace (0 turns the first two off)', () => {
    const on = read({
      BREAKWATER_SLOW_CALL_MS: '5000',
      BREAKWATER_CALL_TIMEOUT_MS: '2000',
      BREAKWATER_HALF_OPEN_TIMEOUT_MS: '3000',
      BREAKWATER_ABORT_GRACE_MS: '250',
    });
    expect(on.warnings).toEqual([]);
    expect(on.config).toEqual({
      breaker: { slowCallDurationMs: 5000, callTimeoutMs: 2000, halfOpenTimeoutMs: 3000 },
      abortGraceMs: 250,
    });
    const off = read({ BREAKWATER_SLOW_CALL_MS: '0', BREAKWATER_CALL_TIMEOUT_MS: '0' });
    expect(off.warnings).toEqual([]);
    expect(off.config.breaker).toEqual({ slowCallDurationMs: undefined, callTimeoutMs: undefined });
    expect(resolveConfig(off.config).breaker.slowCallDurationMs).toBeUndefined();
    const bad = read({ BREAKWATER_HALF_OPEN_TIMEOUT_MS: '0', BREAKWATER_ABORT_GRACE_MS: '-5', BREAKWATER_SLOW_CALL_MS: 'soon' });
    expect(bad.config).toEqual({});
    expect(bad.warnings).toHaveLength(3);
    expect(bad.warnings.join('\n')).toMatch(/BREAKWATER_HALF_OPEN_TIMEOUT_MS="0"/);
    expect(bad.warnings.join('\n')).toMatch(/BREAKWATER_ABORT_GRACE_MS="-5"/);
  });

  it('reads nothing from an empty environment', () => {
    expect(read({})).toEqual({ config: {}, healthPort: undefined, warnings: [] });
  });

  it('reads every BREAKWATER_* variable', () => {
    const { config, healthPort, warnings } = read({
      BREAKWATER_FAILURE_THRESHOLD: '3',
      BREAKWATER_SUCCESS_THRESHOLD: '2',
      BREAKWATER_OPEN_TIMEOUT_MS: '1000',
      BREAKWATER_MAX_OPEN_TIMEOUT_MS: '30000',
      BREAKWATER_HALF_OPEN_MAX_CALLS: '4',
      BREAKWATER_HTTP_FAILURE_STATUS: '429, 500-599',
      BREAKWATER_GRPC_FAILURE_CODES: 'UNAVAILABLE,4',
      BREAKWATER_EXCLUDE_HOSTS: 'localhost, *.internal ,db:5432',
      BREAKWATER_MAX_BREAKERS: '100',
      BREAKWATER_INSTRUMENT: 'HTTP,grpc',
      BREAKWATER_DURATION_HISTOGRAM: 'true',
      BREAKWATER_EVENTS: 'Logs',
      BREAKWATER_HEALTH_PORT: '8081',
    });
    expect(warnings).toEqual([]);
    expect(config).toEqual({
      breaker: { failureThreshold: 3, successThreshold: 2, openTimeoutMs: 1000, maxOpenTimeoutMs: 30000, halfOpenMaxCalls: 4 },
      httpFailureStatus: '429, 500-599',
      grpcFailureCodes: ['UNAVAILABLE', '4'],
      excludeHosts: ['localhost', '*.internal', 'db:5432'],
      maxBreakers: 100,
      instrument: ['http', 'grpc'],
      durationHistogram: true,
      events: { spans: false, logs: true },
    });
    expect(healthPort).toBe(8081);
  });

  it('treats empty values as unset and accepts BREAKWATER_INSTRUMENT=none and BREAKWATER_EVENTS=none', () => {
    const { config, warnings } = read({ BREAKWATER_FAILURE_THRESHOLD: '  ', BREAKWATER_INSTRUMENT: 'none', BREAKWATER_EVENTS: 'none' });
    expect(warnings).toEqual([]);
    expect(config).toEqual({ instrument: [], events: { spans: false, logs: false } });
    expect(read({ BREAKWATER_EVENTS: 'spans, logs' }).config).toEqual({ events: { spans: true, logs: true } });
  });

  it('warns once per bad variable, naming it and its value, and keeps the good ones', () => {
    const { config, healthPort, warnings } = read({
      BREAKWATER_FAILURE_THRESHOLD: 'five',
      BREAKWATER_SUCCESS_THRESHOLD: '0',
      BREAKWATER_HALF_OPEN_MAX_CALLS: '2',
      BREAKWATER_HTTP_FAILURE_STATUS: '5xx',
      BREAKWATER_GRPC_FAILURE_CODES: 'SOMETIMES',
      BREAKWATER_EXCLUDE_HOSTS: 'ok.example.com,*.',
      BREAKWATER_MAX_BREAKERS: '-1',
      BREAKWATER_INSTRUMENT: 'http,carrier-pigeon',
      BREAKWATER_DURATION_HISTOGRAM: 'maybe',
      BREAKWATER_EVENTS: 'logs,traces',
      BREAKWATER_HEALTH_PORT: '70000',
    });
    expect(config).toEqual({ breaker: { halfOpenMaxCalls: 2 } });
    expect(healthPort).toBeUndefined();
    expect(warnings).toHaveLength(10);
    expect(warnings).toContain(`breakwater: ignoring BREAKWATER_EVENTS="logs,traces": expected a list of spans, logs (or 'none'); using the default`);
    for (const [variable, value] of [
      ['BREAKWATER_FAILURE_THRESHOLD', '"five"'],
      ['BREAKWATER_SUCCESS_THRESHOLD', '"0"'],
      ['BREAKWATER_HTTP_FAILURE_STATUS', '"5xx"'],
      ['BREAKWATER_GRPC_FAILURE_CODES', '"SOMETIMES"'],
      ['BREAKWATER_EXCLUDE_HOSTS', '"ok.example.com,*."'],
      ['BREAKWATER_MAX_BREAKERS', '"-1"'],
      ['BREAKWATER_INSTRUMENT', '"http,carrier-pigeon"'],
      ['BREAKWATER_DURATION_HISTOGRAM', '"maybe"'],
      ['BREAKWATER_EVENTS', '"logs,traces"'],
      ['BREAKWATER_HEALTH_PORT', '"70000"'],
    ]) {
      expect(warnings.filter((w) => w.includes(`${variable}=${value}`)), variable).toHaveLength(1);
    }
    expect(warnings.every((w) => w.startsWith('breakwater: ignoring ') && w.includes('default'))).toBe(true);
  });

  it('drops an inconsistent pair with one warning naming both variables', () => {
    const { config, warnings } = read({ BREAKWATER_OPEN_TIMEOUT_MS: '60000', BREAKWATER_MAX_OPEN_TIMEOUT_MS: '1000', BREAKWATER_MAX_BREAKERS: '10' });
    expect(config).toEqual({ maxBreakers: 10 });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('BREAKWATER_OPEN_TIMEOUT_MS="60000"');
    expect(warnings[0]).toContain('BREAKWATER_MAX_OPEN_TIMEOUT_MS="1000"');
  });

  it('checks a cap alone against the default it caps', () => {
    const { config, warnings } = read({ BREAKWATER_MAX_OPEN_TIMEOUT_MS: '1000' });
    expect(config).toEqual({});
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/BREAKWATER_MAX_OPEN_TIMEOUT_MS="1000".*openTimeoutMs/);
  });
});

describe('configFromEnv: values that would defeat the breaker', () => {
  it('refuses BREAKWATER_OPEN_TIMEOUT_MS=0 (fail-fast off) and BREAKWATER_GRPC_FAILURE_CODES with OK, one warning each', () => {
    const { config, warnings } = read({ BREAKWATER_OPEN_TIMEOUT_MS: '0', BREAKWATER_GRPC_FAILURE_CODES: 'UNAVAILABLE,OK' });
    expect(config).toEqual({});
    expect(warnings).toEqual([
      'breakwater: ignoring BREAKWATER_OPEN_TIMEOUT_MS="0": expected a number > 0; using the default',
      'breakwater: ignoring BREAKWATER_GRPC_FAILURE_CODES="UNAVAILABLE,OK": expected gRPC status codes 1-16 or their names, such as UNAVAILABLE (0 is OK, never a failure); using the default',
    ]);
    expect(read({ BREAKWATER_GRPC_FAILURE_CODES: '0' }).warnings).toHaveLength(1);
  });

  it('says the range of a number out of range, never that -5 is not a number', () => {
    const { warnings } = read({
      BREAKWATER_FAILURE_THRESHOLD: '-5',
      BREAKWATER_HALF_OPEN_MAX_CALLS: 'five',
      BREAKWATER_MAX_BREAKERS: '0',
      BREAKWATER_HEALTH_PORT: '-1',
    });
    expect(warnings).toEqual([
      'breakwater: ignoring BREAKWATER_FAILURE_THRESHOLD="-5": expected an integer >= 1; using the default',
      'breakwater: ignoring BREAKWATER_HALF_OPEN_MAX_CALLS="five": expected an integer >= 1; using the default',
      'breakwater: ignoring BREAKWATER_MAX_BREAKERS="0": expected an integer >= 1; using the default',
      'breakwater: ignoring BREAKWATER_HEALTH_PORT="-1": expected a port, an integer from 0 to 65535; using the default',
    ]);
  });

  it('words a bad pair once, with one breakwater: prefix and the variable at fault', () => {
    const { warnings } = read({ BREAKWATER_OPEN_TIMEOUT_MS: '60000', BREAKWATER_MAX_OPEN_TIMEOUT_MS: '1000' });
    expect(warnings).toEqual([
      'breakwater: ignoring BREAKWATER_OPEN_TIMEOUT_MS="60000", BREAKWATER_MAX_OPEN_TIMEOUT_MS="1000": BREAKWATER_MAX_OPEN_TIMEOUT_MS must be >= openTimeoutMs (60000); using the defaults',
    ]);
  });
});
