import { describe, expect, it, vi } from 'vitest';
import { CircuitBreaker } from '../../src/breaker/circuit-breaker.js';
import { CircuitOpenError, SlowCallError } from '../../src/breaker/errors.js';
import type { BreakerEvents, StateChangeEvent } from '../../src/breaker/types.js';
import { ManualClock, boom, breakerWith, failTimes, invariantHolds } from './helpers.js';

describe('CircuitBreaker: closed -> open (consecutive failures)', () => {
  it('opens after failureThreshold consecutive failures, not before', async () => {
    const { breaker } = breakerWith({ failureThreshold: 3 });
    await failTimes(breaker, 2);
    expect(breaker.state).toBe('closed');
    await failTimes(breaker, 1);
    expect(breaker.state).toBe('open');
  });

  it('a success in between resets the count', async () => {
    const { breaker } = breakerWith({ failureThreshold: 3 });
    await failTimes(breaker, 2);
    await breaker.execute(async () => 'ok');
    await failTimes(breaker, 2);
    expect(breaker.state).toBe('closed');
    await failTimes(breaker, 1);
    expect(breaker.state).toBe('open');
  });

  it('uses failureThreshold 5 by default', async () => {
    const { breaker } = breakerWith();
    await failTimes(breaker, 4);
    expect(breaker.state).toBe('closed');
    await failTimes(breaker, 1);
    expect(breaker.state).toBe('open');
  });

  it('passes values and errors through unchanged', async () => {
    const { breaker } = breakerWith();
    const err = new Error('mine');
    await expect(breaker.execute(async () => 42)).resolves.toBe(42);
    await expect(breaker.execute(() => 'sync')).resolves.toBe('sync');
    await expect(breaker.execute(() => Promise.reject(err))).rejects.toBe(err);
    await expect(
      breaker.execute(() => {
        throw err;
      }),
    ).rejects.toBe(err);
    // thenables that are not native promises
    await expect(breaker.execute(() => ({ then: (r: (v: number) => void) => r(7) }) as unknown as Promise<number>)).resolves.toBe(7);
    expect(breaker.metrics).toMatchObject({ totalCalls: 5, successfulCalls: 3, failedCalls: 2 });
  });

  it('rejects a non-function without counting it', async () => {
    const { breaker } = breakerWith();
    await expect(breaker.execute('nope' as never)).rejects.toThrow(/execute\(\) needs a function, got string/);
    expect(breaker.metrics.totalCalls).toBe(0);
  });

  it('gives fn no signal when there is no timeout or caller signal', async () => {
    const { breaker } = breakerWith();
    let seen: AbortSignal | undefined | null = null;
    await breaker.execute((signal) => {
      seen = signal;
    });
    expect(seen).toBeUndefined();
  });
});

describe('CircuitBreaker: open state', () => {
  it('rejects with CircuitOpenError without calling fn, and says how long to wait', async () => {
    const { breaker, clock } = breakerWith({ failureThreshold: 1, openTimeoutMs: 1_000 });
    await failTimes(breaker, 1);
    clock.advance(250);
    const fn = vi.fn(async () => 1);
    const err = await breaker.execute(fn).catch((e: unknown) => e);
    expect(fn).not.toHaveBeenCalled();
    expect(err).toBeInstanceOf(CircuitOpenError);
    expect(err).toBeInstanceOf(Error);
    const open = err as CircuitOpenError;
    expect(open.code).toBe('ECIRCUITOPEN');
    expect(open.breakerName).toBe('test');
    expect(open.retryAfterMs).toBe(750);
    expect(open.state).toBe('open');
    expect(open.name).toBe('CircuitOpenError');
    expect(open.message).toBe('circuit breaker "test" is open; retry in 750 ms');
    expect(String(open.stack)).toContain('CircuitOpenError: circuit breaker "test" is open');
    expect(breaker.retryAfterMs()).toBe(750);
    expect(breaker.metrics.rejectedCalls).toBe(1);
  });

  it('tryAcquire returns undefined and counts a rejection', async () => {
    const { breaker } = breakerWith({ failureThreshold: 1 });
    await failTimes(breaker, 1);
    expect(breaker.tryAcquire()).toBeUndefined();
    expect(breaker.metrics).toMatchObject({ totalCalls: 2, failedCalls: 1, rejectedCalls: 1 });
    const err = breaker.openError();
    expect(err).toBeInstanceOf(CircuitOpenError);
    expect(err.retryAfterMs).toBe(5_000);
  });

  it('becomes half-open lazily once the wait is over (no timers)', async () => {
    const { breaker, clock } = breakerWith({ failureThreshold: 1, openTimeoutMs: 1_000 });
    await failTimes(breaker, 1);
    clock.advance(999);
    expect(breaker.state).toBe('open');
    clock.advance(1);
    expect(breaker.state).toBe('half_open');
    expect(breaker.retryAfterMs()).toBe(0);
    expect(breaker.metrics.stateTransitions).toEqual({ 'closed->open': 1, 'open->half_open': 1 });
  });

  it('an execute() arriving after the wait is the probe', async () => {
    const { breaker, clock } = breakerWith({ failureThreshold: 1, openTimeoutMs: 1_000 });
    await failTimes(breaker, 1);
    clock.advance(1_000);
    await expect(breaker.execute(async () => 'probe')).resolves.toBe('probe');
    expect(breaker.state).toBe('closed');
    expect(breaker.metrics.stateTransitions).toEqual({
      'closed->open': 1,
      'open->half_open': 1,
      'half_open->closed': 1,
    });
  });
});

