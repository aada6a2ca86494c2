import http from 'node:http';
import { InstrumentationNodeModuleDefinition } from '@opentelemetry/instrumentation';
import type { CircuitBreaker } from '../breaker/circuit-breaker.js';
import { CallTimeoutError, CircuitOpenError } from '../breaker/errors.js';
import { deliverRejection } from '../common/rejection-turns.js';
import type { ClientContext } from './client-context.js';
import { httpDestination, type AgentRequestOptions } from './http-destination.js';
import { HttpExchangeOutcome, retryAfterApplies } from './http-outcome.js';
import { isPatched, unwrap, wrap } from './wrap.js';

/*
 * Where node:http(s) is intercepted, and why there.
 *
 * @opentelemetry/instrumentation-http wraps the exported `request` and `get` of `http` and `https`
 * (and, for ESM, relies on import-in-the-middle or `module.syncBuiltinESMExports()` to reach named
 * imports). That misses every reference taken before the patch (`const { request } = require('http')`
 * in a module loaded before enable, a library that kept `http.get`), needs a second patch for `get`
 * (which calls the module-internal `request`), and must re-parse every calling form (URL string,
 * URL, options, `(url, options, cb)`, `host` vs `hostname`, default ports) to learn the destination
 * BEFORE the request exists, since creating it already starts the connection.
 *
 * Breakwater patches one method instead: `http.Agent.prototype.addRequest`. Every ClientRequest
 * that uses an agent, however it was created (`http.request`, `http.get`, `https.*` — https.Agent
 * inherits it —, named ESM imports, references captured before enable, axios, got, node-fetch,
 * `agent: false`, which makes a throw-away Agent), calls it synchronously from its constructor,
 * before any socket exists, with options Node has already normalised (`host`, `port`, `socketPath`).
 * A rejection then answers the request the way an agent answers a failed connection:
 * `req.onSocket(undefined, err)`, after which Node emits `error` and `close` on the next tick — so
 * `.write()`, `.end()`, `.on()` and the callback form all behave as for a refused connection, and
 * no socket is ever opened.
 *
 * Not covered: requests made with `createConnection` and no agent, and custom agents that override
 * `addRequest` without calling it (old agent-base versions); they go through unprotected.
 * `socketPath` requests (local IPC) are never protected.
 *
 * Both module definitions ('http' and 'https') drive the same patch, so an application that only
 * loads `https` is covered; the patch stays until both are unpatched.
 */

type AddRequest = (this: http.Agent, req: http.ClientRequest, options: AgentRequestOptions) => void;

const agentPrototype = http.Agent.prototype as unknown as { addRequest: AddRequest };

export function httpModuleDefinitions(ctx: ClientContext): InstrumentationNodeModuleDefinition[] {
  const owners = new Set<string>();
  return (['http', 'https'] as const).map(
    (name) =>
      new InstrumentationNodeModuleDefinition(
        name,
        ['*'],
        (moduleExports: unknown) => {
          if (owners.size === 0) attach(ctx);
          owners.add(name);
          return moduleExports;
        },
        () => {
          if (owners.delete(name) && owners.size === 0) detach(ctx);
        },
      ),
  );
}

/** Whether node:http(s) requests currently go through breakwater (tests and diagnostics). */
export function isHttpPatched(): boolean {
  return isPatched(agentPrototype, 'addRequest');
}

/**
 * The context of the patch that is on, read by the wrappers on each call rather than kept in
 * their closures: wrap() re-uses a wrapper that someone else's patch still sits on, so the
 * wrapper installed for one instrumentation may later serve another.
 */
let current: ClientContext | undefined;
/** Where the request watchers report their own faults (the last context attached). */
let watcherDiag: ClientContext['diag'] | undefined;

