import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/common/config-error.js';
import { compileHostPattern, compileHostPatterns } from '../../src/config/host-patterns.js';
import { parseGrpcFailureCodes } from '../../src/config/grpc-codes.js';
import { parseHttpFailureStatus } from '../../src/config/http-status.js';
import { resolveConfig } from '../../src/config/resolve.js';

const statuses = (table: Uint8Array) => [...table.keys()].filter((s) => table[s] === 1);

describe('config parsing', () => {
  it('HTTP failure statuses: lists, ranges, arrays; bad ones name the option', () => {
    expect(statuses(parseHttpFailureStatus('408,429,500-599'))).toEqual([408, 429, ...Array.from({ length: 100 }, (_, i) => 500 + i)]);
    expect(statuses(parseHttpFailureStatus([503, 504]))).toEqual([503, 504]);
    expect(statuses(parseHttpFailureStatus(''))).toEqual([]);
    for (const bad of ['600', '99', '500-400', 'abc', '5xx']) {
      expect(() => parseHttpFailureStatus(bad)).toThrow(`option "httpFailureStatus" must be HTTP statuses (100-599) or ranges like '500-599', comma separated, got ${JSON.stringify(bad)}`);
    }
  });

  it('gRPC failure codes: names (any case) and numbers', () => {
    const table = parseGrpcFailureCodes(['unavailable', 4, '13']);
    expect([...table.keys()].filter((c) => table[c] === 1)).toEqual([4, 13, 14]);
    expect(() => parseGrpcFailureCodes([17])).toThrow('BreakwaterInstrumentation: option "grpcFailureCodes" must be gRPC status codes 1-16 or their names');
    expect(() => parseGrpcFailureCodes([17])).toThrow('got [17]');
    // OK is never a failure: counting it as one would open the breaker on a healthy destination.
    expect(() => parseGrpcFailureCodes(['UNAVAILABLE', 0])).toThrow('(0 is OK, never a failure), got ["UNAVAILABLE",0]');
    expect(() => parseGrpcFailureCodes('OK')).toThrow(ConfigError);
  });

  it('host patterns: exact, any port, wildcard subdomains, IPv6, RegExp', () => {
    const m = (p: string | RegExp) => compileHostPattern(p, 'excludeHosts');
    expect(m('Api.Example.com')('api.example.COM', 1)).toBe(true);
    expect(m('api.example.com:443')('api.example.com', 443)).toBe(true);
    expect(m('api.example.com:443')('api.example.com', 80)).toBe(false);
    expect(m('*.example.com')('a.b.example.com', 1)).toBe(true);
    expect(m('*.example.com')('example.com', 1)).toBe(false);
    expect(m('*.example.com')('badexample.com', 1)).toBe(false);
    expect(m('*.example.com:8443')('x.example.com', 8443)).toBe(true);
    expect(m('*.example.com:8443')('x.example.com', 443)).toBe(false);
    expect(m('[::1]:9000')('::1', 9000)).toBe(true);
    expect(m('::1')('::1', 5)).toBe(true);
    expect(m(/^10\./g)('10.0.0.1', 1)).toBe(true);
    expect(m(/^10\./g)('10.0.0.1', 1)).toBe(true); // no lastIndex state carried over
    expect(compileHostPatterns([], 'excludeHosts')).toBeUndefined();
    for (const bad of ['', '*.', 'a.*.com', 'host:0', 'host:x']) {
      expect(() => m(bad)).toThrow('excludeHosts');
    }
  });

  it('resolveConfig defaults', () => {
    const r = resolveConfig();
    expect([...r.instrument]).toEqual(['http', 'fetch', 'grpc']);
    expect(r.maxBreakers).toBe(250);
    expect(r.isExcluded).toBeUndefined();
    expect(r.retry).toBeUndefined();
    expect(r.durationHistogram).toBe(false);
    expect(r.events).toEqual({ spans: true, logs: true });
    expect(r.httpFailure[500]).toBe(1);
    expect(r.httpFailure[404]).toBe(0);
  });

  it('events: each target on unless turned off; anything else is one ConfigError naming the option', () => {
    expect(resolveConfig({ events: {} }).events).toEqual({ spans: true, logs: true });
    expect(resolveConfig({ events: { spans: false } }).events).toEqual({ spans: false, logs: true });
    expect(resolveConfig({ events: { spans: false, logs: false } }).events).toEqual({ spans: false, logs: false });
    const refused = (events: unknown) => {
      try {
        resolveConfig({ events: events as never });
      } catch (err) {
        return err instanceof ConfigError ? `${err.option}: ${err.message}` : `not a ConfigError: ${String(err)}`;
      }
      return 'accepted';
    };
    expect(refused(false)).toBe('events: BreakwaterInstrumentation: option "events" must be an object, got false');
    expect(refused({ logs: 'yes' })).toBe('events.logs: BreakwaterInstrumentation: option "events.logs" must be true or false, got "yes"');
    expect(refused({ span: false })).toMatch(/^events\.span: .*"events\.span".*spans/);
  });

  it('destination overrides are merged over the breaker defaults', () => {
    const r = resolveConfig({ breaker: { failureThreshold: 9, openTimeoutMs: 10 }, destinations: { 'db:5432': { failureThreshold: 1 } } });
    // slowCallDurationMs: the auto-created breakers' default (hung destinations open).
    expect(r.destinations[0]!.options).toEqual({ failureThreshold: 1, openTimeoutMs: 10, slowCallDurationMs: 30_000 });
    expect(r.destinations[0]!.matches('db', 5432)).toBe(true);
  });

  it('auto-created breakers count slow calls from 30 s unless told otherwise; abortGraceMs defaults to 100 ms', () => {
    expect(resolveConfig({}).breaker.slowCallDurationMs).toBe(30_000);
    expect(resolveConfig({ breaker: { slowCallDurationMs: 2_000 } }).breaker.slowCallDurationMs).toBe(2_000);
    expect(resolveConfig({ breaker: { slowCallDurationMs: undefined } }).breaker.slowCallDurationMs).toBeUndefined();
    expect(resolveConfig({}).abortGraceMs).toBe(100);
    expect(resolveConfig({ abortGraceMs: 0 }).abortGraceMs).toBe(0);
    expect(() => resolveConfig({ abortGraceMs: -1 })).toThrow(/abortGraceMs.*-1/);
    expect(() => resolveConfig({ abortGraceMs: 2 ** 31 })).toThrow(/abortGraceMs/);
  });
});