describe('CircuitBreaker: half-open', () => {
  it('admits at most halfOpenMaxCalls concurrent probes', async () => {
    const { breaker, clock } = breakerWith({ failureThreshold: 1, openTimeoutMs: 10, halfOpenMaxCalls: 2 });
    await failTimes(breaker, 1);
    clock.advance(10);
    const a = breaker.tryAcquire();
    const b = breaker.tryAcquire();
    expect(a).toBeDefined();
    expect(b).toBeDefined();
    expect(breaker.tryAcquire()).toBeUndefined();
    const err = breaker.openError();
    expect(err.state).toBe('half_open');
    expect(err.retryAfterMs).toBe(0);
    expect(err.message).toContain('half-open');
    a!.ignore(); // frees a slot without deciding anything
    const c = breaker.tryAcquire();
    expect(c).toBeDefined();
    expect(breaker.state).toBe('half_open');
    b!.success();
    expect(breaker.state).toBe('closed');
    c!.success();
  });

  it('needs successThreshold consecutive probe successes to close', async () => {
    const { breaker, clock } = breakerWith({ failureThreshold: 1, openTimeoutMs: 10, successThreshold: 3 });
    await failTimes(breaker, 1);
    clock.advance(10);
    await breaker.execute(async () => 1);
    await breaker.execute(async () => 1);
    expect(breaker.state).toBe('half_open');
    await breaker.execute(async () => 1);
    expect(breaker.state).toBe('closed');
  });

  it('one probe failure re-opens with the next back-off step', async () => {
    const { breaker, clock } = breakerWith({
      failureThreshold: 1,
      openTimeoutMs: 100,
      backoffMultiplier: 3,
      successThreshold: 2,
    });
    await failTimes(breaker, 1);
    expect(breaker.retryAfterMs()).toBe(100);
    clock.advance(100);
    await breaker.execute(async () => 1);
    await failTimes(breaker, 1);
    expect(breaker.state).toBe('open');
    expect(breaker.retryAfterMs()).toBe(300);
    expect(breaker.metrics.stateTransitions['half_open->open']).toBe(1);
  });

  it('ignored probe outcomes neither close nor re-open', async () => {
    const { breaker, clock } = breakerWith({
      failureThreshold: 1,
      openTimeoutMs: 10,
      isFailure: (err) => !(err instanceof TypeError),
    });
    await failTimes(breaker, 1);
    clock.advance(10);
    await breaker.execute(() => Promise.reject(new TypeError('not the destination'))).catch(() => undefined);
    expect(breaker.state).toBe('half_open');
    expect(breaker.metrics.ignoredCalls).toBe(1);
  });
});