function attach(ctx: ClientContext): void {
  current = ctx;
  watcherDiag = ctx.diag;
  watchRequests();
  wrap(agentPrototype, 'addRequest', (original, patch) =>
    function addRequest(this: http.Agent, req: http.ClientRequest, options: AgentRequestOptions): void {
      const active = current;
      // Node always passes an options object; the legacy (req, host, port) form goes through as it is.
      // eslint-disable-next-line prefer-rest-params
      if (!patch.active || active === undefined || typeof options !== 'object') return Reflect.apply(original, this, arguments) as void;
      protectedAddRequest(active, this, original, req, options);
    },
  );
}

function detach(ctx: ClientContext): void {
  if (current !== ctx) return;
  current = undefined;
  unwrap(agentPrototype, 'addRequest');
  // The requests in flight still hold permits: the watchers go once the last one has settled.
  if (pending === 0) unwatchRequests();
}

function protectedAddRequest(
  ctx: ClientContext,
  agent: http.Agent,
  original: AddRequest,
  req: http.ClientRequest,
  options: AgentRequestOptions,
): void {
  let outcome: HttpExchangeOutcome | undefined;
  try {
    // Destroyed already: an AbortSignal that was aborted before the request was made. Node
    // reports that itself; nothing reaches the destination, so there is nothing to count.
    if (!req.destroyed) {
      const breaker = breakerOf(ctx, agent, req, options);
      if (breaker) {
        const permit = breaker.tryAcquire();
        if (!permit) {
          reject(req, breaker);
          return;
        }
        outcome = new HttpExchangeOutcome(permit, ctx);
        hold(req as WatchedRequest, outcome);
        const timeoutMs = breaker.callTimeoutMs;
        if (timeoutMs !== undefined) outcome.deadline = deadline(req, breaker.name, timeoutMs);
      }
    }
  } catch (err) {
    ctx.diag.error('breakwater: could not protect an http request; it goes through unprotected', err);
    if (outcome) {
      outcome.abandon();
      release(req as WatchedRequest);
    }
  }
  try {
    original.call(agent, req, options);
  } catch (err) {
    // Node refused to start the request and throws to the caller: nothing was sent.
    if (outcome) {
      outcome.abandon();
      release(req as WatchedRequest);
    }
    throw err;
  }
}

/**
 * The request's breaker. Usually straight from what Node already normalised: the request's `host`
 * and the options' numeric `port` (reads of a fast object and one field, no object built); anything
 * else (a string port, a Unix socket, a custom agent's options) is read the long way.
 */
function breakerOf(ctx: ClientContext, agent: http.Agent, req: http.ClientRequest, options: AgentRequestOptions): CircuitBreaker | undefined {
  const { host, socketPath } = req as unknown as { host?: unknown; socketPath?: unknown };
  const port = options.port;
  if (typeof host === 'string' && host !== '' && !socketPath && typeof port === 'number' && Number.isInteger(port) && port >= 0 && port <= 65535) {
    return ctx.breakerFor(host, port);
  }
  const destination = httpDestination(options, agentDefaultPort(agent));
  return destination && ctx.breakerFor(destination.host, destination.port);
}

function agentDefaultPort(agent: http.Agent): number {
  const port = (agent as { defaultPort?: unknown }).defaultPort;
  return typeof port === 'number' ? port : 80;
}

/**
 * `callTimeoutMs`: no response headers by then, and the request is destroyed with a
 * CallTimeoutError (code ETIMEDOUT), which the caller gets as its `error` and the breaker counts
 * as a failure. Cleared when the exchange settles.
 */
function deadline(req: http.ClientRequest, name: string, timeoutMs: number): NodeJS.Timeout {
  return setTimeout(() => req.destroy(new CallTimeoutError(name, timeoutMs)), timeoutMs).unref();
}

/**
 * Fail the request exactly as an agent fails one whose connection could not be made; past this
 * turn's rejection budget, on setImmediate, so a tight retry loop leaves room for timers and I/O.
 */
function reject(req: http.ClientRequest, breaker: CircuitBreaker): void {
  deliverRejection(failRequest, req, new CircuitOpenError(breaker.name, breaker.retryAfterMs(), breaker.state));
}

function failRequest(req: http.ClientRequest, error: CircuitOpenError): void {
  (req as unknown as { onSocket(socket: undefined, err: Error): void }).onSocket(undefined, error);
}

