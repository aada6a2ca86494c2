import { describe, expect, it } from 'vitest';
import { CircuitOpenError, SlowCallError } from '../../src/breaker/errors.js';
import type { BreakerEvents, Permit } from '../../src/breaker/types.js';
import { breakerWith, invariantHolds, ManualClock } from './helpers.js';

const never = (): Promise<never> => new Promise<never>(() => {});

describe('CircuitBreaker: calls in flight past slowCallDurationMs count while they wait', () => {
  it('a destination that hangs opens the breaker although no call has ended', () => {
    const clock = new ManualClock();
    const { breaker } = breakerWith({ clock, failureThreshold: 3, slowCallDurationMs: 1_000 });
    const hung = [breaker.tryAcquire()!, breaker.tryAcquire()!, breaker.tryAcquire()!];
    clock.advance(1_000); // exactly the threshold is not slow yet
    const fourth = breaker.tryAcquire();
    expect(fourth).toBeDefined();
    expect(breaker.state).toBe('closed');
    fourth!.success(); // a quick call ends; the three older ones are still waiting
    clock.advance(1);
    expect(breaker.tryAcquire()).toBeUndefined();
    expect(breaker.state).toBe('open');
    // Their late ends are counted in the metrics (as the slow calls they were) and move nothing.
    for (const permit of hung) permit.success();
    expect(breaker.metrics).toMatchObject({ successfulCalls: 1, failedCalls: 3, rejectedCalls: 1 });
    expect(breaker.state).toBe('open');
    expect(breaker.inFlight).toBe(0);
    expect(invariantHolds(breaker)).toBe(true);
  });

  it('execute() calls that never settle open it too, and the next call fails fast', async () => {
    const clock = new ManualClock();
    const { breaker } = breakerWith({ clock, failureThreshold: 2, slowCallDurationMs: 500 });
    void breaker.execute(never);
    void breaker.execute(never);
    clock.advance(501);
    await expect(breaker.execute(async () => 'sent')).rejects.toBeInstanceOf(CircuitOpenError);
    expect(breaker.inFlight).toBe(2);
  });

  it('a hung call is counted once: its late end does not count again', () => {
    const clock = new ManualClock();
    const { breaker } = breakerWith({ clock, failureThreshold: 2, slowCallDurationMs: 100 });
    const failures: BreakerEvents['failure'][] = [];
    breaker.on('failure', (e) => failures.push(e));
    const hung = breaker.tryAcquire()!;
    clock.advance(150);
    breaker.tryAcquire()!.success(); // counts the hung call (1 failure), then a success resets the run
    hung.failure(new Error('finally reset')); // already counted: the run stays at 0
    breaker.tryAcquire()!.failure(new Error('one'));
    expect(breaker.state).toBe('closed'); // 1 failure in a row, not 2
    breaker.tryAcquire()!.failure(new Error('two'));
    expect(breaker.state).toBe('open');
    expect(failures).toHaveLength(3);
  });

  it('counts toward a failure rate as well', () => {
    const clock = new ManualClock();
    const { breaker } = breakerWith({ clock, failureRateThreshold: 50, slidingWindowSize: 10, minimumNumberOfCalls: 4, slowCallDurationMs: 100 });
    for (let i = 0; i < 2; i++) breaker.tryAcquire()!.success();
    const hung = [breaker.tryAcquire()!, breaker.tryAcquire()!];
    clock.advance(101);
    expect(breaker.tryAcquire()).toBeUndefined(); // 2 of 4 failed: 50 %
    for (const p of hung) p.ignore();
    expect(invariantHolds(breaker)).toBe(true);
  });

  it('more hung calls than it tracks (64) still open the breaker, and every permit settles', () => {
    const clock = new ManualClock();
    const { breaker } = breakerWith({ clock, failureThreshold: 5, slowCallDurationMs: 100 });
    const hung: Permit[] = [];
    for (let i = 0; i < 100; i++) hung.push(breaker.tryAcquire()!);
    clock.advance(101);
    expect(breaker.tryAcquire()).toBeUndefined();
    for (const p of hung) p.success();
    expect(breaker.inFlight).toBe(0);
    expect(breaker.metrics.failedCalls).toBe(100);
    expect(invariantHolds(breaker)).toBe(true);
  });

  it('without slowCallDurationMs nothing is watched: hung calls never open the breaker', () => {
    const clock = new ManualClock();
    const { breaker } = breakerWith({ clock, failureThreshold: 1 });
    for (let i = 0; i < 10; i++) breaker.tryAcquire();
    clock.advance(86_400_000);
    expect(breaker.tryAcquire()).toBeDefined();
    expect(breaker.state).toBe('closed');
  });

  it('a reset forgets the calls in flight: they cannot open the fresh breaker', () => {
    const clock = new ManualClock();
    const { breaker } = breakerWith({ clock, failureThreshold: 1, slowCallDurationMs: 100 });
    const hung = breaker.tryAcquire()!;
    breaker.reset();
    clock.advance(200);
    expect(breaker.tryAcquire()).toBeDefined();
    hung.success();
    expect(breaker.state).toBe('closed');
    expect(breaker.metrics.failedCalls).toBe(1); // still a slow call in the metrics
  });

  it('reports the late end of a hung call as a SlowCallError', () => {
    const clock = new ManualClock();
    const { breaker } = breakerWith({ clock, failureThreshold: 5, slowCallDurationMs: 100 });
    const errors: unknown[] = [];
    breaker.on('failure', (e) => errors.push(e.error));
    const hung = breaker.tryAcquire()!;
    clock.advance(300);
    breaker.tryAcquire()!.success();
    hung.success();
    expect(errors[0]).toBeInstanceOf(SlowCallError);
  });
});