describe('CircuitBreaker: back-off', () => {
  it('grows by backoffMultiplier per consecutive opening, up to maxOpenTimeoutMs, and resets on close', async () => {
    const { breaker, clock } = breakerWith({
      failureThreshold: 1,
      openTimeoutMs: 1_000,
      backoffMultiplier: 2,
      maxOpenTimeoutMs: 5_000,
    });
    const waits: number[] = [];
    await failTimes(breaker, 1);
    for (let i = 0; i < 5; i++) {
      waits.push(breaker.retryAfterMs());
      clock.advance(breaker.retryAfterMs());
      await failTimes(breaker, 1); // the probe fails
    }
    expect(waits).toEqual([1_000, 2_000, 4_000, 5_000, 5_000]);
    clock.advance(breaker.retryAfterMs());
    await breaker.execute(async () => 'ok');
    expect(breaker.state).toBe('closed');
    await failTimes(breaker, 1);
    expect(breaker.retryAfterMs()).toBe(1_000);
  });

  it('jitter scales the wait by a factor in [1 - jitter, 1] using the random source', async () => {
    let r = 0;
    const { breaker, clock } = breakerWith({ failureThreshold: 1, openTimeoutMs: 1_000, jitter: 0.5, random: () => r });
    r = 0.999999;
    await failTimes(breaker, 1);
    expect(breaker.retryAfterMs()).toBeCloseTo(500, 2);
    breaker.reset();
    r = 0;
    await failTimes(breaker, 1);
    expect(breaker.retryAfterMs()).toBe(1_000);
    breaker.reset();
    r = 0.5;
    await failTimes(breaker, 1);
    expect(breaker.retryAfterMs()).toBe(750);
    clock.advance(750);
    expect(breaker.state).toBe('half_open');
  });

  it('never stays open longer than maxOpenTimeoutMs when the clock goes back', async () => {
    const { breaker, clock } = breakerWith({ failureThreshold: 1, openTimeoutMs: 1_000, maxOpenTimeoutMs: 2_000 });
    await failTimes(breaker, 1);
    clock.advance(-3_600_000); // NTP step back by an hour
    expect(breaker.state).toBe('open');
    expect(breaker.retryAfterMs()).toBe(2_000);
    clock.advance(2_000);
    expect(breaker.state).toBe('half_open');
  });

  it('a permit failure with retryAfterMs lengthens the open wait, capped at maxOpenTimeoutMs', () => {
    const { breaker } = breakerWith({ failureThreshold: 1, openTimeoutMs: 1_000, maxOpenTimeoutMs: 10_000 });
    breaker.tryAcquire()!.failure(new Error('503'), 4_000);
    expect(breaker.retryAfterMs()).toBe(4_000);
    breaker.reset();
    breaker.tryAcquire()!.failure(new Error('503'), 500); // shorter than the back-off: no effect
    expect(breaker.retryAfterMs()).toBe(1_000);
    breaker.reset();
    breaker.tryAcquire()!.failure(new Error('503'), 3_600_000);
    expect(breaker.retryAfterMs()).toBe(10_000);
    breaker.reset();
    breaker.tryAcquire()!.failure(new Error('503'), Number.NaN);
    expect(breaker.retryAfterMs()).toBe(1_000);
  });
});

describe('CircuitBreaker: failure-rate tripping', () => {
  it('opens when the failure share of the window reaches the threshold, once minimumNumberOfCalls is reached', async () => {
    const { breaker } = breakerWith({ failureRateThreshold: 50, slidingWindowSize: 10, minimumNumberOfCalls: 4 });
    await failTimes(breaker, 3); // 3 of 3 failed, but fewer than 4 calls
    expect(breaker.state).toBe('closed');
    await breaker.execute(async () => 1); // 3 of 4 = 75%, judged only on a failure
    expect(breaker.state).toBe('closed');
    await failTimes(breaker, 1); // 4 of 5 = 80%
    expect(breaker.state).toBe('open');
  });

  it('ignores failureThreshold and forgets calls that slid out of the window', async () => {
    const { breaker } = breakerWith({
      failureThreshold: 1,
      failureRateThreshold: 50,
      slidingWindowSize: 4,
      minimumNumberOfCalls: 4,
    });
    await failTimes(breaker, 1);
    for (let i = 0; i < 4; i++) await breaker.execute(async () => 1);
    // the failure slid out: window is [s, s, s, s]; one failure makes [s, s, s, f] = 25%
    await failTimes(breaker, 1);
    expect(breaker.state).toBe('closed');
    await failTimes(breaker, 1); // [s, s, f, f] = 50%
    expect(breaker.state).toBe('open');
  });

  it('starts a fresh window after closing again', async () => {
    const { breaker, clock } = breakerWith({
      failureRateThreshold: 50,
      slidingWindowSize: 4,
      minimumNumberOfCalls: 2,
      openTimeoutMs: 10,
    });
    await failTimes(breaker, 2);
    expect(breaker.state).toBe('open');
    clock.advance(10);
    await breaker.execute(async () => 1);
    expect(breaker.state).toBe('closed');
    await failTimes(breaker, 1); // a fresh window holds 1 call: below the minimum
    expect(breaker.state).toBe('closed');
  });
});