/*
 * How a protected request's events reach its outcome. The request keeps its outcome under a
 * symbol until it settles; `emit` and `destroy` are watched once, on ClientRequest.prototype, and
 * do nothing for a request without one. Per request that costs one property store: no closures,
 * no per-request methods. disable() leaves the watchers until the last request holding an outcome
 * has settled (`pending` counts them), so a permit handed out is always settled.
 *
 * `emit` is watched rather than listened to: a `response` listener would change Node's behaviour
 * (a response nobody listens to is dumped so the socket is freed; with a listener of ours it
 * would never be read). `destroy` is watched to tell a caller's abort from a destination's
 * failure, since both end in the same `socket hang up` error.
 */
const kOutcome = Symbol('breakwater.httpOutcome');

type WatchedRequest = http.ClientRequest & { [kOutcome]?: HttpExchangeOutcome | undefined };
type Emit = (this: http.ClientRequest, event: string | symbol, ...args: unknown[]) => boolean;
type Destroy = (this: http.ClientRequest, err?: Error) => http.ClientRequest;

const requestPrototype = http.ClientRequest.prototype as unknown as { emit: Emit; destroy: Destroy };

/** Requests holding an outcome (a permit) that has not settled yet. */
let pending = 0;

function hold(req: WatchedRequest, outcome: HttpExchangeOutcome): void {
  req[kOutcome] = outcome;
  pending++;
}

function release(req: WatchedRequest): void {
  if (req[kOutcome] === undefined) return;
  req[kOutcome] = undefined;
  if (--pending === 0 && current === undefined) unwatchRequests();
}

function watchRequests(): void {
  // ClientRequest inherits `emit` from EventEmitter: the wrapper asks the parent prototype on each
  // call, so a later patch of EventEmitter.prototype.emit (domain, an APM) still applies. An own
  // `emit` someone put there before us is called as it is.
  const parent = Object.getPrototypeOf(requestPrototype) as { emit: Emit };
  const own = Object.hasOwn(requestPrototype, 'emit');
  wrap(requestPrototype, 'emit', (original) =>
    function emit(this: WatchedRequest, event: string | symbol, arg?: unknown): boolean {
      const outcome = this[kOutcome];
      // 'socket', 'prefinish' and 'finish' come before every response and settle nothing: they
      // skip the call.
      if (outcome !== undefined && event !== 'finish' && event !== 'prefinish' && event !== 'socket') settleOn(this, outcome, event, arg);
      // Every argument goes on untouched (`arguments` as is: no array built per event).
      // eslint-disable-next-line prefer-rest-params
      return Reflect.apply(own ? original : parent.emit, this, arguments) as boolean;
    },
  );
  wrap(requestPrototype, 'destroy', (original) =>
    function destroy(this: WatchedRequest, err?: Error): http.ClientRequest {
      this[kOutcome]?.callerDestroy(err);
      return original.call(this, err);
    },
  );
}

function unwatchRequests(): void {
  unwrap(requestPrototype, 'emit');
  unwrap(requestPrototype, 'destroy');
}

function settleOn(req: WatchedRequest, outcome: HttpExchangeOutcome, event: string | symbol, arg: unknown): void {
  try {
    switch (event) {
      case 'response':
      case 'upgrade':
      case 'connect': {
        const res = arg as http.IncomingMessage;
        const status = res.statusCode ?? 0;
        // `headers` is built from the raw headers on first read: only a 429/503 pays for that.
        outcome.response(status, retryAfterApplies(status) ? res.headers['retry-after'] : undefined);
        break;
      }
      case 'error':
        outcome.error(arg, req.reusedSocket);
        break;
      case 'timeout':
        outcome.timeout();
        return;
      case 'close':
        outcome.close();
        break;
      default:
        return;
    }
  } catch (err) {
    watcherDiag?.error('breakwater: could not settle an http request outcome', err);
  }
  // Settled (or past saving): the request's later events are none of our business.
  release(req);
}
