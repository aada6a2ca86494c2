import type { HealthStatus } from './check-types.js';

/** Score of one component; `unknown` has none and is left out of the mean. */
export const STATUS_SCORE: Readonly<Record<Exclude<HealthStatus, 'unknown'>, number>> = {
  healthy: 100,
  degraded: 60,
  unhealthy: 0,
};

export interface ScoredCheck {
  status: HealthStatus;
  weight: number;
  critical: boolean;
}

/**
 * The scoring rule in one place:
 * - score = weighted mean of component scores (healthy 100, degraded 60, unhealthy 0); unknown
 *   components and weight 0 are left out; 100 when nothing is left;
 * - overall = unhealthy if a critical check is unhealthy or the score is below `unhealthyBelowScore`,
 *   else degraded if any check is not healthy (unknown included), else healthy.
 *
 * Kept as a running tally (add/remove one check at a time) so that recording a result costs the
 * same with 10 checks as with 10 000.
 */
export class ScoreTally {
  private weightSum = 0;
  private weightedSum = 0;
  private notHealthy = 0;
  private criticalUnhealthy = 0;

  add(check: ScoredCheck): void {
    this.apply(check, 1);
  }

  remove(check: ScoredCheck): void {
    this.apply(check, -1);
  }

  /** 0–100, unrounded. */
  get score(): number {
    return this.weightSum > 0 ? clamp(this.weightedSum / this.weightSum) : 100;
  }

  overall(unhealthyBelowScore: number): HealthStatus {
    if (this.criticalUnhealthy > 0 || this.score < unhealthyBelowScore) return 'unhealthy';
    return this.notHealthy > 0 ? 'degraded' : 'healthy';
  }

  private apply(check: ScoredCheck, sign: 1 | -1): void {
    if (check.status !== 'unknown' && check.weight > 0) {
      this.weightSum += sign * check.weight;
      this.weightedSum += sign * check.weight * STATUS_SCORE[check.status];
      // Adding and removing fractional weights leaves float dust; an empty tally is exactly empty.
      if (Math.abs(this.weightSum) < 1e-9) {
        this.weightSum = 0;
        this.weightedSum = 0;
      }
    }
    if (check.status !== 'healthy') this.notHealthy += sign;
    if (check.critical && check.status === 'unhealthy') this.criticalUnhealthy += sign;
  }
}

function clamp(score: number): number {
  return Math.min(100, Math.max(0, score));
}

/** The same rule over a list, for callers that hold every check at once. */
export function scoreChecks(checks: Iterable<ScoredCheck>, unhealthyBelowScore: number): { score: number; overall: HealthStatus } {
  const tally = new ScoreTally();
  for (const check of checks) tally.add(check);
  return { score: tally.score, overall: tally.overall(unhealthyBelowScore) };
}

/** Score as shown in reports and gauges: one decimal. */
export function roundScore(score: number): number {
  return Math.round(score * 10) / 10;
}