describe('CircuitBreaker: slow calls', () => {
  it('counts a success slower than slowCallDurationMs as a failure, but returns the value', async () => {
    const clock = new ManualClock();
    const { breaker } = breakerWith({ clock, failureThreshold: 2, slowCallDurationMs: 100 });
    const failures: BreakerEvents['failure'][] = [];
    breaker.on('failure', (e) => failures.push(e));
    const slow = async (): Promise<string> => {
      clock.advance(150);
      return 'late';
    };
    await expect(breaker.execute(slow)).resolves.toBe('late');
    expect(failures[0]!.error).toBeInstanceOf(SlowCallError);
    expect(failures[0]!.durationMs).toBe(150);
    await breaker.execute(async () => {
      clock.advance(100); // exactly the threshold is not slow
      return 1;
    });
    expect(breaker.metrics).toMatchObject({ successfulCalls: 1, failedCalls: 1 });
    await breaker.execute(slow);
    await breaker.execute(slow);
    expect(breaker.state).toBe('open');
  });

  it('applies to permits too', () => {
    const clock = new ManualClock();
    const { breaker } = breakerWith({ clock, failureThreshold: 1, slowCallDurationMs: 100 });
    const permit = breaker.tryAcquire()!;
    clock.advance(101);
    permit.success();
    expect(breaker.state).toBe('open');
  });
});

describe('CircuitBreaker: classification', () => {
  it('isFailure: errors it rejects are ignored: they neither trip nor reset the count', async () => {
    const { breaker } = breakerWith({ failureThreshold: 2, isFailure: (err) => (err as Error).message !== 'not found' });
    await failTimes(breaker, 1);
    await breaker.execute(() => Promise.reject(new Error('not found'))).catch(() => undefined);
    expect(breaker.state).toBe('closed');
    await failTimes(breaker, 1);
    expect(breaker.state).toBe('open');
    expect(breaker.metrics).toMatchObject({ totalCalls: 3, failedCalls: 2, ignoredCalls: 1 });
  });

  it('a throwing isFailure counts the call as a failure', async () => {
    const { breaker } = breakerWith({
      failureThreshold: 1,
      isFailure: () => {
        throw new Error('bad filter');
      },
    });
    await failTimes(breaker, 1);
    expect(breaker.state).toBe('open');
  });

  it('isResultFailure counts a returned value as a failure; the caller still gets it', async () => {
    const { breaker } = breakerWith({
      failureThreshold: 2,
      isResultFailure: (r) => (r as { status: number }).status >= 500,
    });
    const failures: unknown[] = [];
    breaker.on('failure', (e) => failures.push(e.error));
    await expect(breaker.execute(async () => ({ status: 503 }))).resolves.toEqual({ status: 503 });
    await breaker.execute(async () => ({ status: 200 }));
    expect(breaker.metrics).toMatchObject({ successfulCalls: 1, failedCalls: 1 });
    expect(failures).toEqual([{ status: 503 }]);
    await breaker.execute(async () => ({ status: 500 }));
    await breaker.execute(async () => ({ status: 500 }));
    expect(breaker.state).toBe('open');
  });

  it('permit.failure() goes through isFailure; permit.ignore() is always ignored', () => {
    const { breaker } = breakerWith({ isFailure: (err) => err !== 'benign' });
    breaker.tryAcquire()!.failure('benign');
    breaker.tryAcquire()!.failure('bad');
    breaker.tryAcquire()!.ignore();
    expect(breaker.metrics).toMatchObject({ totalCalls: 3, failedCalls: 1, ignoredCalls: 2 });
  });
});

