import { backoffMs } from './backoff.js';
import type { ResolvedRetry } from './options.js';

/**
 * The one retry rule, shared by execute()'s retry and the opt-in fetch/undici retry (the callers
 * check the attempt count, the caller's abort and an open breaker themselves, since each knows
 * those its own way).
 */

/**
 * Whether the outcome of `attempt` is worth another attempt: `retryOn` decides when given (a
 * throwing `retryOn` means no, reported to `onFault` when the caller has somewhere to report it),
 * otherwise every thrown error that counts as a failure, and every result already judged a failure.
 */
export function worthRetrying(
  retry: ResolvedRetry,
  outcome: unknown,
  attempt: number,
  thrown: boolean,
  countsAsFailure: (err: unknown) => boolean,
  onFault?: (fault: unknown) => void,
): boolean {
  if (retry.retryOn === undefined) return thrown ? countsAsFailure(outcome) : true;
  try {
    return retry.retryOn(outcome, attempt) === true;
  } catch (fault) {
    onFault?.(fault);
    return false;
  }
}

/** The wait before the attempt after `attempt`: the back-off of `retry`, with its jitter drawn from `random`. */
export function retryDelayMs(retry: ResolvedRetry, attempt: number, random: () => number): number {
  return backoffMs(
    attempt,
    { initialMs: retry.baseDelayMs, maxMs: retry.maxDelayMs, multiplier: retry.multiplier, jitter: retry.jitter },
    retry.jitter === 0 ? 0 : random(),
  );
}
