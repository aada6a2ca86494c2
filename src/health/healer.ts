import type { HealPolicy } from './validate.js';

/** Why a heal may not start now. */
export type HealBlock = 'in_progress' | 'cooldown' | 'exhausted';

/**
 * The guards around one check's heals, as pure bookkeeping over the time it is given:
 * never two heals at once, a cooldown after a failed heal that grows by `backoffMultiplier` per
 * failure in a row (capped at `maxCooldownMs`), and no more than `maxAttempts` failures in a row.
 * `recovered()` (the check passed) clears the failures, so healing starts afresh next time.
 */
export class HealGuard {
  private healing = false;
  private failures = 0;
  private notBefore = 0;

  constructor(private readonly policy: HealPolicy) {}

  /** The reason a heal may not start at `now`, or undefined when it may. */
  blocked(now: number): HealBlock | undefined {
    if (this.healing) return 'in_progress';
    if (this.failures >= this.policy.maxAttempts) return 'exhausted';
    if (now < this.notBefore) return 'cooldown';
    return undefined;
  }

  /** Starts a heal; returns its attempt number (1 = first since the check last recovered). */
  begin(): number {
    this.healing = true;
    return this.failures + 1;
  }

  end(now: number, succeeded: boolean): void {
    this.healing = false;
    if (succeeded) {
      this.recovered();
      return;
    }
    this.failures++;
    this.notBefore = now + cooldownAfter(this.failures, this.policy);
  }

  /** A heal that was cut short (the manager stopped): it neither counts nor starts a cooldown. */
  abandon(): void {
    this.healing = false;
  }

  recovered(): void {
    this.failures = 0;
    this.notBefore = 0;
  }

  get inProgress(): boolean {
    return this.healing;
  }

  /** Epoch ms before which no heal starts (0 when there is no cooldown). */
  get cooldownUntil(): number {
    return this.notBefore;
  }
}

/** Wait after the n-th failed heal in a row: cooldownMs * backoffMultiplier^(n-1), capped. */
export function cooldownAfter(failures: number, policy: HealPolicy): number {
  const wait = policy.cooldownMs * policy.backoffMultiplier ** Math.max(0, failures - 1);
  return Math.min(wait, policy.maxCooldownMs);
}
