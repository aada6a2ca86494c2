import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CircuitBreaker } from '../../src/breaker/circuit-breaker.js';
import { CallTimeoutError, CircuitOpenError } from '../../src/breaker/errors.js';
import { ManualClock, failTimes, invariantHolds } from './helpers.js';

const never = (): Promise<never> => new Promise<never>(() => undefined);

describe('per-call options with fake timers', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  describe('callTimeoutMs', () => {
    it('aborts the function signal and fails the call with CallTimeoutError', async () => {
      const b = new CircuitBreaker({ name: 't', failureThreshold: 1 });
      let signal: AbortSignal | undefined;
      const call = b.execute(
        (s) => {
          signal = s;
          return never();
        },
        { callTimeoutMs: 100 },
      );
      const settled = call.catch((e: unknown) => e);
      await vi.advanceTimersByTimeAsync(99);
      expect(signal!.aborted).toBe(false);
      await vi.advanceTimersByTimeAsync(1);
      const err = await settled;
      expect(err).toBeInstanceOf(CallTimeoutError);
      expect((err as CallTimeoutError).code).toBe('ETIMEDOUT');
      expect((err as CallTimeoutError).timeoutMs).toBe(100);
      expect(signal!.aborted).toBe(true);
      expect(signal!.reason).toBe(err);
      expect(b.state).toBe('open');
      expect(b.metrics.failedCalls).toBe(1);
      expect(b.inFlight).toBe(0);
    });

    it('clears its timer when the call settles first', async () => {
      const b = new CircuitBreaker({ name: 't' });
      await expect(b.execute(async () => 'fast', { callTimeoutMs: 1_000 })).resolves.toBe('fast');
      await expect(b.execute(() => Promise.reject(new Error('x')), { callTimeoutMs: 1_000 })).rejects.toThrow('x');
      await expect(
        b.execute(
          () => {
            throw new Error('sync');
          },
          { callTimeoutMs: 1_000 },
        ),
      ).rejects.toThrow('sync');
      expect(vi.getTimerCount()).toBe(0);
    });

    it('uses the breaker-wide callTimeoutMs unless the call overrides it', async () => {
      const b = new CircuitBreaker({ name: 't', callTimeoutMs: 50 });
      const first = b.execute(never).catch((e: unknown) => e);
      const second = b.execute(never, { callTimeoutMs: 500 }).catch((e: unknown) => e);
      await vi.advanceTimersByTimeAsync(50);
      expect(await first).toBeInstanceOf(CallTimeoutError);
      await vi.advanceTimersByTimeAsync(449);
      expect(b.inFlight).toBe(1);
      await vi.advanceTimersByTimeAsync(1);
      expect(((await second) as CallTimeoutError).timeoutMs).toBe(500);
    });
  });

  describe('fallback', () => {
    it('is used when the call is rejected, with the CircuitOpenError', async () => {
      const b = new CircuitBreaker({ name: 'f' });
      b.forceOpen();
      const fallback = vi.fn((err: unknown) => (err instanceof CircuitOpenError ? 'cached' : 'other'));
      await expect(b.execute(async () => 'live', { fallback })).resolves.toBe('cached');
      expect(b.metrics.rejectedCalls).toBe(1);
    });

    it('is used when the call fails (timeouts included), with the error', async () => {
      const b = new CircuitBreaker({ name: 'f' });
      const err = new Error('down');
      await expect(b.execute(() => Promise.reject(err), { fallback: (e) => e })).resolves.toBe(err);
      const timedOut = b.execute(never, { callTimeoutMs: 10, fallback: async (e) => (e as Error).name });
      await vi.advanceTimersByTimeAsync(10);
      await expect(timedOut).resolves.toBe('CallTimeoutError');
      expect(b.metrics.failedCalls).toBe(2);
    });

    it('is not used for ignored errors: those reach the caller', async () => {
      const b = new CircuitBreaker({ name: 'f', isFailure: () => false });
      const err = new Error('404');
      await expect(b.execute(() => Promise.reject(err), { fallback: () => 'fb' })).rejects.toBe(err);
      expect(b.metrics.ignoredCalls).toBe(1);
    });

    it('a throwing fallback rejects the call with its error', async () => {
      const b = new CircuitBreaker({ name: 'f' });
      await expect(
        b.execute(() => Promise.reject(new Error('a')), {
          fallback: () => {
            throw new Error('fallback broke');
          },
        }),
      ).rejects.toThrow('fallback broke');
    });
  });

  describe('retry', () => {
    it('retries with exponential delays inside one permit: one outcome for the breaker', async () => {
      const clock = new ManualClock();
      const b = new CircuitBreaker({ name: 'r', failureThreshold: 1, clock });
      const calls: number[] = [];
      let n = 0;
      const call = b.execute(
        async () => {
          calls.push(Date.now());
          if (++n < 3) throw new Error(`attempt ${n}`);
          return 'third time';
        },
        { retry: { attempts: 4, baseDelayMs: 100, multiplier: 2, jitter: 0 } },
      );
      const start = Date.now();
      await vi.advanceTimersByTimeAsync(99);
      expect(calls.length).toBe(1);
      await vi.advanceTimersByTimeAsync(1);
      expect(calls.length).toBe(2);
      await vi.advanceTimersByTimeAsync(200);
      await expect(call).resolves.toBe('third time');
      expect(calls.map((t) => t - start)).toEqual([0, 100, 300]);
      expect(b.state).toBe('closed');
      expect(b.metrics).toMatchObject({ totalCalls: 1, successfulCalls: 1, failedCalls: 0 });
      expect(vi.getTimerCount()).toBe(0);
    });

    it('gives up after `attempts` and reports one failure with the last error', async () => {
      const b = new CircuitBreaker({ name: 'r', failureThreshold: 2 });
      let n = 0;
      const call = b
        .execute(
          async () => {
            throw new Error(`attempt ${++n}`);
          },
          { retry: { attempts: 3, baseDelayMs: 10, maxDelayMs: 15, jitter: 0 } },
        )
        .catch((e: unknown) => e);
      await vi.advanceTimersByTimeAsync(10 + 15);
      expect(((await call) as Error).message).toBe('attempt 3');
      expect(b.metrics).toMatchObject({ totalCalls: 1, failedCalls: 1 });
      expect(b.state).toBe('closed');
    });

    it('retries only what retryOn accepts (default: errors that count as failures)', async () => {
      const b = new CircuitBreaker({ name: 'r', isFailure: (e) => (e as Error).message !== 'not found' });
      let n = 0;
      await expect(
        b.execute(
          async () => {
            n++;
            throw new Error('not found');
          },
          { retry: { attempts: 3, baseDelayMs: 1 } },
        ),
      ).rejects.toThrow('not found');
      expect(n).toBe(1);
      const seen: [string, number][] = [];
      n = 0;
      const call = b.execute(
        async () => {
          throw new Error(`e${++n}`);
        },
        {
          retry: {
            attempts: 5,
            baseDelayMs: 1,
            jitter: 0,
            retryOn: (err, attempt) => {
              seen.push([(err as Error).message, attempt]);
              return attempt < 2;
            },
          },
        },
      );
      const caught = call.catch((e: unknown) => e);
      await vi.advanceTimersByTimeAsync(10);
      expect(((await caught) as Error).message).toBe('e2');
      expect(seen).toEqual([
        ['e1', 1],
        ['e2', 2],
      ]);
    });

    it('retries results that isResultFailure rejects, and returns the last one', async () => {
      const b = new CircuitBreaker({ name: 'r', isResultFailure: (r) => r === 503 });
      const results = [503, 503, 200];
      const call = b.execute(async () => results.shift(), { retry: { attempts: 3, baseDelayMs: 5, jitter: 0 } });
      await vi.advanceTimersByTimeAsync(20);
      await expect(call).resolves.toBe(200);
      expect(b.metrics.successfulCalls).toBe(1);
      const last = b.execute(async () => 503, { retry: { attempts: 2, baseDelayMs: 5, jitter: 0 } });
      await vi.advanceTimersByTimeAsync(5);
      await expect(last).resolves.toBe(503);
      expect(b.metrics.failedCalls).toBe(1);
    });

    it('applies jitter from the random source: delay * (1 - jitter * random)', async () => {
      const b = new CircuitBreaker({ name: 'r', random: () => 0.5 });
      let n = 0;
      const times: number[] = [];
      const start = Date.now();
      const call = b.execute(
        async () => {
          times.push(Date.now() - start);
          if (++n < 3) throw new Error('again');
          return n;
        },
        { retry: { attempts: 3, baseDelayMs: 100, multiplier: 3 } }, // default jitter 1 = full jitter
      );
      await vi.advanceTimersByTimeAsync(1_000);
      await expect(call).resolves.toBe(3);
      expect(times).toEqual([0, 50, 200]);
    });

    it('stops retrying when the breaker opened meanwhile', async () => {
      const b = new CircuitBreaker({ name: 'r', failureThreshold: 1 });
      let n = 0;
      const call = b
        .execute(
          async () => {
            n++;
            throw new Error('down');
          },
          { retry: { attempts: 5, baseDelayMs: 100, jitter: 0 } },
        )
        .catch((e: unknown) => e);
      await Promise.resolve();
      await failTimes(b, 1); // another caller trips the breaker
      expect(b.state).toBe('open');
      await vi.advanceTimersByTimeAsync(10_000);
      await call;
      expect(n).toBe(1);
      expect(invariantHolds(b)).toBe(true);
    });

    it('does not send a retry whose wait began before another call opened the breaker', async () => {
      const b = new CircuitBreaker({ name: 'r', failureThreshold: 1 });
      let n = 0;
      const down = new Error('down');
      const call = b
        .execute(
          async () => {
            n++;
            throw down;
          },
          { retry: { attempts: 3, baseDelayMs: 1_000, jitter: 0 } },
        )
        .catch((e: unknown) => e);
      await vi.advanceTimersByTimeAsync(500); // the first attempt failed; its retry is waiting
      expect(n).toBe(1);
      expect(b.state).toBe('closed');
      await failTimes(b, 1); // a concurrent call trips the breaker during the wait
      expect(b.state).toBe('open');
      await vi.advanceTimersByTimeAsync(10_000);
      expect(await call).toBe(down); // the last error, not a retry
      expect(n).toBe(1);
      expect(b.metrics).toMatchObject({ totalCalls: 2, failedCalls: 2 });
      expect(invariantHolds(b)).toBe(true);
    });

    it('does not retry a failed result either once the breaker opened during the wait', async () => {
      const b = new CircuitBreaker({ name: 'r', failureThreshold: 1, isResultFailure: (v) => v === 'bad' });
      let n = 0;
      const call = b.execute(
        () => {
          n++;
          return 'bad';
        },
        { retry: { attempts: 3, baseDelayMs: 1_000, jitter: 0 } },
      );
      await vi.advanceTimersByTimeAsync(500);
      await failTimes(b, 1);
      await vi.advanceTimersByTimeAsync(10_000);
      expect(await call).toBe('bad');
      expect(n).toBe(1);
    });

    it('waits out the longest retry delay Node can honour instead of retrying at once', async () => {
      const max = 2 ** 31 - 1;
      const b = new CircuitBreaker({ name: 'r', retry: { attempts: 2, baseDelayMs: max, maxDelayMs: max, jitter: 0 }, callTimeoutMs: max });
      let n = 0;
      const call = b.execute(async () => {
        if (++n === 1) throw new Error('once');
        return 'ok';
      });
      await vi.advanceTimersByTimeAsync(1_000);
      expect(n).toBe(1); // a delay of 2^31 or more would have fired after 1 ms
      await vi.advanceTimersByTimeAsync(max);
      expect(await call).toBe('ok');
      expect(n).toBe(2);
    });

    it('a call timeout of the timer maximum does not time the call out at once', async () => {
      const b = new CircuitBreaker({ name: 't', callTimeoutMs: 2 ** 31 - 1 });
      let signal: AbortSignal | undefined;
      const call = b.execute((s) => ((signal = s), never())).catch((e: unknown) => e);
      await vi.advanceTimersByTimeAsync(60_000);
      expect(signal!.aborted).toBe(false);
      await vi.advanceTimersByTimeAsync(2 ** 31);
      expect(await call).toBeInstanceOf(CallTimeoutError);
    });

    it('a timeout is retried as a failure; each attempt gets its own timeout', async () => {
      const b = new CircuitBreaker({ name: 'r' });
      let n = 0;
      const call = b.execute(() => (++n < 2 ? never() : Promise.resolve('ok')), {
        callTimeoutMs: 100,
        retry: { attempts: 2, baseDelayMs: 10, jitter: 0 },
      });
      await vi.advanceTimersByTimeAsync(110);
      await expect(call).resolves.toBe('ok');
      expect(n).toBe(2);
    });

    it('uses the breaker-wide retry unless the call overrides it', async () => {
      const b = new CircuitBreaker({ name: 'r', retry: { attempts: 3, baseDelayMs: 1, jitter: 0 } });
      let n = 0;
      const failing = async (): Promise<never> => {
        n++;
        throw new Error('x');
      };
      const first = b.execute(failing).catch(() => undefined);
      await vi.advanceTimersByTimeAsync(10);
      await first;
      expect(n).toBe(3);
      n = 0;
      await b.execute(failing, { retry: { attempts: 1 } }).catch(() => undefined);
      expect(n).toBe(1);
    });
  });

  describe('signal', () => {
    it('aborting during a retry wait stops the loop, rejects with the reason and counts the call as ignored', async () => {
      const b = new CircuitBreaker({ name: 's' });
      const controller = new AbortController();
      let n = 0;
      const call = b
        .execute(
          async () => {
            n++;
            throw new Error('x');
          },
          { signal: controller.signal, retry: { attempts: 5, baseDelayMs: 1_000, jitter: 0 } },
        )
        .catch((e: unknown) => e);
      await vi.advanceTimersByTimeAsync(500);
      controller.abort(new Error('user gave up'));
      expect(((await call) as Error).message).toBe('user gave up');
      await vi.advanceTimersByTimeAsync(10_000);
      expect(n).toBe(1);
      expect(b.metrics).toMatchObject({ totalCalls: 1, ignoredCalls: 1, failedCalls: 0 });
      expect(vi.getTimerCount()).toBe(0);
    });

    it('aborting during the call rejects at once even if fn ignores its signal', async () => {
      const b = new CircuitBreaker({ name: 's', failureThreshold: 1 });
      const controller = new AbortController();
      let seen: AbortSignal | undefined;
      const call = b
        .execute(
          (signal) => {
            seen = signal;
            return never();
          },
          { signal: controller.signal, callTimeoutMs: 1_000, fallback: () => 'not for aborts' },
        )
        .catch((e: unknown) => e);
      controller.abort();
      const err = await call;
      expect((err as Error).name).toBe('AbortError');
      expect(seen!.aborted).toBe(true);
      expect(b.state).toBe('closed');
      expect(b.metrics.ignoredCalls).toBe(1);
      expect(vi.getTimerCount()).toBe(0);
    });

    it('an already aborted signal rejects without reaching the breaker', async () => {
      const b = new CircuitBreaker({ name: 's' });
      const fn = vi.fn(async () => 1);
      await expect(b.execute(fn, { signal: AbortSignal.abort(new Error('early')) })).rejects.toThrow('early');
      expect(fn).not.toHaveBeenCalled();
      expect(b.metrics.totalCalls).toBe(0);
    });
  });
});

