import { CallTimeoutError } from './errors.js';

/**
 * Runs one attempt of a call with the per-call extras: a timeout (its own AbortController and a
 * timer cleared when the call settles) and the caller's AbortSignal. Rejects as soon as either
 * fires, even when `fn` ignores its signal. The timer is not unref'd: the caller is awaiting it, so
 * like any awaited timeout it keeps the process alive until the call settles.
 */
export function runAttempt<T>(
  fn: (signal: AbortSignal | undefined) => T | Promise<T>,
  breakerName: string,
  timeoutMs: number | undefined,
  callerSignal: AbortSignal | undefined,
): Promise<T> {
  if (timeoutMs === undefined && callerSignal === undefined) {
    return new Promise<T>((resolve) => resolve(fn(undefined)));
  }
  return new Promise<T>((resolve, reject) => {
    let controller: AbortController | undefined;
    let signal = callerSignal;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const done = (): void => {
      if (timer !== undefined) clearTimeout(timer);
      callerSignal?.removeEventListener('abort', onCallerAbort);
    };
    const onCallerAbort = (): void => {
      done();
      controller?.abort(callerSignal!.reason);
      reject(callerSignal!.reason);
    };
    if (callerSignal?.aborted) {
      reject(callerSignal.reason);
      return;
    }
    if (timeoutMs !== undefined) {
      controller = new AbortController();
      signal = callerSignal === undefined ? controller.signal : AbortSignal.any([callerSignal, controller.signal]);
      timer = setTimeout(() => {
        const err = new CallTimeoutError(breakerName, timeoutMs);
        done();
        controller!.abort(err);
        reject(err);
      }, timeoutMs);
    }
    callerSignal?.addEventListener('abort', onCallerAbort, { once: true });
    let result: T | Promise<T>;
    try {
      result = fn(signal);
    } catch (err) {
      done();
      reject(err);
      return;
    }
    Promise.resolve(result).then(
      (value) => {
        done();
        resolve(value);
      },
      (err: unknown) => {
        done();
        reject(err);
      },
    );
  });
}

/**
 * Waits `ms` (a retry back-off); rejects with the signal's reason when it aborts first. Not unref'd,
 * for the same reason as the call timer: the caller is awaiting the retry.
 */
export function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
