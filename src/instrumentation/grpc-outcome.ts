import type { CallOutcome } from '../breaker/types.js';

export const GRPC_OK = 0;
export const GRPC_CANCELLED = 1;
export const GRPC_DEADLINE_EXCEEDED = 4;
export const GRPC_UNAVAILABLE = 14;

/**
 * How a finished gRPC call counts for its destination's breaker.
 *
 * A call the caller cancelled (or that grpc-js cancelled on the caller's side, e.g. a request that
 * failed to serialize) after a response began or within the abort grace says nothing about the
 * server, so it is ignored whatever status it ended with (grpc-call.ts applies the grace first). CANCELLED from elsewhere (a propagated parent cancel, a server resetting the stream) is
 * ignored too unless the configured failure codes include it. Every other status is a failure
 * when `isFailureCode` says so and a success otherwise (NOT_FOUND, INVALID_ARGUMENT, … are answers).
 */
export function grpcCallOutcome(
  code: number,
  cancelledByCaller: boolean,
  isFailureCode: (code: number) => boolean,
): CallOutcome {
  if (code === GRPC_OK) return 'success';
  if (cancelledByCaller) return 'ignored';
  if (isFailureCode(code)) return 'failure';
  return code === GRPC_CANCELLED ? 'ignored' : 'success';
}

interface MetadataLike {
  get(key: string): unknown[];
}

/**
 * gRPC's counterpart of HTTP `Retry-After`: the `grpc-retry-pushback-ms` trailer, in milliseconds
 * (gRFC A6). Undefined when absent or malformed.
 */
export function retryPushbackMs(metadata: unknown): number | undefined {
  if (typeof (metadata as MetadataLike | undefined)?.get !== 'function') return undefined;
  const value = (metadata as MetadataLike).get('grpc-retry-pushback-ms')[0];
  if (typeof value !== 'string' || !/^\d+$/.test(value)) return undefined;
  return Number(value);
}
