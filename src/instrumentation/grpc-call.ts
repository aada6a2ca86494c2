import type { DiagLogger } from '@opentelemetry/api';
import type { CircuitOpenError } from '../breaker/errors.js';
import type { Permit } from '../breaker/types.js';
import { rejectionOverBudget } from '../common/rejection-turns.js';
import { abandonedIsFailure, abandonError } from './abandoned-call.js';
import { GRPC_DEADLINE_EXCEEDED, grpcCallOutcome, retryPushbackMs } from './grpc-outcome.js';

// Structural copies of grpc-js's `Call` and `InterceptingListener` (call-interface.ts). They are the
// contract of grpc-js's public `Channel` interface (`createCall()` returns a `Call`), which custom
// channels implement too, so they are stable across 1.x. Declared here so that breakwater's types
// never depend on grpc-js being installed.

export interface GrpcStatus {
  code: number;
  details: string;
  metadata: unknown;
}

export interface GrpcListener {
  onReceiveMetadata(metadata: unknown): void;
  onReceiveMessage(message: unknown): void;
  onReceiveStatus(status: GrpcStatus): void;
}

interface MessageContext {
  callback?: (error?: Error | null) => void;
}

export interface GrpcCall {
  cancelWithStatus(code: number, details: string): void;
  getPeer(): string;
  start(metadata: unknown, listener: GrpcListener): void;
  sendMessageWithContext(context: MessageContext, message: unknown): void;
  startRead(): void;
  halfClose(): void;
  getCallNumber?(): number;
  setCredentials?(credentials: unknown): void;
  getAuthContext?(): unknown;
  // grpc-js before 1.7 also had these on its Call interface
  getDeadline?(): unknown;
  getCredentials?(): unknown;
  getMethod?(): string;
  getHost?(): string;
}

export interface OutcomeRules {
  isFailureGrpcCode(code: number): boolean;
  /** Below this, a caller's cancel before any response is ignored (abandoned-call.ts). */
  readonly abortGraceMs: number;
  readonly diag: DiagLogger;
}

/**
 * A permitted call: forwards everything to grpc-js's own call and settles the permit exactly once,
 * when the call's status arrives. grpc-js delivers exactly one status for every started call —
 * OK, an error from the server, a deadline, a cancel, a connection failure — so this one place
 * covers unary and streaming calls alike, and a stream holds its permit until it has ended.
 *
 * It is its own listener (to allocate nothing more per call). `cancelWithStatus` arrives here only
 * from above — the caller's `call.cancel()` or a client-side fault in grpc-js's serialization —
 * because grpc-js's internal cancels (deadline, channel shutdown) run on the inner call itself.
 * A cancel before any response metadata or message follows the rule of abandoned-call.ts.
 */
export class ProtectedGrpcCall implements GrpcCall, GrpcListener {
  private listener: GrpcListener | undefined;
  private cancelledAt = NaN;
  private responded = false;
  private readonly startedAt = Date.now();
  /** The `callTimeoutMs` timer: cleared by the first response metadata, message or status. */
  private deadline: NodeJS.Timeout | undefined;
  private timedOut = false;

  constructor(
    private readonly inner: GrpcCall,
    private readonly permit: Permit,
    private readonly rules: OutcomeRules,
    private readonly timeoutMs: number | undefined = undefined,
  ) {}

  start(metadata: unknown, listener: GrpcListener): void {
    this.listener = listener;
    try {
      this.inner.start(metadata, this);
    } catch (err) {
      this.permit.ignore();
      throw err;
    }
    const timeoutMs = this.timeoutMs;
    if (timeoutMs !== undefined) {
      this.deadline = setTimeout(() => {
        this.timedOut = true;
        this.inner.cancelWithStatus(GRPC_DEADLINE_EXCEEDED, `breakwater: no response within ${timeoutMs} ms (callTimeoutMs)`);
      }, timeoutMs).unref();
    }
  }

  cancelWithStatus(code: number, details: string): void {
    if (this.cancelledAt !== this.cancelledAt) this.cancelledAt = Date.now();
    this.inner.cancelWithStatus(code, details);
  }

  onReceiveMetadata(metadata: unknown): void {
    this.responded = true;
    this.clearDeadline();
    this.listener?.onReceiveMetadata(metadata);
  }

  onReceiveMessage(message: unknown): void {
    this.responded = true;
    this.clearDeadline();
    this.listener?.onReceiveMessage(message);
  }

  private clearDeadline(): void {
    if (this.deadline === undefined) return;
    clearTimeout(this.deadline);
    this.deadline = undefined;
  }

