import type { CheckState } from './check-types.js';
import type { HealthSnapshot } from './report.js';
import { scoreChecks } from './scoring.js';

/** The snapshot restricted to the checks `keep` accepts, scored and judged by the same rule. */
export function selectChecks(snapshot: HealthSnapshot, keep: (check: CheckState) => boolean): HealthSnapshot {
  const checks = snapshot.checks.filter(keep);
  const { score, overall } = scoreChecks(checks, snapshot.unhealthyBelowScore);
  return { ...snapshot, checks, score, overall };
}

export function inGroup(group: string): (check: CheckState) => boolean {
  return (check) => check.groups.includes(group);
}

/** Every group name a check carries, and the ones configured as readiness or liveness sets. */
export function knownGroups(snapshot: HealthSnapshot, configured: readonly (string | undefined)[]): Set<string> {
  const groups = new Set<string>();
  for (const name of configured) if (name !== undefined) groups.add(name);
  for (const check of snapshot.checks) for (const group of check.groups) groups.add(group);
  return groups;
}

/**
 * Ready to take traffic: the first round has run, the manager is not draining, the checks are not
 * unhealthy as a whole and every critical one has a result.
 */
export function isReady(snapshot: HealthSnapshot): boolean {
  return (
    snapshot.started &&
    !snapshot.draining &&
    snapshot.overall !== 'unhealthy' &&
    !snapshot.checks.some((c) => c.critical && c.status === 'unknown')
  );
}

/** A check counts as passing in a probe's list when it is healthy or degraded. */
export function passes(check: CheckState): boolean {
  return check.status === 'healthy' || check.status === 'degraded';
}
