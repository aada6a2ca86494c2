import { ConfigError } from './errors.js';

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

/** `['UNAVAILABLE', 4]` or `'UNAVAILABLE,4'` → a 17-entry lookup table indexed by code. */
export function parseGrpcFailureCodes(spec: string | readonly (string | number)[], option = 'grpcFailureCodes'): Uint8Array {
  const parts = typeof spec === 'string' ? spec.split(',') : Array.isArray(spec) ? spec : undefined;
  if (!parts) throw new ConfigError(option, spec, "gRPC status codes or names, e.g. ['UNAVAILABLE', 4]");
  const table = new Uint8Array(17);
  for (const raw of parts) {
    const part = typeof raw === 'string' ? raw.trim().toUpperCase() : raw;
    if (part === '') continue;
    const code = typeof part === 'number' ? part : /^\d+$/.test(part) ? Number(part) : GRPC_CODES[part];
    if (code === undefined || !Number.isInteger(code) || code < 0 || code > 16) {
      throw new ConfigError(option, spec, 'gRPC status codes 0-16 or names such as UNAVAILABLE');
    }
    table[code] = 1;
  }
  return table;
}
