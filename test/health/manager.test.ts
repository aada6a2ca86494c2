import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { HealEvent, HealthStatus, StatusChangeEvent } from '../../src/health/check-types.js';
import { ConfigError } from '../../src/common/config-error.js';
import { MAX_TIMER_TEXT } from '../../src/common/timer-limit.js';
import { HealthCheckManager } from '../../src/health/manager.js';
import { after, deferred, fakeClockManager, trackedTimers } from './helpers.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('HealthCheckManager: running checks', () => {
  it('runs checks concurrently and resolves runAll() when the slowest is done', async () => {
    const health = fakeClockManager();
    let started = 0;
    for (const ms of [50, 80, 30]) {
      health.register({ name: `c${ms}`, check: () => (started++, after(ms, true)) });
    }
    let report: Awaited<ReturnType<HealthCheckManager['runAll']>> | undefined;
    void health.runAll().then((r) => (report = r));
    expect(started).toBe(3); // all started before any finished
    await vi.advanceTimersByTimeAsync(79);
    expect(report).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    expect(report?.overall_status).toBe('healthy');
    expect(report?.components.c50).toEqual({ status: 'healthy', message: 'ok', duration_ms: 50 });
    expect(report?.components.c80?.duration_ms).toBe(80);
  });

  it('understands booleans, results, throws and invalid returns', async () => {
    const health = fakeClockManager();
    health.register({ name: 'yes', check: () => true });
    health.register({ name: 'no', check: () => false });
    health.register({ name: 'slow', check: async () => ({ status: 'degraded', message: 'replica lag 3 s', details: { lag_s: 3 } }) });
    health.register({ name: 'throws', check: () => { throw new Error('connection refused'); } });
    health.register({ name: 'rejects', check: () => Promise.reject(new Error('ECONNRESET')) });
    health.register({ name: 'weird', check: () => 42 as unknown as boolean });
    const report = await health.runAll();
    expect(report.components.yes).toMatchObject({ status: 'healthy', message: 'ok' });
    expect(report.components.no).toMatchObject({ status: 'unhealthy', message: 'check failed' });
    expect(report.components.slow).toMatchObject({ status: 'degraded', message: 'replica lag 3 s', details: { lag_s: 3 } });
    expect(report.components.throws).toMatchObject({ status: 'unhealthy', message: 'connection refused' });
    expect(report.components.rejects).toMatchObject({ status: 'unhealthy', message: 'ECONNRESET' });
    expect(report.components.weird?.status).toBe('unhealthy');
    expect(report.components.weird?.message).toMatch(/check returned 42/);
    expect(report.degraded_components).toEqual(['slow']);
    expect(report.unhealthy_components).toEqual(['no', 'throws', 'rejects', 'weird']);
  });

  it('bounds a hanging check by its timeout, aborts its signal and discards its late result', async () => {
    const health = fakeClockManager();
    const late = deferred<boolean>();
    let signal: AbortSignal | undefined;
    health.register({ name: 'hangs', timeoutMs: 100, check: (s) => ((signal = s), late.promise) });
    health.register({ name: 'quick', check: () => true });
    let done = false;
    const round = health.runAll().then((r) => ((done = true), r));
    await vi.advanceTimersByTimeAsync(99);
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    const report = await round;
    expect(report.components.hangs).toEqual({ status: 'unhealthy', message: 'timed out after 100 ms', duration_ms: 100 });
    expect(report.components.quick?.status).toBe('healthy');
    expect(signal?.aborted).toBe(true);
    late.resolve(true);
    await vi.advanceTimersByTimeAsync(0);
    expect(health.report().components.hangs?.status).toBe('unhealthy');
  });

  it('runs each check on its own interval, counted from the end of the previous run', async () => {
    const health = fakeClockManager();
    const runs = { fast: 0, slow: 0 };
    health.register({ name: 'fast', intervalMs: 1_000, check: () => (runs.fast++, true) });
    health.register({ name: 'slow', intervalMs: 3_000, check: () => (runs.slow++, after(500, true)) });
    const started = health.start();
    await vi.advanceTimersByTimeAsync(500);
    await started;
    expect(runs).toEqual({ fast: 1, slow: 1 });
    await vi.advanceTimersByTimeAsync(2_500);
    expect(runs.fast).toBe(4);
    expect(runs.slow).toBe(1); // the first run ended at 500 ms: the next starts at 3 500 ms
    await vi.advanceTimersByTimeAsync(500);
    expect(runs.slow).toBe(2);
    await health.stop();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(runs).toEqual({ fast: 4, slow: 2 });
  });

  it('joins a run in progress instead of starting a second one', async () => {
    const health = fakeClockManager();
    let runs = 0;
    health.register({ name: 'db', check: () => (runs++, after(200, true)) });
    const a = health.runAll();
    const b = health.runAll();
    await vi.advanceTimersByTimeAsync(200);
    await Promise.all([a, b]);
    expect(runs).toBe(1);
  });

  it('report() serves the latest results and never runs a check', async () => {
    const health = fakeClockManager();
    let runs = 0;
    health.register({ name: 'db', componentType: 'database', check: () => (runs++, true) });
    const before = health.report();
    expect(before.components.db).toEqual({ status: 'unknown', message: 'not checked yet', duration_ms: 0 });
    expect(before.overall_status).toBe('degraded');
    await health.runAll();
    health.report();
    health.report();
    expect(runs).toBe(1);
    expect(health.report().timestamp).toBe(new Date(Date.now()).toISOString());
  });

  it('registering while started runs the new check at once and then on its interval', async () => {
    const health = fakeClockManager();
    await health.start();
    let runs = 0;
    health.register({ name: 'late', intervalMs: 2_000, check: () => (runs++, true) });
    await vi.advanceTimersByTimeAsync(0);
    expect(runs).toBe(1);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(runs).toBe(2);
    await health.stop();
  });

  it('unregister() drops the check and discards its run in progress', async () => {
    const health = fakeClockManager();
    const pending = deferred<boolean>();
    health.register({ name: 'a', check: () => true });
    health.register({ name: 'b', check: () => pending.promise });
    const round = health.runAll();
    expect(health.unregister('b')).toBe(true);
    expect(health.unregister('b')).toBe(false);
    pending.resolve(false);
    const report = await round;
    expect(Object.keys(report.components)).toEqual(['a']);
    expect(report.overall_status).toBe('healthy');
  });
});

