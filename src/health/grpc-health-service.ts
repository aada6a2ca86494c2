import { diag } from '../common/otel-api.js';
import { OptionChecker } from '../common/option-checker.js';
import type { HealthStatus } from './check-types.js';
import {
  decodeListRequest,
  decodeListResponse,
  decodeRequest,
  decodeResponse,
  encodeListRequest,
  encodeListResponse,
  encodeRequest,
  encodeResponse,
  type HealthCheckRequest,
  type HealthCheckResponse,
  type HealthListRequest,
  type HealthListResponse,
  type ServingStatus,
} from './grpc-health-codec.js';
import type { HealthCheckManager } from './manager.js';

export type { HealthCheckRequest, HealthCheckResponse, HealthListRequest, HealthListResponse, ServingStatus };

/** gRPC status codes used here (numbers fixed by the gRPC protocol; no import of @grpc/grpc-js). */
const NOT_FOUND = 5;
const RESOURCE_EXHAUSTED = 8;

/**
 * Most services `List` answers with; more fail with RESOURCE_EXHAUSTED, as gRFC A90 allows (grpc-go
 * uses the same bound), so one reply stays small.
 */
export const MAX_LISTED_SERVICES = 100;

interface MethodDefinition<Request = HealthCheckRequest, Response = HealthCheckResponse> {
  path: string;
  requestStream: boolean;
  responseStream: boolean;
  requestSerialize: (value: Request) => Buffer;
  requestDeserialize: (bytes: Buffer) => Request;
  responseSerialize: (value: Response) => Buffer;
  responseDeserialize: (bytes: Buffer) => Response;
  originalName: string;
}

/**
 * The `grpc.health.v1.Health` service definition in the shape `@grpc/grpc-js` takes for
 * `server.addService()` and `makeGenericClientConstructor()`; messages are `{ service }` and
 * `{ status: 'SERVING' | ... }`; `List` (gRFC A90) takes `{}` and answers `{ statuses: { NAME: { status } } }`.
 */
export const grpcHealthDefinition: {
  Check: MethodDefinition;
  List: MethodDefinition<HealthListRequest, HealthListResponse>;
  Watch: MethodDefinition;
} = {
  Check: {
    path: '/grpc.health.v1.Health/Check',
    requestStream: false,
    responseStream: false,
    requestSerialize: encodeRequest,
    requestDeserialize: decodeRequest,
    responseSerialize: encodeResponse,
    responseDeserialize: decodeResponse,
    originalName: 'check',
  },
  List: {
    path: '/grpc.health.v1.Health/List',
    requestStream: false,
    responseStream: false,
    requestSerialize: encodeListRequest,
    requestDeserialize: decodeListRequest,
    responseSerialize: encodeListResponse,
    responseDeserialize: decodeListResponse,
    originalName: 'list',
  },
  Watch: {
    path: '/grpc.health.v1.Health/Watch',
    requestStream: false,
    responseStream: true,
    requestSerialize: encodeRequest,
    requestDeserialize: decodeRequest,
    responseSerialize: encodeResponse,
    responseDeserialize: decodeResponse,
    originalName: 'watch',
  },
};

/** The parts of grpc-js's server calls this service uses. */
export interface GrpcUnaryCall {
  request: HealthCheckRequest;
}
export type GrpcUnaryCallback<Response = HealthCheckResponse> = (error: { code: number; details: string } | null, response?: Response) => void;
export interface GrpcStreamCall {
  request: HealthCheckRequest;
  write(message: HealthCheckResponse): unknown;
  end(): unknown;
  on(event: 'cancelled' | 'close' | 'error', listener: () => void): unknown;
}

export interface GrpcHealthServiceOptions {
  /**
   * gRPC service names and the checks each one depends on: the service is NOT_SERVING while any of
   * them is unhealthy. Without a mapping, a service name is looked up as a check name; "" is the
   * whole service (NOT_SERVING while the overall status is unhealthy).
   */
  services?: Record<string, readonly string[]>;
}

