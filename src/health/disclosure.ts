import { diag } from '../common/otel-api.js';
import type { IncomingMessage } from 'node:http';
import type { CheckState, ShowDetails } from './check-types.js';
import type { HealthSnapshot } from './report.js';

/** What a withheld non-healthy check says: the same words the probes use. */
export const WITHHELD = 'reason withheld';

/** Whether this request may see messages and details; a throwing predicate means no. */
export function mayShowDetails(showDetails: ShowDetails, req: IncomingMessage): boolean {
  if (showDetails === 'always') return true;
  if (showDetails === 'never') return false;
  try {
    return showDetails(req) === true;
  } catch (error) {
    diag.error('breakwater: the health option "showDetails" threw; details withheld', error);
    return false;
  }
}

/**
 * The snapshot with every message and detail replaced: statuses, score and names stay, so a load
 * balancer or dashboard still reads the report, but error texts (hosts, users, paths) do not leave.
 */
export function withholdDetails(snapshot: HealthSnapshot): HealthSnapshot {
  return { ...snapshot, checks: snapshot.checks.map(withheldCheck) };
}

function withheldCheck(check: CheckState): CheckState {
  return { ...check, message: check.status === 'healthy' ? 'ok' : WITHHELD, details: undefined };
}
