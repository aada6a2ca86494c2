import { OptionChecker } from '../common/option-checker.js';

/** gRPC status code names (grpc-js `status` enum), so users can write `'UNAVAILABLE'`. */
const GRPC_CODES: Readonly<Record<string, number>> = {
  OK: 0, CANCELLED: 1, UNKNOWN: 2, INVALID_ARGUMENT: 3, DEADLINE_EXCEEDED: 4, NOT_FOUND: 5,
  ALREADY_EXISTS: 6, PERMISSION_DENIED: 7, RESOURCE_EXHAUSTED: 8, FAILED_PRECONDITION: 9,
  ABORTED: 10, OUT_OF_RANGE: 11, UNIMPLEMENTED: 12, INTERNAL: 13, UNAVAILABLE: 14, DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
};

export const DEFAULT_GRPC_FAILURE_CODES: readonly string[] = [
  'UNAVAILABLE', 'DEADLINE_EXCEEDED', 'RESOURCE_EXHAUSTED', 'INTERNAL', 'UNKNOWN',
];

const EXPECTED = 'gRPC status codes 1-16 or their names, such as UNAVAILABLE (0 is OK, never a failure)';

/**
 * `['UNAVAILABLE', 4]` or `'UNAVAILABLE,4'` → a 17-entry lookup table indexed by code. OK (0) is
 * refused: counting successes as failures would open the breaker on a healthy destination.
 */
export function parseGrpcFailureCodes(
  spec: string | readonly (string | number)[],
  check = new OptionChecker('BreakwaterInstrumentation'),
  option = 'grpcFailureCodes',
): Uint8Array {
  const parts = typeof spec === 'string' ? spec.split(',') : Array.isArray(spec) ? spec : undefined;
  if (!parts) throw check.error(option, EXPECTED, spec);
  const table = new Uint8Array(17);
  for (const raw of parts) {
    const part = typeof raw === 'string' ? raw.trim().toUpperCase() : raw;
    if (part === '') continue;
    const code = typeof part === 'number' ? part : /^\d+$/.test(part) ? Number(part) : GRPC_CODES[part];
    if (code === undefined || !Number.isInteger(code) || code < 1 || code > 16) throw check.error(option, EXPECTED, spec);
    table[code] = 1;
  }
  return table;
}
