import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CancelScope, runBounded, toResult } from '../../src/health/run-check.js';

const timers = { setTimeout: (f: () => void, ms: number) => setTimeout(f, ms), clearTimeout: (h: unknown) => clearTimeout(h as NodeJS.Timeout) };

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('runBounded', () => {
  it('settles with the value, the error (sync or async) or the timeout, whichever is first', async () => {
    await expect(runBounded(() => 7, 100, timers)).resolves.toEqual({ kind: 'value', value: 7 });
    const boom = new Error('boom');
    await expect(runBounded(() => { throw boom; }, 100, timers)).resolves.toEqual({ kind: 'error', error: boom });
    await expect(runBounded(() => Promise.reject(boom), 100, timers)).resolves.toEqual({ kind: 'error', error: boom });
    const hanging = runBounded(() => new Promise(() => {}), 100, timers);
    await vi.advanceTimersByTimeAsync(100);
    await expect(hanging).resolves.toEqual({ kind: 'timeout' });
    expect(vi.getTimerCount()).toBe(0);
  });

  it('clears its timer when the function settles first', async () => {
    await runBounded(() => Promise.resolve(1), 60_000, timers);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('settles as cancelled at once when its scope is cancelled, aborting the function', async () => {
    const cancel = new CancelScope();
    let seen: AbortSignal | undefined;
    const run = runBounded((s) => ((seen = s), new Promise(() => {})), 60_000, timers, cancel);
    cancel.cancel();
    await expect(run).resolves.toEqual({ kind: 'cancelled' });
    expect(seen?.aborted).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
    await expect(runBounded(() => 1, 10, timers, cancel)).resolves.toEqual({ kind: 'cancelled' });
  });
});

describe('toResult', () => {
  it('maps every outcome to a status and message', () => {
    expect(toResult({ kind: 'value', value: true }, 5)).toEqual({ status: 'healthy', message: 'ok', details: undefined });
    expect(toResult({ kind: 'value', value: false }, 5)).toEqual({ status: 'unhealthy', message: 'check failed', details: undefined });
    expect(toResult({ kind: 'timeout' }, 250).message).toBe('timed out after 250 ms');
    expect(toResult({ kind: 'error', error: 'plain string' }, 5).message).toBe('plain string');
    expect(toResult({ kind: 'value', value: { status: 'degraded' } }, 5)).toEqual({ status: 'degraded', message: 'degraded', details: undefined });
    expect(toResult({ kind: 'value', value: { status: 'bad' as never } }, 5).status).toBe('unhealthy');
    expect(toResult({ kind: 'value', value: undefined as never }, 5).message).toMatch(/check returned undefined/);
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    expect(toResult({ kind: 'value', value: { status: 'healthy', details: circular } }, 5).details).toEqual({
      error: expect.stringMatching(/^details are not JSON-serializable: /),
    });
    expect(toResult({ kind: 'value', value: { status: 'healthy', details: { n: 1n } } }, 5).details?.error).toMatch(/BigInt/);
  });
});
