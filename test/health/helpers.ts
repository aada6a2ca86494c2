import { HealthCheckManager } from '../../src/health/manager.js';
import type { HealthCheckManagerOptions } from '../../src/health/check-types.js';

/** A manager on vitest's fake clock (call vi.useFakeTimers() first). */
export function fakeClockManager(options: HealthCheckManagerOptions = {}): HealthCheckManager {
  return new HealthCheckManager({ checkIntervalMs: 1_000, timeoutMs: 500, clock: { now: () => Date.now() }, ...options });
}

/** A check result that resolves after `ms` on whatever timers are installed. */
export function after<T>(ms: number, value: T): Promise<T> {
  return new Promise((resolve) => setTimeout(() => resolve(value), ms));
}

export interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

export function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

export interface TrackedTimers {
  timers: { setTimeout(callback: () => void, ms: number): NodeJS.Timeout; clearTimeout(handle: unknown): void };
  /** Delays of the timers not yet fired or cleared, sorted. */
  live(): number[];
  /** Delays of the live timers that keep the process alive (ref'd), sorted. */
  held(): number[];
}

/** Real timers, tracked: a handle is live from creation until it fires or is cleared. */
export function trackedTimers(): TrackedTimers {
  const live = new Map<NodeJS.Timeout, number>();
  const delays = (handles: NodeJS.Timeout[]): number[] => handles.map((h) => live.get(h)!).sort((a, b) => a - b);
  return {
    timers: {
      setTimeout(callback, ms) {
        const handle: NodeJS.Timeout = setTimeout(() => (live.delete(handle), callback()), ms);
        live.set(handle, ms);
        return handle;
      },
      clearTimeout(handle) {
        live.delete(handle as NodeJS.Timeout);
        clearTimeout(handle as NodeJS.Timeout);
      },
    },
    live: () => delays([...live.keys()]),
    held: () => delays([...live.keys()].filter((h) => h.hasRef())),
  };
}