describe('CircuitBreaker: a half-open probe that hangs', () => {
  it('reopens after halfOpenTimeoutMs and re-probes after the open wait, so a recovered destination is reached again', () => {
    const clock = new ManualClock();
    const { breaker } = breakerWith({ clock, failureThreshold: 1, openTimeoutMs: 1_000, halfOpenTimeoutMs: 5_000 });
    breaker.tryAcquire()!.failure(new Error('down'));
    clock.advance(1_000);
    const probe = breaker.tryAcquire()!; // accepted by the server, never answered
    expect(breaker.state).toBe('half_open');
    clock.advance(4_999);
    expect(breaker.tryAcquire()).toBeUndefined();
    expect(breaker.state).toBe('half_open');
    clock.advance(1);
    expect(breaker.tryAcquire()).toBeUndefined();
    expect(breaker.state).toBe('open');
    expect(breaker.retryAfterMs()).toBe(2_000); // the second opening in a row: the wait doubled
    clock.advance(2_000);
    const second = breaker.tryAcquire();
    expect(second).toBeDefined(); // a fresh probe: the slot was freed
    second!.success();
    expect(breaker.state).toBe('closed');
    probe.success(); // the hung probe's late answer is counted, and moves nothing
    expect(breaker.state).toBe('closed');
    expect(breaker.metrics.stateTransitions).toMatchObject({ 'half_open->open': 1, 'half_open->closed': 1 });
    expect(invariantHolds(breaker)).toBe(true);
  });

  it('is on by default (10 s), and reading the state notices it too', () => {
    const clock = new ManualClock();
    const { breaker } = breakerWith({ clock, failureThreshold: 1, openTimeoutMs: 1_000 });
    breaker.tryAcquire()!.failure();
    clock.advance(1_000);
    breaker.tryAcquire();
    clock.advance(9_999);
    expect(breaker.state).toBe('half_open');
    clock.advance(1);
    expect(breaker.state).toBe('open');
    clock.advance(86_400_000); // a day later the breaker probes again, it is never stuck
    expect(breaker.tryAcquire()).toBeDefined();
  });

  it('with several probe slots, waits until none was admitted for the bound', () => {
    const clock = new ManualClock();
    const { breaker } = breakerWith({ clock, failureThreshold: 1, openTimeoutMs: 100, halfOpenMaxCalls: 2, successThreshold: 2, halfOpenTimeoutMs: 1_000 });
    breaker.tryAcquire()!.failure();
    clock.advance(100);
    const first = breaker.tryAcquire()!;
    clock.advance(600);
    first.success(); // one slot freed and taken again below
    breaker.tryAcquire();
    breaker.tryAcquire();
    clock.advance(999);
    expect(breaker.state).toBe('half_open');
    clock.advance(1);
    expect(breaker.state).toBe('open');
  });

  it('refuses a bound that is not a positive number, naming it', () => {
    expect(() => breakerWith({ halfOpenTimeoutMs: 0 })).toThrow(/"halfOpenTimeoutMs".*got 0/);
    expect(() => breakerWith({ halfOpenTimeoutMs: Number.NaN })).toThrow(/"halfOpenTimeoutMs"/);
  });
});
