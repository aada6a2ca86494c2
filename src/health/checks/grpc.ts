import type { ClientHttp2Session, SecureClientSessionOptions } from 'node:http2';
import type { Socket } from 'node:net';
import type { CheckRegistration, CheckResult } from '../check-types.js';
import { decodeResponse, encodeRequest } from '../grpc-health-codec.js';
import { fail } from '../validate.js';
import { dependencyRegistration, failureError, optionsObject, type DependencyCheckOptions } from './dependency.js';

export interface GrpcHealthCheckOptions extends DependencyCheckOptions {
  /** `host:port` (`[::1]:50051` for IPv6); never shown in a result. */
  target: string;
  /** The service asked about (default `""`: the whole server). */
  service?: string;
  /** TLS: `true` for the default trust store, or `{ ca, cert, key, servername }` (default: plaintext). */
  tls?: boolean | Pick<SecureClientSessionOptions, 'ca' | 'cert' | 'key' | 'servername' | 'rejectUnauthorized'>;
}

const WHERE = 'grpcHealthCheck()';
const PATH = '/grpc.health.v1.Health/Check';
/** A health reply is two bytes; anything this large is not one. */
const MAX_REPLY_BYTES = 64 * 1024;

/** gRPC status codes the message explains (numbers fixed by the gRPC protocol). */
const GRPC_CODES: Record<number, string> = {
  1: 'CANCELLED',
  4: 'DEADLINE_EXCEEDED',
  5: 'NOT_FOUND',
  7: 'PERMISSION_DENIED',
  12: 'UNIMPLEMENTED',
  14: 'UNAVAILABLE',
  16: 'UNAUTHENTICATED',
};

/**
 * A check of a gRPC server through its own `grpc.health.v1.Health/Check`: healthy when it answers
 * SERVING for `service`. It speaks the call over node:http2 with breakwater's codec, so
 * `@grpc/grpc-js` is not needed, no channel or subchannel pool outlives a run, and breakwater's
 * gRPC breakers never see the call. Each run opens one connection and settles after its socket has closed.
 */
export function grpcHealthCheck(options: GrpcHealthCheckOptions): CheckRegistration {
  optionsObject(WHERE, options);
  const { target, service = '', tls = false } = options;
  const { host, port, origin } = parseTarget(target, tls !== false);
  if (typeof service !== 'string') fail(WHERE, 'service', 'a string', service);
  if (typeof tls !== 'boolean' && (typeof tls !== 'object' || tls === null)) fail(WHERE, 'tls', 'a boolean or TLS options', tls);
  const tlsOptions = typeof tls === 'object' ? { ...tls } : {};
  // The socket is made here, not by http2: the run settles on its close, which comes after the session's.
  // Builtins are fetched when used, not imported: as ES modules they would weigh on every import
  // of breakwater (bench/README.md, import cost).
  const socketFor = (): Socket => {
    if (tls === false) return process.getBuiltinModule('node:net').connect({ host, port });
    const servername = process.getBuiltinModule('node:net').isIP(host) === 0 ? host : undefined;
    return process.getBuiltinModule('node:tls').connect({ host, port, ALPNProtocols: ['h2'], servername, ...tlsOptions });
  };
  const body = frame(encodeRequest({ service }));

  function check(signal: AbortSignal): Promise<CheckResult> {
    return new Promise((resolve, reject) => {
      let result: CheckResult | undefined;
      // The session's error (refused, reset, TLS) says more than the stream's (cancelled).
      let failure: unknown;
      let streamFailure: unknown;
      const socket = socketFor();
      const session: ClientHttp2Session = process.getBuiltinModule('node:http2').connect(origin, { createConnection: () => socket });
      session.unref(); // a background run never holds the process; an awaited runAll() does, by its timer
      const onAbort = (): void => {
        failure ??= signal.reason;
        session.destroy();
        socket.destroy();
      };
      signal.addEventListener('abort', onAbort, { once: true });
      session.on('error', (error) => {
        failure ??= error;
      });
      socket.on('error', (error) => {
        failure ??= error;
      });
      session.once('close', () => socket.destroy());
      socket.once('close', () => {
        signal.removeEventListener('abort', onAbort);
        if (result !== undefined) resolve(result);
        else reject(failureError('gRPC health call', failure ?? streamFailure));
      });
      const reply = new Reply();
      const stream = session.request({
        ':method': 'POST',
        ':path': PATH,
        'content-type': 'application/grpc',
        te: 'trailers',
      });
      stream.on('response', (headers) => reply.headers(headers));
      stream.on('trailers', (trailers) => reply.headers(trailers));
      stream.on('data', (chunk: Buffer) => {
        if (!reply.add(chunk)) session.destroy();
      });
      stream.on('error', (error) => {
        streamFailure ??= error;
      });
      stream.once('close', () => {
        result = reply.result();
        session.close();
      });
      stream.end(body);
      if (signal.aborted) onAbort();
    });
  }

  return dependencyRegistration(WHERE, options, 'grpc_server', check);
}

