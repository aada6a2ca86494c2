import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { CircuitBreaker } from '../../src/breaker/circuit-breaker.js';
import { CallTimeoutError, CircuitOpenError, SlowCallError } from '../../src/breaker/errors.js';

describe('CircuitOpenError', () => {
  it('built with new: an Error with code, breakerName, retryAfterMs, state and a one-line stack', () => {
    const err = new CircuitOpenError('payments', 1234.2);
    expect(err).toBeInstanceOf(Error);
    expect(err).toBeInstanceOf(CircuitOpenError);
    expect(err.code).toBe('ECIRCUITOPEN');
    expect(err.breakerName).toBe('payments');
    expect(err.retryAfterMs).toBe(1234.2);
    expect(err.state).toBe('open');
    expect(err.name).toBe('CircuitOpenError');
    expect(err.message).toBe('circuit breaker "payments" is open; retry in 1235 ms');
    expect(err.stack).toBe('CircuitOpenError: circuit breaker "payments" is open; retry in 1235 ms');
    expect(String(err)).toBe('CircuitOpenError: circuit breaker "payments" is open; retry in 1235 ms');
    expect(Error.stackTraceLimit).toBeGreaterThan(0); // restored
  });

  it('the breaker-made error behaves the same, with its message computed when read', () => {
    const b = new CircuitBreaker({ name: 'payments', clock: { now: () => 0 } });
    b.forceOpen();
    const err = b.openError();
    expect(err).toBeInstanceOf(Error);
    expect(err).toBeInstanceOf(CircuitOpenError);
    expect(err.code).toBe('ECIRCUITOPEN');
    expect(err.message).toBe('circuit breaker "payments" is forced open');
    expect(err.stack).toBe('CircuitOpenError: circuit breaker "payments" is forced open');
    expect(String(err)).toBe('CircuitOpenError: circuit breaker "payments" is forced open');
    expect(inspect(err)).toContain('circuit breaker "payments" is forced open');
    expect(JSON.parse(JSON.stringify(err))).toMatchObject({ code: 'ECIRCUITOPEN', breakerName: 'payments', state: 'open' });
    // message and stack stay assignable, as on any Error (libraries prefix them)
    err.message = 'wrapped: ' + err.message;
    err.stack = 'custom';
    expect(err.message).toBe('wrapped: circuit breaker "payments" is forced open');
    expect(err.stack).toBe('custom');
  });

  it('can be thrown and caught like any error', async () => {
    const b = new CircuitBreaker({ name: 'x' });
    b.forceOpen();
    try {
      await b.execute(async () => 1);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(CircuitOpenError);
      expect((err as CircuitOpenError).retryAfterMs).toBe(Infinity);
    }
  });
});

describe('CallTimeoutError and SlowCallError', () => {
  it('carry code, breaker name and durations', () => {
    const t = new CallTimeoutError('db', 250);
    expect(t).toBeInstanceOf(Error);
    expect([t.name, t.code, t.breakerName, t.timeoutMs]).toEqual(['CallTimeoutError', 'ETIMEDOUT', 'db', 250]);
    expect(t.message).toBe('call through circuit breaker "db" timed out after 250 ms');
    const s = new SlowCallError('db', 900, 500);
    expect([s.name, s.code, s.durationMs]).toEqual(['SlowCallError', 'ESLOWCALL', 900]);
  });
});
