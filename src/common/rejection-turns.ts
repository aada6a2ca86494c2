/**
 * Fairness for rejections. A refused connection reaches its caller through the event loop, so a
 * caller that retries in a tight loop still lets timers and I/O run; a breaker's rejection arrives
 * on the next tick or microtask, so the same loop against an open breaker would starve everything
 * else. Each macrotask turn may deliver REJECTIONS_PER_TURN rejections the fast way; past that,
 * each one waits for setImmediate, which lets timers and I/O run first.
 *
 * No OTel or HTTP imports: the breaker core uses this too.
 */

/** Rejections a turn delivers at once before the rest wait for the event loop. */
export const REJECTIONS_PER_TURN = 128;

let delivered = 0;
let resetPending = false;

function newTurn(): void {
  delivered = 0;
  resetPending = false;
}

/**
 * Counts one rejection about to be delivered; true when this turn has used its budget and the
 * rejection must wait for setImmediate (deliverRejection() does both).
 */
export function rejectionOverBudget(): boolean {
  if (!resetPending) {
    // One immediate per turn that rejects anything (not per rejection), run before the rejections
    // deferred after it. Not unref()ed: that would let poll block and merge the next I/O's rejections in.
    resetPending = true;
    setImmediate(newTurn);
  }
  return ++delivered > REJECTIONS_PER_TURN;
}

/**
 * Calls `deliver(a, b)` now, or on setImmediate when this turn has used its budget. The deferred
 * call keeps the process alive, as the refused connection it stands for would.
 */
export function deliverRejection<A, B>(deliver: (a: A, b: B) => void, a: A, b: B): void {
  if (rejectionOverBudget()) setImmediate(deliver, a, b);
  else deliver(a, b);
}

/** Resolves on setImmediate: an async path awaits it before throwing an over-budget rejection. */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
