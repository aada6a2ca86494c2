// The pure parts of the fetch/undici patch: destination, replayability, header lookup, retry defaults.
import { describe, expect, it } from 'vitest';
import { headerValue, isReplayable, resolveFetchRetry, undiciDestination } from '../../src/instrumentation/undici-request.js';

describe('undiciDestination', () => {
  it('reads host and port, filling in the default ports', () => {
    expect(undiciDestination('http://Example.COM')).toEqual({ host: 'example.com', port: 80 });
    expect(undiciDestination('https://example.com')).toEqual({ host: 'example.com', port: 443 });
    expect(undiciDestination('http://127.0.0.1:8080')).toEqual({ host: '127.0.0.1', port: 8080 });
    expect(undiciDestination(new URL('https://[::1]:8443/x'))).toEqual({ host: '::1', port: 8443 });
    expect(undiciDestination('wss://example.com')).toEqual({ host: 'example.com', port: 443 });
  });

  it('has no destination without an http(s) origin, and throws on garbage', () => {
    expect(undiciDestination(undefined)).toBeUndefined();
    expect(undiciDestination('data:,x')).toBeUndefined();
    expect(() => undiciDestination('not a url')).toThrow(TypeError);
  });

  it('gives the same answer from its cache', () => {
    const first = undiciDestination('http://cache.test:81');
    expect(undiciDestination('http://cache.test:81')).toBe(first);
  });

  it('answers a repeated origin, then a different one, then the first again, each correctly', () => {
    const a = undiciDestination('http://a.test:81');
    expect(undiciDestination('http://a.test:81')).toBe(a);
    expect(undiciDestination('http://a.test:82')).toEqual({ host: 'a.test', port: 82 });
    expect(undiciDestination('data:,x')).toBeUndefined();
    expect(undiciDestination('data:,x')).toBeUndefined();
    expect(() => undiciDestination('not a url')).toThrow(TypeError);
    expect(() => undiciDestination('not a url')).toThrow(TypeError);
    expect(undiciDestination(new URL('http://a.test:81/path'))).toEqual(a);
    expect(undiciDestination('http://a.test:81')).toBe(a);
  });
});

describe('isReplayable', () => {
  it('accepts idempotent methods with no body or an in-memory one', () => {
    for (const method of ['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']) expect(isReplayable({ method })).toBe(true);
    expect(isReplayable({ method: 'PUT', body: 'x' })).toBe(true);
    expect(isReplayable({ method: 'PUT', body: Buffer.from('x') })).toBe(true);
    expect(isReplayable({ method: 'DELETE', body: new Uint8Array(2) })).toBe(true);
  });

  it('refuses other methods, streamed bodies and upgrades', () => {
    expect(isReplayable({ method: 'POST' })).toBe(false);
    expect(isReplayable({ method: 'PATCH' })).toBe(false);
    expect(isReplayable({ method: 'PUT', body: (async function* () {})() })).toBe(false);
    expect(isReplayable({ method: 'GET', upgrade: 'websocket' })).toBe(false);
  });
});

describe('headerValue', () => {
  it('finds a header in a raw list of Buffers or strings, case-insensitively', () => {
    const raw = [Buffer.from('Content-Type'), Buffer.from('text/plain'), Buffer.from('Retry-After'), Buffer.from('7')];
    expect(headerValue(raw, 'retry-after')).toBe('7');
    expect(headerValue(['RETRY-AFTER', '9'], 'retry-after')).toBe('9');
    expect(headerValue(raw, 'x-missing')).toBeUndefined();
  });

  it('finds a header in a parsed object', () => {
    expect(headerValue({ 'retry-after': '3' }, 'retry-after')).toBe('3');
    expect(headerValue({ 'retry-after': ['4', '5'] }, 'retry-after')).toBe('4');
    expect(headerValue(null, 'retry-after')).toBeUndefined();
  });
});

describe('resolveFetchRetry', () => {
  it('is off without options or with a single attempt', () => {
    expect(resolveFetchRetry(undefined)).toBeUndefined();
    expect(resolveFetchRetry({ attempts: 1 })).toBeUndefined();
  });

  it("fills in the breaker's retry defaults", () => {
    expect(resolveFetchRetry({ attempts: 3 })).toEqual({
      attempts: 3,
      baseDelayMs: 100,
      maxDelayMs: 5_000,
      multiplier: 2,
      jitter: 1,
      retryOn: undefined,
    });
    expect(resolveFetchRetry({ attempts: 2, baseDelayMs: 10_000 })?.maxDelayMs).toBe(10_000);
  });
});