export interface GrpcHealthService {
  definition: typeof grpcHealthDefinition;
  implementation: {
    Check(call: GrpcUnaryCall, callback: GrpcUnaryCallback): void;
    List(call: unknown, callback: GrpcUnaryCallback<HealthListResponse>): void;
    Watch(call: GrpcStreamCall): void;
  };
}

function servingOf(status: HealthStatus): ServingStatus {
  if (status === 'unhealthy') return 'NOT_SERVING';
  if (status === 'unknown') return 'UNKNOWN';
  return 'SERVING';
}

/** `grpc.health.v1.Health` fed by `manager`; add it with `server.addService(definition, implementation)`. */
export function createGrpcHealthService(manager: HealthCheckManager, options: GrpcHealthServiceOptions = {}): GrpcHealthService {
  const check = new OptionChecker('grpcService()');
  const services = options.services ?? {};
  if (typeof services !== 'object' || services === null) throw check.error('services', 'an object of name -> check names', services);
  for (const [service, checks] of Object.entries(services)) {
    if (!Array.isArray(checks) || checks.some((c) => typeof c !== 'string')) throw check.error(`services.${service}`, 'an array of check names', checks);
  }

  /** The serving status of `service`, or undefined when the service is unknown. */
  function statusOf(service: string): ServingStatus | undefined {
    const known = liveStatusOf(service);
    // Draining: every service says NOT_SERVING so clients move away before the process exits.
    return known !== undefined && manager.isDraining ? 'NOT_SERVING' : known;
  }

  function liveStatusOf(service: string): ServingStatus | undefined {
    const mapped = Object.hasOwn(services, service) ? services[service] : undefined;
    if (mapped !== undefined) {
      let result: ServingStatus = 'SERVING';
      for (const name of mapped) {
        const status = manager.check(name)?.status ?? 'unknown';
        if (status === 'unhealthy') return 'NOT_SERVING';
        if (status === 'unknown') result = 'UNKNOWN';
      }
      return result;
    }
    if (service === '') return servingOf(manager.status);
    const check = manager.check(service);
    return check === undefined ? undefined : servingOf(check.status);
  }

  /** Every service Check answers for: the whole service, each mapped service, each check. */
  function knownServices(): string[] {
    const names = new Set<string>(['', ...Object.keys(services)]);
    for (const check of manager.checks()) names.add(check.name);
    return [...names];
  }

  return {
    definition: grpcHealthDefinition,
    implementation: {
      Check(call, callback) {
        const service = call.request?.service ?? '';
        const status = statusOf(service);
        if (status === undefined) callback({ code: NOT_FOUND, details: `unknown service "${service}"` });
        else callback(null, { status });
      },
      List(_call, callback) {
        const names = knownServices();
        if (names.length > MAX_LISTED_SERVICES) {
          callback({ code: RESOURCE_EXHAUSTED, details: `${names.length} services, more than List answers with (${MAX_LISTED_SERVICES}); use Check or Watch` });
          return;
        }
        // fromEntries: a check named "__proto__" stays an ordinary key.
        callback(null, { statuses: Object.fromEntries(names.map((name) => [name, { status: statusOf(name) ?? 'SERVICE_UNKNOWN' }])) });
      },
      Watch(call) {
        const service = call.request?.service ?? '';
        let last: ServingStatus | undefined;
        const send = (): void => {
          const status = statusOf(service) ?? 'SERVICE_UNKNOWN';
          if (status === last) return;
          last = status;
          try {
            call.write({ status });
          } catch (error) {
            diag.error('breakwater: gRPC health Watch write failed', error);
          }
        };
        const unsubscribe = [
          manager.on('statusChange', send),
          manager.on('overallChange', send),
          manager.on('registration', send),
          manager.on('drain', send),
          manager.on('stop', () => {
            done();
            call.end();
          }),
        ];
        let ended = false;
        const done = (): void => {
          if (ended) return;
          ended = true;
          for (const off of unsubscribe) off();
        };
        call.on('cancelled', done);
        call.on('close', done);
        call.on('error', done);
        send();
      },
    },
  };
}
