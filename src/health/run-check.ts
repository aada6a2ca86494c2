import type { CheckResult, HealthStatus, HealthTimers } from './check-types.js';

export type BoundedOutcome<T> =
  | { kind: 'value'; value: T }
  | { kind: 'error'; error: unknown }
  | { kind: 'timeout' }
  | { kind: 'cancelled' };

/**
 * Cancels every bounded run started in it at once (the manager stopping). A Set rather than an
 * AbortSignal: thousands of concurrent runs would make a signal's listener list quadratic.
 */
export class CancelScope {
  private readonly pending = new Set<() => void>();
  private done = false;

  get cancelled(): boolean {
    return this.done;
  }

  /** Calls `onCancel` when the scope is cancelled; returns the function that forgets it. */
  add(onCancel: () => void): () => void {
    this.pending.add(onCancel);
    return () => this.pending.delete(onCancel);
  }

  cancel(): void {
    this.done = true;
    const pending = [...this.pending];
    this.pending.clear();
    for (const onCancel of pending) onCancel();
  }
}

/**
 * Whether the timers of one run of a check (check, heal, re-check: one timer at a time) keep the
 * process alive. A round the user awaits through `runAll()` does, bounded by the timeouts, exactly
 * like any awaited timeout, so a script does not exit in the middle of it; background rounds never
 * do. A background run that `runAll()` joins is held from then on, its pending timer included.
 */
export class KeepAlive {
  private armed: unknown;

  constructor(private held: boolean) {}

  /** Takes the timer a bounded run just started: unref'd unless the run is held. */
  arm(handle: unknown): void {
    this.armed = handle;
    if (!this.held) unref(handle);
  }

  disarm(handle: unknown): void {
    if (this.armed === handle) this.armed = undefined;
  }

  hold(): void {
    if (this.held) return;
    this.held = true;
    if (this.armed !== undefined) ref(this.armed);
  }
}

/**
 * Runs `fn` and settles with whatever comes first: its value, its error, or the timeout. After a
 * timeout the signal fires and the late value or error is dropped, so a hanging check or heal can
 * never hold the manager up. The timer is cleared as soon as `fn` settles; it is unref'd unless
 * `keepAlive` holds the run. Cancelling `scope` (the manager stopping) settles it at once as
 * `cancelled`, so no timer outlives `stop()`.
 */
export function runBounded<T>(
  fn: (signal: AbortSignal) => T | Promise<T>,
  timeoutMs: number,
  timers: HealthTimers,
  scope?: CancelScope,
  keepAlive: KeepAlive = new KeepAlive(false),
): Promise<BoundedOutcome<Awaited<T>>> {
  if (scope?.cancelled) return Promise.resolve({ kind: 'cancelled' });
  const controller = new AbortController();
  return new Promise((resolve) => {
    let settled = false;
    const finish = (outcome: BoundedOutcome<Awaited<T>>): void => {
      if (settled) return;
      settled = true;
      timers.clearTimeout(handle);
      keepAlive.disarm(handle);
      forget?.();
      resolve(outcome);
    };
    const forget = scope?.add(() => {
      finish({ kind: 'cancelled' });
      controller.abort(new Error('health checks stopped'));
    });
    const handle = timers.setTimeout(() => {
      finish({ kind: 'timeout' });
      controller.abort(new Error(`timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    keepAlive.arm(handle);
    try {
      Promise.resolve(fn(controller.signal)).then(
        (value) => finish({ kind: 'value', value }),
        (error: unknown) => finish({ kind: 'error', error }),
      );
    } catch (error) {
      finish({ kind: 'error', error });
    }
  });
}

export function unref(handle: unknown): void {
  const h = handle as { unref?: () => void } | null;
  if (h !== null && typeof h === 'object' && typeof h.unref === 'function') h.unref();
}

function ref(handle: unknown): void {
  const h = handle as { ref?: () => void } | null;
  if (h !== null && typeof h === 'object' && typeof h.ref === 'function') h.ref();
}

/** Longest message kept from a check (a thrown error can carry a whole response body). */
export const MAX_MESSAGE_LENGTH = 256;

export function capMessage(text: string): string {
  return text.length <= MAX_MESSAGE_LENGTH ? text : `${text.slice(0, MAX_MESSAGE_LENGTH - 1)}…`;
}

/**
 * What a thrown value says, capped. Only an Error's message or a string is shown: an arbitrary
 * object is never serialized, as it may hold a token or a whole request.
 */
export function errorMessage(error: unknown): string {
  try {
    if (error instanceof Error) return capMessage(String(error.message) || error.name);
    if (typeof error === 'string') return capMessage(error);
  } catch {
    // a getter that throws: fall through to the type
  }
  return `a non-Error value (${kindOf(error)})`;
}

/** The kind of a value, never its contents. */
function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

export interface NormalizedResult {
  status: HealthStatus;
  message: string;
  details: Record<string, unknown> | undefined;
}

/** Details go into every report: one that cannot be serialized must not break the endpoint. */
function jsonSafe(details: Record<string, unknown>): Record<string, unknown> {
  try {
    JSON.stringify(details);
    return details;
  } catch (error) {
    return { error: `details are not JSON-serializable: ${errorMessage(error)}` };
  }
}

const STATUSES: readonly HealthStatus[] = ['healthy', 'degraded', 'unhealthy', 'unknown'];

/** What a check's settled outcome means: a boolean, a `CheckResult`, a throw or a timeout. */
export function toResult(outcome: BoundedOutcome<boolean | CheckResult>, timeoutMs: number): NormalizedResult {
  if (outcome.kind === 'timeout' || outcome.kind === 'cancelled') {
    return { status: 'unhealthy', message: `timed out after ${timeoutMs} ms`, details: undefined };
  }
  if (outcome.kind === 'error') {
    return { status: 'unhealthy', message: errorMessage(outcome.error), details: undefined };
  }
  const value = outcome.value;
  if (value === true) return { status: 'healthy', message: 'ok', details: undefined };
  if (value === false) return { status: 'unhealthy', message: 'check failed', details: undefined };
  try {
    return fromCheckResult(value);
  } catch (error) {
    // A result whose getters throw (a proxy, a lazy object) is a failed check, not a stuck one.
    return { status: 'unhealthy', message: `check result could not be read: ${errorMessage(error)}`, details: undefined };
  }
}

/** Each field is read once: a getter may answer differently, or throw, on a second read. */
function fromCheckResult(value: unknown): NormalizedResult {
  if (typeof value === 'object' && value !== null) {
    const { status, message, details } = value as CheckResult;
    if (STATUSES.includes(status)) {
      const shown = typeof message === 'string' ? message : status === 'healthy' ? 'ok' : status;
      return {
        status,
        message: capMessage(shown),
        details: typeof details === 'object' && details !== null ? jsonSafe(details) : undefined,
      };
    }
  }
  return {
    status: 'unhealthy',
    message: `check returned ${describeReturned(value)}; expected a boolean or { status, message, details }`,
    details: undefined,
  };
}

/** A primitive is shown (capped); an object never is. */
function describeReturned(value: unknown): string {
  if (typeof value === 'string') return capMessage(JSON.stringify(value));
  if (typeof value !== 'object' && typeof value !== 'function') return String(value);
  if (value === null) return 'null';
  return Array.isArray(value) ? 'an array' : typeof value === 'function' ? 'a function' : 'an object without a valid status';
}