describe('CircuitBreaker: permits', () => {
  it('settling a permit twice (or more) is a no-op', () => {
    const { breaker } = breakerWith({ failureThreshold: 2 });
    const p = breaker.tryAcquire()!;
    expect(breaker.inFlight).toBe(1);
    p.failure(new Error('x'));
    p.failure(new Error('x'));
    p.success();
    p.ignore();
    expect(breaker.inFlight).toBe(0);
    expect(breaker.state).toBe('closed');
    expect(breaker.metrics).toMatchObject({ totalCalls: 1, failedCalls: 1, successfulCalls: 0 });
    expect(invariantHolds(breaker)).toBe(true);
  });

  it('tracks inFlight for execute() too', async () => {
    const { breaker } = breakerWith();
    let release!: () => void;
    const running = breaker.execute(() => new Promise<void>((r) => (release = r)));
    expect(breaker.inFlight).toBe(1);
    release();
    await running;
    expect(breaker.inFlight).toBe(0);
  });
});

describe('CircuitBreaker: late results from an earlier state period', () => {
  it('a success that started before the breaker opened is counted but does not close it', async () => {
    const { breaker, clock } = breakerWith({ failureThreshold: 1, openTimeoutMs: 10 });
    const early = breaker.tryAcquire()!;
    await failTimes(breaker, 1);
    expect(breaker.state).toBe('open');
    clock.advance(10);
    expect(breaker.state).toBe('half_open');
    early.success();
    expect(breaker.state).toBe('half_open');
    expect(breaker.metrics.successfulCalls).toBe(1);
    // and it did not take the probe slot's place: one probe is still admitted
    expect(breaker.tryAcquire()).toBeDefined();
  });

  it('the same holds for execute(): a late success or failure does not move the state', async () => {
    const { breaker, clock } = breakerWith({ failureThreshold: 1, openTimeoutMs: 10 });
    let finishOk!: (v: string) => void;
    let finishBad!: (e: Error) => void;
    const lateOk = breaker.execute(() => new Promise<string>((r) => (finishOk = r)));
    const lateBad = breaker.execute(() => new Promise<string>((_, j) => (finishBad = j))).catch((e: unknown) => e);
    await failTimes(breaker, 1);
    clock.advance(10);
    expect(breaker.state).toBe('half_open');
    finishOk('late');
    await expect(lateOk).resolves.toBe('late');
    expect(breaker.state).toBe('half_open');
    finishBad(new Error('late'));
    await lateBad;
    expect(breaker.state).toBe('half_open');
    expect(breaker.metrics).toMatchObject({ successfulCalls: 1, failedCalls: 2 });
    expect(breaker.inFlight).toBe(0);
  });

  it('a failure that started while closed does not re-open a half-open breaker', async () => {
    const { breaker, clock } = breakerWith({ failureThreshold: 1, openTimeoutMs: 10 });
    const early = breaker.tryAcquire()!;
    await failTimes(breaker, 1);
    clock.advance(10);
    expect(breaker.state).toBe('half_open');
    early.failure(new Error('late'));
    expect(breaker.state).toBe('half_open');
    expect(breaker.metrics.failedCalls).toBe(2);
  });

  it('a probe from an older half-open period neither closes nor frees a slot of the new one', async () => {
    const { breaker, clock } = breakerWith({ failureThreshold: 1, openTimeoutMs: 10, halfOpenMaxCalls: 2 });
    await failTimes(breaker, 1);
    clock.advance(10);
    const oldProbe = breaker.tryAcquire()!;
    breaker.tryAcquire()!.failure(new Error('re-open'));
    expect(breaker.state).toBe('open');
    clock.advance(20);
    const p1 = breaker.tryAcquire()!;
    const p2 = breaker.tryAcquire()!;
    expect(breaker.tryAcquire()).toBeUndefined();
    oldProbe.success();
    expect(breaker.state).toBe('half_open');
    expect(breaker.tryAcquire()).toBeUndefined();
    p1.success();
    expect(breaker.state).toBe('closed');
    p2.success();
  });

  it('closed-state failures from before a reset() do not count toward the next trip', async () => {
    const { breaker } = breakerWith({ failureThreshold: 2 });
    const early = breaker.tryAcquire()!;
    breaker.reset();
    await failTimes(breaker, 1);
    early.failure(new Error('late'));
    expect(breaker.state).toBe('closed');
  });
});