describe('HealthCheckManager: scoring', () => {
  it('weights the mean, excludes unknown and applies critical and threshold rules', async () => {
    const health = fakeClockManager({ unhealthyBelowScore: 50 });
    const status: Record<string, HealthStatus> = { a: 'healthy', b: 'degraded', c: 'healthy' };
    health.register({ name: 'a', weight: 2, check: () => ({ status: status.a! }) });
    health.register({ name: 'b', weight: 1, check: () => ({ status: status.b! }) });
    health.register({ name: 'c', weight: 1, critical: true, check: () => ({ status: status.c! }) });
    let report = await health.runAll();
    expect(report.health_score).toBe(90); // (2*100 + 60 + 100) / 4
    expect(report.overall_status).toBe('degraded');

    status.b = 'healthy';
    report = await health.runAll();
    expect(report).toMatchObject({ health_score: 100, overall_status: 'healthy' });

    status.c = 'unhealthy'; // critical: unhealthy even though the score is 75
    report = await health.runAll();
    expect(report).toMatchObject({ health_score: 75, overall_status: 'unhealthy' });

    status.c = 'healthy';
    status.a = 'unhealthy';
    status.b = 'unhealthy'; // not critical, but (0 + 0 + 100) / 4 = 25 < 50
    report = await health.runAll();
    expect(report).toMatchObject({ health_score: 25, overall_status: 'unhealthy' });
  });

  it('emits statusChange and overallChange, with unsubscribe and throwing listeners tolerated', async () => {
    const health = fakeClockManager();
    let ok = true;
    health.register({ name: 'db', critical: true, check: () => ok });
    const changes: StatusChangeEvent[] = [];
    const overall: string[] = [];
    health.on('statusChange', () => {
      throw new Error('listener bug');
    });
    const off = health.on('statusChange', (e) => changes.push(e));
    health.on('overallChange', (e) => overall.push(`${e.from}->${e.to}`));
    await health.runAll();
    ok = false;
    await health.runAll();
    await health.runAll(); // no change, no event
    off();
    ok = true;
    await health.runAll();
    expect(changes.map((c) => `${c.from}->${c.to}`)).toEqual(['unknown->healthy', 'healthy->unhealthy']);
    expect(changes[1]).toMatchObject({ name: 'db', componentType: 'custom', message: 'check failed' });
    expect(overall).toEqual(['degraded->healthy', 'healthy->unhealthy', 'unhealthy->healthy']);
    expect(health.status).toBe('healthy');
  });
});

