import http from 'node:http';
import { InstrumentationNodeModuleDefinition } from '@opentelemetry/instrumentation';
import type { CircuitBreaker } from '../breaker/circuit-breaker.js';
import { CircuitOpenError } from '../breaker/errors.js';
import type { ClientContext } from './client-context.js';
import { httpDestination, type AgentRequestOptions } from './http-destination.js';
import { HttpExchangeOutcome } from './http-outcome.js';
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
  const patch = new AgentPatch(ctx);
  return (['http', 'https'] as const).map(
    (name) =>
      new InstrumentationNodeModuleDefinition(
        name,
        ['*'],
        (moduleExports: unknown) => {
          patch.attach(name);
          return moduleExports;
        },
        () => patch.detach(name),
      ),
  );
}

/** Whether node:http(s) requests currently go through breakwater (tests and diagnostics). */
export function isHttpPatched(): boolean {
  return isPatched(agentPrototype, 'addRequest');
}

class AgentPatch {
  private readonly owners = new Set<string>();

  constructor(private readonly ctx: ClientContext) {}

  attach(owner: string): void {
    if (this.owners.size === 0) {
      const ctx = this.ctx;
      wrap(agentPrototype, 'addRequest', (original) =>
        function addRequest(this: http.Agent, req: http.ClientRequest, options: AgentRequestOptions): void {
          protectedAddRequest(ctx, this, original, req, options);
        },
      );
    }
    this.owners.add(owner);
  }

  detach(owner: string): void {
    if (!this.owners.delete(owner) || this.owners.size > 0) return;
    unwrap(agentPrototype, 'addRequest');
  }
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
      const destination = httpDestination(options, agentDefaultPort(agent));
      const breaker = destination && ctx.breakerFor(destination.host, destination.port);
      if (breaker) {
        const permit = breaker.tryAcquire();
        if (!permit) {
          reject(req, breaker);
          return;
        }
        outcome = new HttpExchangeOutcome(permit, ctx);
        observe(req, outcome, ctx);
      }
    }
  } catch (err) {
    ctx.diag.error('breakwater: could not protect an http request; it goes through unprotected', err);
    outcome?.abandon();
  }
  try {
    original.call(agent, req, options);
  } catch (err) {
    // Node refused to start the request and throws to the caller: nothing was sent.
    outcome?.abandon();
    throw err;
  }
}

function agentDefaultPort(agent: http.Agent): number {
  const port = (agent as { defaultPort?: unknown }).defaultPort;
  return typeof port === 'number' ? port : 80;
}

/** Fail the request exactly as an agent fails one whose connection could not be made. */
function reject(req: http.ClientRequest, breaker: CircuitBreaker): void {
  const error = new CircuitOpenError(breaker.name, breaker.retryAfterMs(), breaker.state);
  (req as unknown as { onSocket(socket: undefined, err: Error): void }).onSocket(undefined, error);
}

/**
 * Feeds the request's events to its outcome. It watches `emit` rather than adding listeners:
 * a `response` listener would change Node's behaviour (a response nobody listens to is dumped so
 * the socket is freed; with a listener of ours it would never be read). `destroy` is watched to
 * tell a caller's abort from a destination's failure, since both end in the same
 * `socket hang up` error.
 */
function observe(req: http.ClientRequest, outcome: HttpExchangeOutcome, ctx: ClientContext): void {
  const emit = req.emit;
  const destroy = req.destroy;
  const observedEmit = function observedEmit(this: http.ClientRequest, event: string | symbol, arg?: unknown): boolean {
    if (!outcome.isSettled) {
      try {
        settleOn(this, outcome, event, arg);
      } catch (err) {
        ctx.diag.error('breakwater: could not settle an http request outcome', err);
      }
      // Settled: step out of the way for the rest of the request's life (unless someone wrapped us).
      if (outcome.isSettled && req.emit === observedEmit) restore(req, 'emit', emit);
      if (outcome.isSettled && req.destroy === observedDestroy) restore(req, 'destroy', destroy);
    }
    // Every argument goes on untouched; the usual one- and two-argument events skip building an
    // `arguments` object.
    const count = arguments.length;
    if (count === 2) return emit.call(this, event, arg);
    if (count === 1) return emit.call(this, event);
    // eslint-disable-next-line prefer-rest-params
    return Reflect.apply(emit, this, arguments) as boolean;
  } as typeof req.emit;
  const observedDestroy = function observedDestroy(this: http.ClientRequest, err?: Error): http.ClientRequest {
    outcome.callerDestroy(err);
    return destroy.call(this, err);
  };
  req.emit = observedEmit;
  req.destroy = observedDestroy;
}

// Assigning the original back (rather than deleting the own property) keeps the request's shape:
// a delete would turn it into a slow dictionary object for all of Node's own code.
function restore<K extends 'emit' | 'destroy'>(req: http.ClientRequest, name: K, value: http.ClientRequest[K]): void {
  req[name] = value;
}

function settleOn(req: http.ClientRequest, outcome: HttpExchangeOutcome, event: string | symbol, arg: unknown): void {
  switch (event) {
    case 'response':
    case 'upgrade':
    case 'connect': {
      const res = arg as http.IncomingMessage;
      outcome.response(res.statusCode ?? 0, res.headers['retry-after']);
      return;
    }
    case 'error':
      outcome.error(arg, req.reusedSocket);
      return;
    case 'timeout':
      outcome.timeout();
      return;
    case 'close':
      outcome.close();
      return;
  }
}