describe('CircuitBreaker: forceOpen and reset', () => {
  it('forceOpen() holds the breaker open whatever the clock says, until reset()', async () => {
    const { breaker, clock } = breakerWith();
    breaker.forceOpen();
    clock.advance(10 * 60_000);
    expect(breaker.state).toBe('open');
    expect(breaker.retryAfterMs()).toBe(Infinity);
    const err = (await breaker.execute(async () => 1).catch((e: unknown) => e)) as CircuitOpenError;
    expect(err.retryAfterMs).toBe(Infinity);
    expect(err.message).toContain('forced open');
    breaker.reset();
    expect(breaker.state).toBe('closed');
    await expect(breaker.execute(async () => 1)).resolves.toBe(1);
    expect(breaker.metrics.stateTransitions).toEqual({ 'closed->open': 1, 'open->closed': 1 });
  });

  it('forceOpen() on an open breaker keeps it open past its wait', async () => {
    const { breaker, clock } = breakerWith({ failureThreshold: 1, openTimeoutMs: 10 });
    await failTimes(breaker, 1);
    breaker.forceOpen();
    clock.advance(1_000);
    expect(breaker.state).toBe('open');
  });

  it('reset() forgets the back-off but keeps the metrics', async () => {
    const { breaker, clock } = breakerWith({ failureThreshold: 1, openTimeoutMs: 10 });
    await failTimes(breaker, 1);
    clock.advance(10);
    await failTimes(breaker, 1);
    expect(breaker.retryAfterMs()).toBe(20);
    breaker.reset();
    await failTimes(breaker, 1);
    expect(breaker.retryAfterMs()).toBe(10);
    expect(breaker.metrics.failedCalls).toBe(3);
  });
});

describe('CircuitBreaker: events', () => {
  it('emits stateChange, success, failure, ignored and rejection synchronously, in order', async () => {
    const clock = new ManualClock();
    const { breaker } = breakerWith({ clock, failureThreshold: 1, isFailure: (e) => e !== 'meh' });
    const log: string[] = [];
    breaker.on('success', (e) => log.push(`success ${e.name} ${e.durationMs}`));
    breaker.on('failure', (e) => log.push(`failure ${String(e.error)}`));
    breaker.on('ignored', (e) => log.push(`ignored ${String(e.error)}`));
    breaker.on('rejection', (e) => log.push(`rejection ${e.state} ${e.shadow}`));
    breaker.on('stateChange', (e: StateChangeEvent) => log.push(`state ${e.from}->${e.to} at ${e.at - clock.t}`));
    const p = breaker.tryAcquire()!;
    p.success();
    expect(log).toEqual(['success test 0']);
    breaker.tryAcquire()!.failure('meh');
    breaker.tryAcquire()!.failure('bad');
    expect(breaker.tryAcquire()).toBeUndefined();
    expect(log).toEqual(['success test 0', 'ignored meh', 'failure bad', 'state closed->open at 0', 'rejection open false']);
  });

  it('on() returns an unsubscribe function; off() removes a listener', async () => {
    const { breaker } = breakerWith();
    const a = vi.fn();
    const b = vi.fn();
    const offA = breaker.on('success', a);
    breaker.on('success', b);
    await breaker.execute(async () => 1);
    offA();
    breaker.off('success', b);
    await breaker.execute(async () => 1);
    expect(a).toHaveBeenCalledTimes(1);
    expect(b).toHaveBeenCalledTimes(1);
  });

  it('reports durations only when someone listens for them (no clock read otherwise)', async () => {
    const clock = new ManualClock();
    const now = vi.spyOn(clock, 'now');
    const breaker = new CircuitBreaker({ name: 'x', clock });
    await breaker.execute(async () => 1);
    expect(now).toHaveBeenCalledTimes(1); // lastSuccessTime
    const durations: (number | null)[] = [];
    breaker.on('success', (e) => durations.push(e.durationMs));
    await breaker.execute(async () => {
      clock.advance(5);
    });
    expect(durations).toEqual([5]);
    expect(breaker.metrics.lastSuccessTime).toBe(clock.t);
  });

  it('a throwing listener does not break the breaker or the call, and is reported once', async () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    try {
      const { breaker } = breakerWith({ failureThreshold: 1 });
      const after = vi.fn();
      breaker.on('failure', () => {
        throw new Error('listener bug');
      });
      breaker.on('stateChange', () => {
        throw new Error('listener bug');
      });
      breaker.on('failure', after);
      const err = new Error('call');
      await expect(breaker.execute(() => Promise.reject(err))).rejects.toBe(err);
      expect(after).toHaveBeenCalledTimes(1);
      expect(breaker.state).toBe('open');
      expect(warn).toHaveBeenCalledTimes(2);
      breaker.reset();
      await breaker.execute(boom).catch(() => undefined);
      expect(warn).toHaveBeenCalledTimes(2);
    } finally {
      warn.mockRestore();
    }
  });

  it('a listener may unsubscribe itself while the event is being emitted', async () => {
    const { breaker } = breakerWith();
    const second = vi.fn();
    const off = breaker.on('success', () => off());
    breaker.on('success', second);
    await breaker.execute(async () => 1);
    await breaker.execute(async () => 1);
    expect(second).toHaveBeenCalledTimes(2);
  });

  it('rejects a listener that is not a function, and unknown events', () => {
    const { breaker } = breakerWith();
    expect(() => breaker.on('success', 'nope' as never)).toThrow(TypeError);
    expect(() => breaker.on('open' as never, () => undefined)).toThrow(/unknown event "open"/);
  });
});