describe('HealthCheckManager: auto-heal', () => {
  it('heals a failing check, re-runs it and records the recovery', async () => {
    const health = fakeClockManager();
    let connected = false;
    const heals: HealEvent[] = [];
    health.on('heal', (e) => heals.push(e));
    health.register({
      name: 'db',
      componentType: 'database',
      autoHeal: true,
      check: () => connected,
      heal: () => after(30, null).then(() => (connected = true)),
    });
    const round = health.runAll();
    await vi.advanceTimersByTimeAsync(30);
    const report = await round;
    expect(report.components.db?.status).toBe('healthy');
    expect(heals).toEqual([{ name: 'db', attempt: 1, outcome: 'success', durationMs: 30 }]);
    expect(health.check('db')?.heals).toEqual({ success: 1, failure: 0 });
  });

  it('bounds a heal by its timeout and counts it as a failure', async () => {
    const health = fakeClockManager();
    const heals: HealEvent[] = [];
    health.on('heal', (e) => heals.push(e));
    health.register({ name: 'db', autoHeal: true, healTimeoutMs: 1_000, check: () => false, heal: () => new Promise(() => {}) });
    const round = health.runAll();
    await vi.advanceTimersByTimeAsync(1_000);
    await round;
    expect(heals).toEqual([{ name: 'db', attempt: 1, outcome: 'failure', durationMs: 1_000, error: 'heal timed out after 1000 ms' }]);
    expect(health.check('db')?.heals).toEqual({ success: 0, failure: 1 });
  });

  it('waits a growing cooldown between failed heals, stops after maxAttempts and starts afresh after recovery', async () => {
    const health = fakeClockManager({ heal: { cooldownMs: 5_000, backoffMultiplier: 2, maxAttempts: 3 } });
    const healedAt: number[] = [];
    let ok = false;
    const t0 = Date.now();
    health.register({
      name: 'cache',
      intervalMs: 1_000,
      autoHeal: true,
      check: () => ok,
      heal: () => {
        healedAt.push(Date.now() - t0);
        throw new Error('still down');
      },
    });
    const errors: (string | undefined)[] = [];
    health.on('heal', (e) => errors.push(e.error));
    await health.start();
    await vi.advanceTimersByTimeAsync(60_000);
    // heal 1 at 0; cooldown 5 s -> the first run at or after 5 000; then 10 s -> at or after 15 000; then exhausted
    expect(healedAt).toEqual([0, 5_000, 15_000]);
    expect(errors[0]).toBe('heal failed: still down');
    ok = true;
    await vi.advanceTimersByTimeAsync(1_000);
    ok = false;
    const before = healedAt.length;
    await vi.advanceTimersByTimeAsync(1_000);
    expect(healedAt.length).toBe(before + 1); // recovery reset the attempts and the cooldown
    await health.stop();
  });

  it('stop() cuts a heal short without counting it', async () => {
    const health = fakeClockManager();
    const heals: HealEvent[] = [];
    health.on('heal', (e) => heals.push(e));
    let healSignal: AbortSignal | undefined;
    health.register({ name: 'db', autoHeal: true, check: () => false, heal: (s) => ((healSignal = s), new Promise(() => {})) });
    const round = health.runAll();
    await vi.advanceTimersByTimeAsync(0);
    expect(healSignal?.aborted).toBe(false);
    await health.stop();
    await round;
    expect(healSignal?.aborted).toBe(true);
    expect(heals).toEqual([]);
    expect(health.check('db')?.heals).toEqual({ success: 0, failure: 0 });
    expect(vi.getTimerCount()).toBe(0);
  });

  it('never runs two heals of one check at once', async () => {
    const health = fakeClockManager({ heal: { cooldownMs: 0 } });
    let running = 0;
    let maxRunning = 0;
    let heals = 0;
    health.register({
      name: 'queue',
      intervalMs: 10,
      autoHeal: true,
      check: () => false,
      heal: async () => {
        heals++;
        running++;
        maxRunning = Math.max(maxRunning, running);
        await after(300, null);
        running--;
      },
    });
    await Promise.all([health.start(), health.runAll(), health.runAll(), vi.advanceTimersByTimeAsync(300)]);
    for (let i = 0; i < 20; i++) void health.runAll();
    await vi.advanceTimersByTimeAsync(2_000);
    expect(heals).toBeGreaterThan(1);
    expect(maxRunning).toBe(1);
    await health.stop();
  });
});

