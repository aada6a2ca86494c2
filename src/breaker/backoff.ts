/** Pure wait computations: no clock, no randomness of their own (the caller passes `random`). */

export interface BackoffSettings {
  /** First wait. */
  initialMs: number;
  /** Cap on one wait. */
  maxMs: number;
  /** Growth per step (>= 1). */
  multiplier: number;
  /** Random part 0..1: the wait is scaled by a factor in [1 - jitter, 1]. */
  jitter: number;
}

/**
 * The wait of step `n` (1-based): `min(initialMs * multiplier^(n-1), maxMs)`, then scaled by
 * `1 - jitter * random` where `random` is in [0, 1).
 */
export function backoffMs(n: number, settings: BackoffSettings, random = 0): number {
  const { initialMs, maxMs, multiplier, jitter } = settings;
  // initialMs * multiplier^k overflows to Infinity for large k; 0 * Infinity would be NaN.
  const grown = initialMs === 0 ? 0 : initialMs * multiplier ** Math.max(0, n - 1);
  const capped = grown < maxMs ? grown : maxMs;
  if (jitter === 0) return capped;
  // A user-supplied random source may stray outside [0, 1); the wait must stay within the bounds.
  const r = random > 0 ? (random < 1 ? random : 1) : 0;
  return capped * (1 - jitter * r);
}