/** What came back on the stream, and what it means once the stream ended. */
class Reply {
  private httpStatus: number | undefined;
  private grpcStatus: number | undefined;
  private readonly chunks: Buffer[] = [];
  private size = 0;

  headers(headers: Record<string, unknown>): void {
    const status = headers[':status'];
    if (typeof status === 'number') this.httpStatus = status;
    const grpcStatus = headers['grpc-status'];
    if (grpcStatus !== undefined) this.grpcStatus = Number(grpcStatus);
  }

  /** False once the reply is too large to be a health reply. */
  add(chunk: Buffer): boolean {
    this.size += chunk.length;
    if (this.size > MAX_REPLY_BYTES) return false;
    this.chunks.push(chunk);
    return true;
  }

  /** Undefined when the stream ended without an answer (reset, refused): the session's error says why. */
  result(): CheckResult | undefined {
    if (this.httpStatus === undefined) return undefined;
    if (this.httpStatus !== 200) return unhealthy(`HTTP ${this.httpStatus} instead of a gRPC reply`);
    if (this.grpcStatus === undefined) return this.size > MAX_REPLY_BYTES ? unhealthy('reply too large') : undefined;
    if (this.grpcStatus !== 0) return unhealthy(grpcFailure(this.grpcStatus));
    const message = unframe(Buffer.concat(this.chunks));
    if (message === undefined) return unhealthy('malformed health reply');
    let status: string;
    try {
      status = decodeResponse(message).status;
    } catch {
      return unhealthy('malformed health reply');
    }
    return status === 'SERVING' ? { status: 'healthy', message: 'SERVING' } : unhealthy(status);
  }
}

function unhealthy(message: string): CheckResult {
  return { status: 'unhealthy', message };
}

function grpcFailure(code: number): string {
  if (code === 12) return 'no grpc.health.v1 service (UNIMPLEMENTED)';
  if (code === 5) return 'service unknown to the server (NOT_FOUND)';
  return `gRPC status ${code}${GRPC_CODES[code] === undefined ? '' : ` (${GRPC_CODES[code]})`}`;
}

/** gRPC's length-prefixed message: a compressed flag (0: we ask for no compression), the length, the bytes. */
function frame(message: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head.writeUInt32BE(message.length, 1);
  return Buffer.concat([head, message]);
}

function unframe(data: Buffer): Buffer | undefined {
  if (data.length < 5 || data[0] !== 0) return undefined;
  const length = data.readUInt32BE(1);
  return data.length === 5 + length ? data.subarray(5) : undefined;
}

/** Host, port and URL origin of `host:port`; a scheme (`dns:///`, `unix:`) is refused rather than misread. */
function parseTarget(target: unknown, secure: boolean): { host: string; port: number; origin: string } {
  const match = typeof target === 'string' ? /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+):(\d{1,5})$/.exec(target) : null;
  const port = Number(match?.[2]);
  if (match === null || !(port >= 1 && port <= 65_535)) {
    fail(WHERE, 'target', "'host:port' (e.g. '127.0.0.1:50051' or '[::1]:50051')", target);
  }
  const host = match[1]!;
  return { host: host.replace(/^\[|\]$/g, ''), port, origin: `${secure ? 'https' : 'http'}://${host}:${port}` };
}