describe('HealthCheckManager: validation', () => {
  it('names the option and the value', () => {
    expect(() => new HealthCheckManager({ checkIntervalMs: -5 })).toThrow(
      `new HealthCheckManager(): option "checkIntervalMs" must be a number of milliseconds > 0 and at most ${MAX_TIMER_TEXT}, got -5`,
    );
    expect(() => new HealthCheckManager({ unhealthyBelowScore: 101 })).toThrow(/"unhealthyBelowScore" must be a number from 0 to 100, got 101/);
    expect(() => new HealthCheckManager({ heal: { maxAttempts: 0 } })).toThrow(/"heal.maxAttempts" must be an integer >= 1, got 0/);
    const health = new HealthCheckManager();
    const check = (): boolean => true;
    expect(() => health.register({ name: '', check })).toThrow(/option "name" must be a non-empty string without spaces, got ""/);
    expect(() => health.register({ name: 'x', check, componentType: 'queue' as never })).toThrow(
      /option "componentType" must be one of grpc_server, websocket, database, circuit_breaker, system, custom, got "queue"/,
    );
    expect(() => health.register({ name: 'x', check, timeoutMs: 0 })).toThrow(/option "timeoutMs" .* got 0/);
    expect(() => health.register({ name: 'x', check, weight: -1 })).toThrow(/option "weight" .* got -1/);
    expect(() => health.register({ name: 'x', check, autoHeal: true })).toThrow(/option "heal" must be a function when autoHeal is true/);
    expect(() => health.register({ name: 'x', check: 'yes' as never })).toThrow(/option "check" must be a function, got "yes"/);
    health.register({ name: 'x', check });
    expect(() => health.register({ name: 'x', check })).toThrow(/option "name" must be unique \(a check of that name is registered\), got "x"/);
  });

  it('refuses misspelt option names instead of ignoring them (a check that never times out, a critical check that is not)', () => {
    const health = new HealthCheckManager();
    const check = (): boolean => true;
    expect(() => health.register({ name: 'db', check, timeout: 1_000 } as never)).toThrow(
      'HealthCheckManager.register(): unknown option "timeout" (did you mean "timeoutMs"?)',
    );
    expect(() => health.register({ name: 'db', check, Critical: true } as never)).toThrow(ConfigError);
    expect(() => health.register({ name: 'db', check, Critical: true } as never)).toThrow('(did you mean "critical"?)');
    expect(() => new HealthCheckManager({ checkInterval: 5_000 } as never)).toThrow('new HealthCheckManager(): unknown option "checkInterval" (did you mean "checkIntervalMs"?)');
    expect(() => new HealthCheckManager({ heal: { maxAttempt: 2 } } as never)).toThrow('unknown option "heal.maxAttempt" (did you mean "maxAttempts"?)');
    expect(health.checks()).toHaveLength(0);
  });
});

