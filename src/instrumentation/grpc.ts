import { InstrumentationNodeModuleDefinition } from '@opentelemetry/instrumentation';
import { CircuitOpenError } from '../breaker/errors.js';
import type { CircuitBreaker } from '../breaker/circuit-breaker.js';
import type { Permit } from '../breaker/types.js';
import type { ClientContext } from './client-context.js';
import { ProtectedGrpcCall, RejectedCall, type GrpcCall } from './grpc-call.js';
import { GRPC_UNAVAILABLE } from './grpc-outcome.js';
import { breakerKeyForTarget } from './grpc-target.js';
import { unwrap, wrap } from './wrap.js';

/*
 * Where the breaker sits: `Channel.prototype.createCall`.
 *
 * Every grpc-js client call — from clients made by `loadPackageDefinition`, `makeClientConstructor`
 * or a plain `Client`, unary or streaming, through any user interceptors — ends in one
 * `channel.createCall()` per attempt that goes on the wire (an interceptor that retries makes one
 * per retry, and each is an outcome). Wrapping that one prototype method covers them all.
 *
 * Injecting a breakwater interceptor instead (the `interceptors` / `interceptor_providers` options)
 * looks tidier but composes badly: interceptors passed to a call *replace* those passed to the
 * client, grpc-js refuses a client or call that has both `interceptors` and `interceptor_providers`
 * (so adding ours next to a user's providers would break their code), and reaching clients already
 * constructed would mean patching `makeClientConstructor`, `loadPackageDefinition` and the four
 * `Client.prototype.make*Request` methods as @opentelemetry/instrumentation-grpc does. At the channel
 * none of that arises, and patching a different function than instrumentation-grpc does means the
 * two coexist in either registration order: its span wraps the call, our breaker the wire attempt.
 *
 * A rejected call gets a stand-in `Call` (RejectedCall) that never reaches the channel's resolver
 * or connections, so nothing is sent; a permitted call is wrapped (ProtectedGrpcCall) to settle its
 * permit on the call's one final status.
 *
 * Not covered: a client built with `channelOverride` set to a user's own `Channel` implementation
 * (grpc-js's `Channel` class is what gets patched).
 */

interface GrpcChannel {
  getTarget(): string;
  createCall(...args: unknown[]): GrpcCall;
}

interface GrpcModule {
  Channel: { prototype: GrpcChannel };
  Metadata: new () => unknown;
}

export function grpcModuleDefinitions(ctx: ClientContext): InstrumentationNodeModuleDefinition[] {
  return [
    new InstrumentationNodeModuleDefinition(
      '@grpc/grpc-js',
      ['^1.0.0'],
      (moduleExports: unknown) => {
        patchGrpc(moduleExports, ctx);
        return moduleExports;
      },
      (moduleExports: unknown) => {
        unpatchGrpc(moduleExports, ctx);
      },
    ),
  ];
}

/**
 * The context of the patch that is on, read by the wrapper on each call rather than kept in its
 * closure: wrap() re-uses a wrapper that someone else's patch still sits on.
 */
let current: ClientContext | undefined;

function patchGrpc(moduleExports: unknown, ctx: ClientContext): void {
  current = ctx;
  try {
    const grpc = grpcModule(moduleExports);
    if (!grpc) {
      ctx.diag.warn('breakwater: @grpc/grpc-js exports no Channel class; gRPC calls are not protected');
      return;
    }
    const { Metadata } = grpc;
    wrap(grpc.Channel.prototype, 'createCall', (original, patch) =>
      function createCall(this: GrpcChannel, ...args: unknown[]): GrpcCall {
        const active = current;
        if (!patch.active || active === undefined) return original.apply(this, args);
        return protectedCreateCall(this, original, args, active, Metadata);
      },
    );
  } catch (err) {
    ctx.diag.error('breakwater: patching @grpc/grpc-js failed; gRPC calls are not protected', err);
  }
}

function unpatchGrpc(moduleExports: unknown, ctx: ClientContext): void {
  if (current === ctx) current = undefined;
  const grpc = grpcModule(moduleExports);
  if (grpc) unwrap(grpc.Channel.prototype, 'createCall');
}

// Under import-in-the-middle (an ESM `import`), the hook may hand over the namespace, whose
// `default` is grpc-js's CommonJS exports. Either way the prototypes are the same objects.
function grpcModule(moduleExports: unknown): GrpcModule | undefined {
  for (const candidate of [moduleExports, (moduleExports as { default?: unknown } | undefined)?.default]) {
    const grpc = candidate as Partial<GrpcModule> | undefined;
    if (typeof grpc?.Channel?.prototype?.createCall === 'function' && typeof grpc.Metadata === 'function') {
      return grpc as GrpcModule;
    }
  }
  return undefined;
}

function protectedCreateCall(
  channel: GrpcChannel,
  original: GrpcChannel['createCall'],
  args: unknown[],
  ctx: ClientContext,
  Metadata: GrpcModule['Metadata'],
): GrpcCall {
  let permit: Permit | undefined;
  let breaker: CircuitBreaker | undefined;
  try {
    breaker = ctx.breakerForTarget(keyOf(channel));
    if (breaker) {
      permit = breaker.tryAcquire();
      if (!permit) return rejectedCall(breaker, channel, args, Metadata);
    }
  } catch (err) {
    ctx.diag.error('breakwater: protecting a gRPC call failed; the call proceeds unprotected', err);
    permit?.ignore();
    permit = undefined;
  }
  if (!permit) return original.apply(channel, args);
  let call: GrpcCall;
  try {
    call = original.apply(channel, args);
  } catch (err) {
    // e.g. "Channel has been shut down": the call never existed.
    permit.ignore();
    throw err;
  }
  return new ProtectedGrpcCall(call, permit, ctx, breaker!.callTimeoutMs);
}

// getTarget() builds a fresh string on each call; the key of a channel never changes.
const keys = new WeakMap<GrpcChannel, string>();

function keyOf(channel: GrpcChannel): string {
  let key = keys.get(channel);
  if (key === undefined) {
    key = breakerKeyForTarget(channel.getTarget());
    keys.set(channel, key);
  }
  return key;
}

// createCall(method, deadline, host, parentCall, propagateFlags)
function rejectedCall(
  breaker: CircuitBreaker,
  channel: GrpcChannel,
  [method, deadline]: unknown[],
  Metadata: GrpcModule['Metadata'],
): GrpcCall {
  const error = new CircuitOpenError(breaker.name, breaker.retryAfterMs(), breaker.state);
  return new RejectedCall(
    { code: GRPC_UNAVAILABLE, details: error.message, metadata: new Metadata(), cause: error },
    channel.getTarget(),
    String(method),
    deadline,
  );
}
