/**
 * A protected view of an undici dispatcher: the same object in every respect (methods, events,
 * `instanceof`, `compose`, `close`, stats) except that `dispatch` asks the destination's breaker
 * first. A Proxy rather than a subclass or a wrapper Dispatcher because the dispatcher can come from
 * any undici copy (Node's bundled one, the application's `undici` 6, 7 or 8) or be a user's own
 * object, and private fields (`#dispatcher` in undici's Dispatcher1Wrapper) only work when methods
 * run on the real object — so every method is handed out bound to it.
 */
import { CircuitOpenError } from '../breaker/errors.js';
import type { ClientContext } from './client-context.js';
import {
  isModernHandler,
  LegacyCall,
  ModernCall,
  rejectDispatch,
  type CallSetup,
  type Dispatcher,
  type LegacyHandler,
} from './undici-call.js';
import { isReplayable, undiciDestination, type DispatchOptions, type ResolvedFetchRetry } from './undici-request.js';

export interface ProtectionSettings {
  readonly ctx: ClientContext;
  /** The resolved `ctx.retry`, read per dispatch so a reconfigured instrumentation takes effect. */
  retry(): ResolvedFetchRetry | undefined;
}

const targets = new WeakMap<object, object>();

/** The dispatcher behind a protected view, or undefined when `value` is not one. */
export function unprotectedDispatcher(value: unknown): object | undefined {
  return typeof value === 'object' && value !== null ? targets.get(value) : undefined;
}

// Set while a protected dispatch runs the dispatcher below it. Dispatching is synchronous down the
// chain, so a protected view reached from inside another (e.g. undici's Dispatcher1Wrapper around a
// protected dispatcher that a test suite put back with setGlobalDispatcher) passes the request
// straight on: one permit per request, never two.
let nested = false;

function dispatchNested(target: Dispatcher, opts: DispatchOptions, handler: object): boolean {
  if (nested) return target.dispatch(opts, handler);
  nested = true;
  try {
    return target.dispatch(opts, handler);
  } finally {
    nested = false;
  }
}

export function protectDispatcher<T extends object>(target: T, settings: ProtectionSettings): T {
  const dispatcher = target as unknown as Dispatcher;
  const dispatch = (opts: DispatchOptions, handler: object): boolean => protectedDispatch(dispatcher, opts, handler, settings);
  const bound = new Map<PropertyKey, { original: unknown; bound: unknown }>();
  const view = new Proxy(target, {
    get(t, key) {
      if (key === 'dispatch') return dispatch;
      const value: unknown = Reflect.get(t, key, t);
      // `constructor` stays itself: code does `new (getGlobalDispatcher().constructor)()`.
      if (typeof value !== 'function' || key === 'constructor') return value;
      let entry = bound.get(key);
      if (entry?.original !== value) {
        entry = { original: value, bound: (value as (...args: unknown[]) => unknown).bind(t) };
        bound.set(key, entry);
      }
      return entry.bound;
    },
  });
  targets.set(view, target);
  return view;
}

function protectedDispatch(target: Dispatcher, opts: DispatchOptions, handler: object, settings: ProtectionSettings): boolean {
  if (nested) return target.dispatch(opts, handler);
  const { ctx } = settings;
  let setup: CallSetup | undefined;
  let rejection: CircuitOpenError | undefined;
  try {
    const destination = undiciDestination(opts?.origin);
    const breaker = destination && ctx.breakerFor(destination.host, destination.port);
    if (breaker) {
      const permit = breaker.tryAcquire();
      if (permit === undefined) {
        rejection = new CircuitOpenError(breaker.name, breaker.retryAfterMs(), breaker.state);
      } else {
        const retry = settings.retry();
        setup = {
          ctx,
          breaker,
          permit,
          target,
          opts,
          retry: retry !== undefined && isReplayable(opts) ? retry : undefined,
          redispatch: dispatchNested,
        };
      }
    }
  } catch (err) {
    ctx.diag.error('breakwater: could not protect an undici request; it goes through unprotected', err);
    setup = undefined;
  }
  if (rejection !== undefined) {
    // Answered before the dispatcher sees the request: no connection is opened or taken from the pool.
    rejectDispatch(handler, rejection);
    return true;
  }
  if (setup === undefined) return target.dispatch(opts, handler);
  const call = isModernHandler(handler) ? new ModernCall(setup, handler) : new LegacyCall(setup, handler as LegacyHandler);
  try {
    return dispatchNested(target, opts, call);
  } catch (err) {
    call.abandon();
    throw err;
  }
}