describe('per-call timers keep the process alive while awaited, and are gone once the call settles (real timers)', () => {
  // Only ref'd timers are listed: an unref'd one would not keep a script awaiting the call alive.
  const liveTimeouts = (): number => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
  const nextTurn = (): Promise<void> => new Promise((r) => setImmediate(r));

  it('the call timeout is held while the call runs and cleared when it settles', async () => {
    const before = liveTimeouts();
    const b = new CircuitBreaker({ name: 'u' });
    let resolve!: (v: number) => void;
    const call = b.execute(() => new Promise<number>((r) => (resolve = r)), { callTimeoutMs: 60_000 });
    const during = liveTimeouts();
    resolve(1);
    await expect(call).resolves.toBe(1);
    expect(during).toBe(before + 1);
    expect(liveTimeouts()).toBe(before);
  });

  it('the call timeout is cleared when the call fails or the caller aborts', async () => {
    const before = liveTimeouts();
    const b = new CircuitBreaker({ name: 'f' });
    await expect(b.execute(() => Promise.reject(new Error('boom')), { callTimeoutMs: 60_000 })).rejects.toThrow('boom');
    expect(liveTimeouts()).toBe(before);
    const controller = new AbortController();
    const call = b.execute(never, { callTimeoutMs: 60_000, signal: controller.signal }).catch((e: unknown) => e);
    expect(liveTimeouts()).toBe(before + 1);
    controller.abort(new Error('caller gave up'));
    expect(((await call) as Error).message).toBe('caller gave up');
    expect(liveTimeouts()).toBe(before);
  });

  it('the retry wait is held while the caller awaits it and cleared when the call ends', async () => {
    const before = liveTimeouts();
    const b = new CircuitBreaker({ name: 'r' });
    const controller = new AbortController();
    let calls = 0;
    const call = b
      .execute(
        () => {
          calls++;
          return Promise.reject(new Error('down'));
        },
        { retry: { attempts: 3, baseDelayMs: 60_000, jitter: 0 }, signal: controller.signal },
      )
      .catch((e: unknown) => e);
    await nextTurn(); // the first attempt has failed and the back-off is waiting
    expect(calls).toBe(1);
    expect(liveTimeouts()).toBe(before + 1);
    controller.abort(new Error('caller gave up'));
    expect(((await call) as Error).message).toBe('caller gave up');
    expect(calls).toBe(1);
    expect(liveTimeouts()).toBe(before);
  });

  it('no timer remains after a call that retried and then succeeded', async () => {
    const before = liveTimeouts();
    const b = new CircuitBreaker({ name: 's' });
    let calls = 0;
    const failTwiceThenSucceed = async (): Promise<string> => {
      if (++calls < 3) throw new Error(`fail ${calls}`);
      return 'ok';
    };
    await expect(b.execute(failTwiceThenSucceed, { retry: { attempts: 3, baseDelayMs: 1 }, callTimeoutMs: 60_000 })).resolves.toBe('ok');
    expect(calls).toBe(3);
    expect(liveTimeouts()).toBe(before);
    expect(b.metrics).toMatchObject({ totalCalls: 1, successfulCalls: 1 });
  });
});
