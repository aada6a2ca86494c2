import { createContextKey, type Context } from '@opentelemetry/api';

// @opentelemetry/core's key, rebuilt from the API (createContextKey is Symbol.for): an exporter's
// own request, sent under core's suppressTracing(), is never put behind a breaker, and the library
// install needs no @opentelemetry/core for it.
const SUPPRESS_TRACING_KEY = createContextKey('OpenTelemetry SDK Context Key SUPPRESS_TRACING');

export function isTracingSuppressed(ctx: Context): boolean {
  return ctx.getValue(SUPPRESS_TRACING_KEY) === true;
}

/** `ctx` with tracing suppressed, as core's suppressTracing() sets it: no span, and no breaker. */
export function suppressTracing(ctx: Context): Context {
  return ctx.setValue(SUPPRESS_TRACING_KEY, true);
}