describe('HealthCheckManager: stop()', () => {
  it('leaves no timer or server behind, even with a hanging check', async () => {
    vi.useRealTimers();
    const count = (type: string): number => process.getActiveResourcesInfo().filter((t) => t === type).length;
    const serversBefore = count('TCPServerWrap');
    const { timers, live, held } = trackedTimers();
    const health = new HealthCheckManager({ checkIntervalMs: 60_000, timeoutMs: 50_000, timers });
    health.register({ name: 'hangs', check: () => new Promise(() => {}) });
    health.register({ name: 'ok', check: () => true });
    const started = health.start();
    await health.serve({ port: 0, host: '127.0.0.1' });
    await new Promise((r) => setImmediate(r));
    expect(live()).toEqual([50_000, 60_000]); // the hanging check's timeout and the next run of 'ok'
    expect(held()).toEqual([]); // background rounds never keep the process alive
    expect(count('TCPServerWrap')).toBe(serversBefore + 1);
    await health.stop();
    await started;
    await new Promise((r) => setImmediate(r)); // libuv releases a closed handle on the next loop turn
    expect(live()).toEqual([]);
    expect(count('TCPServerWrap')).toBe(serversBefore);
  });
});

describe('HealthCheckManager: keeping the process alive', () => {
  // Distinct delays tell the timers apart: check timeout 11 s, heal timeout 22 s, interval 33 s.
  const options = { checkIntervalMs: 33_000, timeoutMs: 11_000, heal: { timeoutMs: 22_000 } };
  const nextTurn = (): Promise<void> => new Promise((r) => setImmediate(r));

  it('runAll() holds the process with its check and heal timeouts until the round settles', async () => {
    vi.useRealTimers();
    const { timers, live, held } = trackedTimers();
    const health = new HealthCheckManager({ ...options, timers });
    health.register({ name: 'hangs', check: () => new Promise(() => {}) });
    health.register({ name: 'db', check: () => false, autoHeal: true, heal: () => new Promise(() => {}) });
    const round = health.runAll();
    await nextTurn(); // 'db' has failed and its heal is running
    expect(live()).toEqual([11_000, 22_000]);
    expect(held()).toEqual([11_000, 22_000]);
    await health.stop();
    await round;
    expect(live()).toEqual([]);
  });

  it('leaves no timer behind once a runAll() round settles', async () => {
    vi.useRealTimers();
    const { timers, live } = trackedTimers();
    const health = new HealthCheckManager({ ...options, timers });
    health.register({ name: 'ok', check: () => true });
    health.register({ name: 'db', check: () => false, autoHeal: true, heal: () => undefined });
    const report = await health.runAll();
    expect(report.components.ok?.status).toBe('healthy');
    expect(live()).toEqual([]);
  });

  it('start() rounds never hold the process, heals included', async () => {
    vi.useRealTimers();
    const { timers, live, held } = trackedTimers();
    const health = new HealthCheckManager({ ...options, timers });
    health.register({ name: 'hangs', check: () => new Promise(() => {}) });
    health.register({ name: 'db', check: () => false, autoHeal: true, heal: () => new Promise(() => {}) });
    const started = health.start();
    await nextTurn();
    expect(live()).toEqual([11_000, 22_000]);
    expect(held()).toEqual([]);
    await health.stop();
    await started;
    expect(live()).toEqual([]);
  });

  it('runAll() joining a background run holds it from then on, and the next interval is not held', async () => {
    vi.useRealTimers();
    const { timers, live, held } = trackedTimers();
    const health = new HealthCheckManager({ ...options, timers });
    const result = deferred<boolean>();
    let healed = false;
    const heal = deferred<void>();
    health.register({
      name: 'db',
      check: () => (healed ? true : result.promise),
      autoHeal: true,
      heal: () => heal.promise.then(() => void (healed = true)),
    });
    const started = health.start();
    expect(held()).toEqual([]);
    const round = health.runAll();
    expect(held()).toEqual([11_000]); // the background check's timeout, now awaited
    result.resolve(false);
    await nextTurn();
    expect(held()).toEqual([22_000]); // the heal of the joined run is held too
    heal.resolve();
    const report = await round;
    expect(report.components.db?.status).toBe('healthy');
    expect(live()).toEqual([33_000]); // the next background run
    expect(held()).toEqual([]);
    await started;
    await health.stop();
    expect(live()).toEqual([]);
  });
});