describe('CircuitBreaker: shadow mode', () => {
  it('counts what it would reject, emits rejection with shadow: true, and lets the call through', async () => {
    const { breaker, clock } = breakerWith({ failureThreshold: 2, openTimeoutMs: 100, shadow: true });
    const rejections: BreakerEvents['rejection'][] = [];
    breaker.on('rejection', (e) => rejections.push(e));
    await failTimes(breaker, 2);
    expect(breaker.state).toBe('open');
    const fn = vi.fn(async () => 'through');
    await expect(breaker.execute(fn)).resolves.toBe('through');
    expect(fn).toHaveBeenCalledTimes(1);
    expect(rejections).toEqual([{ name: 'test', state: 'open', shadow: true }]);
    // outcomes of let-through calls do not feed the state machine (nor the outcome counters)
    await breaker.execute(boom).catch(() => undefined);
    expect(breaker.metrics).toMatchObject({ totalCalls: 4, failedCalls: 2, rejectedCalls: 2, successfulCalls: 0 });
    expect(invariantHolds(breaker)).toBe(true);
    clock.advance(100);
    expect(breaker.state).toBe('half_open');
    const probe = breaker.tryAcquire()!;
    const shadowed = breaker.tryAcquire()!; // over the probe limit: let through
    expect(breaker.inFlight).toBe(2);
    shadowed.failure(new Error('ignored by the state machine'));
    expect(breaker.state).toBe('half_open');
    probe.success();
    expect(breaker.state).toBe('closed');
    expect(breaker.inFlight).toBe(0);
    expect(invariantHolds(breaker)).toBe(true);
  });
});

describe('CircuitBreaker: metrics', () => {
  it('returns a fresh snapshot each time and keeps the invariant once settled', async () => {
    const { breaker, clock } = breakerWith({ failureThreshold: 1 });
    const m1 = breaker.metrics;
    expect(m1).toEqual({
      totalCalls: 0,
      successfulCalls: 0,
      failedCalls: 0,
      ignoredCalls: 0,
      rejectedCalls: 0,
      rejectedCallsHalfOpen: 0,
      stateTransitions: {},
      lastFailureTime: null,
      lastSuccessTime: null,
    });
    await breaker.execute(async () => 1);
    clock.advance(5);
    await failTimes(breaker, 1);
    await breaker.execute(async () => 1).catch(() => undefined);
    const m2 = breaker.metrics;
    expect(m2).not.toBe(m1);
    expect(m1.totalCalls).toBe(0);
    expect(m2.lastSuccessTime).toBe(clock.t - 5);
    expect(m2.lastFailureTime).toBe(clock.t);
    m2.stateTransitions['closed->open'] = 99;
    expect(breaker.metrics.stateTransitions['closed->open']).toBe(1);
    expect(invariantHolds(breaker)).toBe(true);
  });

  it('exposes name and frozen attributes', () => {
    const breaker = new CircuitBreaker({ name: 'api:443', attributes: { 'server.address': 'api', 'server.port': 443 } });
    expect(breaker.name).toBe('api:443');
    expect(breaker.attributes).toEqual({ 'server.address': 'api', 'server.port': 443 });
    expect(Object.isFrozen(breaker.attributes)).toBe(true);
  });
});