  onReceiveStatus(status: GrpcStatus): void {
    this.settle(status);
    this.listener?.onReceiveStatus(status);
  }

  getPeer(): string {
    return this.inner.getPeer();
  }

  sendMessageWithContext(context: MessageContext, message: unknown): void {
    this.inner.sendMessageWithContext(context, message);
  }

  startRead(): void {
    this.inner.startRead();
  }

  halfClose(): void {
    this.inner.halfClose();
  }

  getCallNumber(): number {
    return this.inner.getCallNumber?.() ?? 0;
  }

  setCredentials(credentials: unknown): void {
    this.inner.setCredentials?.(credentials);
  }

  getAuthContext(): unknown {
    return this.inner.getAuthContext?.() ?? null;
  }

  getDeadline(): unknown {
    return this.inner.getDeadline?.();
  }

  getCredentials(): unknown {
    return this.inner.getCredentials?.();
  }

  getMethod(): string {
    return this.inner.getMethod?.() ?? '';
  }

  getHost(): string {
    return this.inner.getHost?.() ?? '';
  }

  private settle(status: GrpcStatus): void {
    this.clearDeadline();
    try {
      if (this.timedOut) {
        this.permit.failure(statusError(status));
        return;
      }
      const cancelled = this.cancelledAt === this.cancelledAt;
      const elapsedMs = this.cancelledAt - this.startedAt;
      if (cancelled && status.code !== 0 && !this.responded && abandonedIsFailure(elapsedMs, this.rules.abortGraceMs, undefined)) {
        this.permit.failure(abandonError(elapsedMs, undefined, statusError(status)));
        return;
      }
      const outcome = grpcCallOutcome(status.code, cancelled, (code) => this.rules.isFailureGrpcCode(code));
      if (outcome === 'success') this.permit.success();
      else if (outcome === 'ignored') this.permit.ignore();
      else this.permit.failure(statusError(status), retryPushbackMs(status.metadata));
    } catch (err) {
      this.rules.diag.error('breakwater: settling a gRPC call failed; the call counts as ignored', err);
      this.permit.ignore();
    }
  }
}

/** What the breaker's `failure` event and `isFailure` see for a failed call. */
function statusError(status: GrpcStatus): Error {
  return Object.assign(new Error(`gRPC status ${status.code}: ${status.details}`), {
    code: status.code,
    details: status.details,
  });
}

/** The status a rejected call ends with; `cause` lands on the caller's error as `err.cause`. */
export interface RejectionStatus extends GrpcStatus {
  cause: CircuitOpenError;
}

function endCall(listener: GrpcListener, status: RejectionStatus): void {
  listener.onReceiveStatus(status);
}

/**
 * The stand-in for a call the breaker did not permit. It never touches the channel: nothing is
 * resolved, connected or sent. It ends with UNAVAILABLE — what gRPC clients already treat as "the
 * server cannot be reached now" — on the next tick, after grpc-js has finished setting the call up,
 * as a real call's status would. grpc-js turns the status into the caller's error with
 * `Object.assign(new Error(...), status)`, so `cause` becomes `err.cause` (the CircuitOpenError)
 * and the `status` event carries it too.
 */
export class RejectedCall implements GrpcCall {
  private started = false;

  constructor(
    private readonly status: RejectionStatus,
    private readonly peer: string,
    private readonly method: string,
    private readonly deadline: unknown,
  ) {}

  start(_metadata: unknown, listener: GrpcListener): void {
    if (this.started) return;
    this.started = true;
    // Past this turn's rejection budget the status waits for setImmediate instead, so a tight
    // retry loop leaves room for timers and I/O.
    if (rejectionOverBudget()) setImmediate(endCall, listener, this.status);
    else process.nextTick(endCall, listener, this.status);
  }

  // The call has already ended (from the caller's point of view); a cancel cannot change that.
  cancelWithStatus(): void {}

  // Writes are dropped but acknowledged, so a client stream's writers and `end()` do not hang
  // waiting for a callback; the caller learns of the rejection from the status.
  sendMessageWithContext(context: MessageContext): void {
    if (context.callback) process.nextTick(context.callback);
  }

  getPeer(): string {
    return this.peer;
  }

  startRead(): void {}
  halfClose(): void {}
  getCallNumber(): number {
    return 0;
  }
  setCredentials(): void {}
  getAuthContext(): null {
    return null;
  }
  getDeadline(): unknown {
    return this.deadline;
  }
  getCredentials(): undefined {
    return undefined;
  }
  getMethod(): string {
    return this.method;
  }
  getHost(): string {
    return this.peer;
  }
}
